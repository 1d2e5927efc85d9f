//! Reading someone else's postbox under a mandate (issue #25): the app's
//! `?fuer=<mandate id>` on `/postfach` and `/postfach/<id>`, the relay's
//! `?for=<mandate id>` on the postbox's read routes (docs/relay.md
//! "Mandates"), which received mandates offer the postbox, and the relay's
//! two refusals.

use contract::mandate::{Mandate, ERROR_NOT_VALID, ERROR_READ_ONLY, FOR_PARAM};

use crate::domain::search_url::encode;

/// The app's parameter, as for applying for someone (`/antrag/…?fuer=`).
pub const FUER: &str = "fuer";

/// Longest mandate id kept from a URL (the relay's ids are UUIDs).
const MAX_ID_CHARS: usize = 64;

/// The mandate named in the URL: trimmed, bounded, `None` when empty.
pub fn fuer_from(value: Option<String>) -> Option<String> {
    let v: String = value?.trim().chars().take(MAX_ID_CHARS).collect();
    (!v.is_empty()).then_some(v)
}

/// One postbox the citizen may read for someone else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostboxOffer {
    pub mandate_id: String,
    /// The grantor's name, "Erika Mustermann".
    pub name: String,
}

/// The received mandates that let the citizen read the grantor's postbox
/// now: active and with `postbox`; each mandate once, in the relay's order
/// (newest first).
pub fn postbox_offers(received: &[Mandate]) -> Vec<PostboxOffer> {
    let mut out: Vec<PostboxOffer> = Vec::new();
    for m in received {
        if m.state.is_active() && m.postbox && !out.iter().any(|o| o.mandate_id == m.id) {
            out.push(PostboxOffer {
                mandate_id: m.id.clone(),
                name: m.grantor.display(),
            });
        }
    }
    out
}

/// The grantor's name of the mandate `id` among those received, whatever
/// its state (for the notice, and for a refusal).
pub fn grantor_name(received: &[Mandate], id: &str) -> Option<String> {
    received
        .iter()
        .find(|m| m.id == id)
        .map(|m| m.grantor.display())
        .filter(|n| !n.is_empty())
}

/// `/postfach`, or `/postfach?fuer=<mandate>`.
pub fn list_href(fuer: Option<&str>) -> String {
    with_param("/postfach".into(), FUER, fuer)
}

/// `/postfach/<message>`, keeping `?fuer=<mandate>`.
pub fn message_href(message_id: &str, fuer: Option<&str>) -> String {
    with_param(format!("/postfach/{}", encode(message_id)), FUER, fuer)
}

/// A relay URL with `for=<mandate>` added (after `?` or `&`), or as it was.
pub fn with_for(url: String, fuer: Option<&str>) -> String {
    with_param(url, FOR_PARAM, fuer)
}

fn with_param(mut url: String, key: &str, value: Option<&str>) -> String {
    if let Some(v) = value.filter(|v| !v.is_empty()) {
        url.push(if url.contains('?') { '&' } else { '?' });
        url.push_str(key);
        url.push('=');
        url.push_str(&encode(v));
    }
    url
}

/// Why the relay refused a postbox call under a mandate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// 403 `mandate_not_valid`: ended, past its end, or without the postbox.
    NotValid,
    /// 403 `mandate_read_only`: a write (or the trash) under a mandate.
    ReadOnly,
}

/// The refusal in a relay answer, if it is one (`has` looks for an error
/// code in the body).
pub fn refusal(status: u16, has: impl Fn(&str) -> bool) -> Option<Refusal> {
    if status != 403 {
        return None;
    }
    if has(ERROR_NOT_VALID) {
        Some(Refusal::NotValid)
    } else if has(ERROR_READ_ONLY) {
        Some(Refusal::ReadOnly)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use contract::mandate::{Kind, Party, State};

    fn mandate(id: &str, state: State, postbox: bool, given: &str) -> Mandate {
        Mandate {
            id: id.into(),
            kind: Kind::Vollmacht,
            state,
            grantor: Party {
                given_names: given.into(),
                family_name: "Mustermann".into(),
            },
            grantee: Party {
                given_names: "Jonas".into(),
                family_name: "Schmidt".into(),
            },
            services: None,
            postbox,
            created_at: 0,
            valid_until: "2027-12-31".into(),
            ended_at: None,
            care_scope: None,
        }
    }

    #[test]
    fn only_active_mandates_with_the_postbox_offer_it() {
        let received = vec![
            mandate("m4", State::Active, true, "Erika"),
            mandate("m3", State::Active, false, "Erika"),
            mandate("m2", State::Revoked, true, "Erika"),
            mandate("m1", State::Expired, true, "Erika"),
            mandate("m0", State::Pending, true, "Paul"),
            mandate("m4", State::Active, true, "Erika"),
            mandate("m5", State::Active, true, "Paul"),
        ];
        assert_eq!(
            postbox_offers(&received),
            vec![
                PostboxOffer {
                    mandate_id: "m4".into(),
                    name: "Erika Mustermann".into()
                },
                PostboxOffer {
                    mandate_id: "m5".into(),
                    name: "Paul Mustermann".into()
                },
            ]
        );
        assert!(postbox_offers(&[]).is_empty());
        // The name is known for an ended one too (the refusal names her).
        assert_eq!(
            grantor_name(&received, "m2").as_deref(),
            Some("Erika Mustermann")
        );
        assert_eq!(grantor_name(&received, "m9"), None);
    }

    #[test]
    fn app_urls_keep_fuer() {
        assert_eq!(list_href(None), "/postfach");
        assert_eq!(list_href(Some("m-1")), "/postfach?fuer=m-1");
        assert_eq!(list_href(Some("")), "/postfach");
        assert_eq!(message_href("a b", None), "/postfach/a%20b");
        assert_eq!(message_href("x", Some("m&1")), "/postfach/x?fuer=m%261");
    }

    #[test]
    fn relay_urls_get_for() {
        assert_eq!(
            with_for("/api/v1/postbox/messages".into(), None),
            "/api/v1/postbox/messages"
        );
        assert_eq!(
            with_for("/api/v1/postbox/messages".into(), Some("m1")),
            "/api/v1/postbox/messages?for=m1"
        );
        assert_eq!(
            with_for("/api/v1/postbox/messages?q=a".into(), Some("m1")),
            "/api/v1/postbox/messages?q=a&for=m1"
        );
    }

    #[test]
    fn fuer_is_trimmed_and_bounded() {
        assert_eq!(fuer_from(None), None);
        assert_eq!(fuer_from(Some("  ".into())), None);
        assert_eq!(fuer_from(Some(" m1 ".into())).as_deref(), Some("m1"));
        assert_eq!(fuer_from(Some("x".repeat(100))).map(|s| s.len()), Some(64));
    }

    #[test]
    fn the_two_refusals_are_told_apart() {
        let body = |code: &'static str| move |c: &str| c == code;
        assert_eq!(refusal(403, body(ERROR_NOT_VALID)), Some(Refusal::NotValid));
        assert_eq!(refusal(403, body(ERROR_READ_ONLY)), Some(Refusal::ReadOnly));
        assert_eq!(refusal(403, body("insufficient_level")), None);
        assert_eq!(refusal(404, body(ERROR_NOT_VALID)), None);
    }
}
