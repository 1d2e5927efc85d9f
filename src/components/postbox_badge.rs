//! The unread count next to "Postfach" in the header. Asked for only while
//! logged in: at login, after every navigation, when the window gets focus,
//! when the tab becomes visible, every 60 s while it is visible, and when a
//! postbox page changed something ([`notify_changed`]).

use std::time::Duration;

use leptos::prelude::*;
use leptos_router::hooks::use_location;

use crate::components::postbox_parts::{current_login, with_postbox};
use crate::components::session::use_auth;
use crate::domain::postbox::badge_count;
use crate::i18n::*;
use crate::pages::lazy::{split_call, ChunkError, LocalFuture};

/// The window event postbox pages send after reading, marking, deleting or
/// restoring, so the badge follows at once.
pub const CHANGED_EVENT: &str = "buergeramt-postfach";

/// How often the count is refreshed while the tab is visible.
pub const REFRESH_EVERY: Duration = Duration::from_secs(60);

/// Tells the badge that the unread count may have changed.
pub fn notify_changed() {
    if let (Some(w), Ok(ev)) = (web_sys::window(), web_sys::Event::new(CHANGED_EVENT)) {
        let _ = w.dispatch_event(&ev);
    }
}

fn tab_visible() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .map(|d| d.visibility_state() == web_sys::VisibilityState::Visible)
        .unwrap_or(false)
}

/// " (2 ungelesen)" for screen readers, the number as a KERN badge; nothing
/// at zero or when logged out.
#[component]
pub fn PostboxBadge() -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let location = use_location();
    let tick = RwSignal::new(0u32);
    let bump = move || tick.try_update(|t| *t = t.wrapping_add(1));

    let focus = window_event_listener(leptos::ev::focus, move |_| {
        bump();
    });
    let visible = window_event_listener(leptos::ev::visibilitychange, move |_| {
        if tab_visible() {
            bump();
        }
    });
    let changed = window_event_listener_untyped(CHANGED_EVENT, move |_| {
        bump();
    });
    let interval = set_interval_with_handle(
        move || {
            if tab_visible() {
                bump();
            }
        },
        REFRESH_EVERY,
    )
    .ok();
    on_cleanup(move || {
        focus.remove();
        visible.remove();
        changed.remove();
        if let Some(h) = interval {
            h.clear();
        }
    });

    let count = LocalResource::new(move || {
        tick.track();
        location.pathname.track();
        let login = current_login(auth);
        async move {
            // No session: no request at all.
            login.as_ref()?;
            match split_call!(unread_count_later(login)) {
                Ok(count) => count.await,
                Err(_) => None,
            }
        }
    });
    // Keep the last known number while a refresh is on its way (no flicker).
    let shown = Memo::new(move |prev: Option<&Option<u32>>| {
        if logged_in(auth) {
            match count.get() {
                Some(n) => n.and_then(badge_count),
                None => prev.copied().flatten(),
            }
        } else {
            None
        }
    });

    move || {
        shown.get().map(|n| {
            view! {
                " "
                <span class="kern-badge kern-badge--info postbox-badge" aria-hidden="true">
                    <span class="kern-label">{n}</span>
                </span>
                <span class="kern-sr-only">{t!(i18n, postbox.badge_sr, n = n)}</span>
            }
        })
    }
}

/// The count's request and its decoding are needed only once logged in: in
/// the release bundle they live in a chunk (src/pages/lazy.rs).
#[cfg_attr(
    feature = "split",
    leptos::wasm_split::wasm_split(postbox_count, wasm_split_path = ::leptos::wasm_split, fallible)
)]
fn unread_count_later(login: Option<String>) -> Result<LocalFuture<Option<u32>>, ChunkError> {
    Ok(Box::pin(async move {
        with_postbox(login, |b| async move { b.unread_count().await })
            .await
            .ok()
    }))
}

fn logged_in(auth: crate::components::session::Auth) -> bool {
    auth.session.with(Option::is_some)
}
