//! Reusable, KERN-styled pieces.

pub mod apply;
pub mod authority_card;
pub mod debounce;
pub mod error;
pub mod fatal;
pub mod layout;
pub mod locale;
pub mod login_outcome;
pub mod offer;
pub mod online;
pub mod page;
pub mod place_picker;
pub mod postbox_badge;
pub mod postbox_parts;
pub mod pwa;
pub mod search_form;
pub mod service_card;
pub mod session;
pub mod session_dialog;
pub mod session_list;
pub mod status_messages;
pub mod theme;
pub mod tile_map;
pub mod trust_badge;
pub mod url;
