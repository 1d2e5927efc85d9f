//! Status messages folded per application (pure; the routes are in
//! `postbox.rs`). The ZBP delivers one message per status change, so one
//! application yields up to four status messages; the citizen sees one
//! item: the newest, with the earlier ones listed in it. Decisions and
//! other messages stay items of their own.
//!
//! Every rule here works on a list in the ZBP's order made newest first
//! ([`newest_first`]), so "earlier" means "further down that list". The
//! item is led by the application's newest status message: what is done to
//! it (open, mark read, delete, restore) is done to the item; an earlier
//! message opened on its own is just itself.

use std::collections::{HashMap, HashSet};

use contract::postbox::{Message, MessageKind};

use crate::catalogue::params;
use crate::error::RelayError;

/// Newest first by delivery time (ISO 8601 UTC strings sort by time); the
/// sort is stable, so the ZBP's own order stays within one second.
pub fn newest_first(messages: &mut [Message]) {
    messages.sort_by(|a, b| b.delivered_at.cmp(&a.delivered_at));
}

/// The list as items: each application's status messages become one item
/// (its newest message, `earlier` holding the others, newest first, unread
/// if any of them is unread); everything else stays as it is.
pub fn fold(mut messages: Vec<Message>) -> Vec<Message> {
    newest_first(&mut messages);
    let mut items: Vec<Message> = Vec::with_capacity(messages.len());
    let mut item_of: HashMap<String, usize> = HashMap::new();
    for mut m in messages {
        m.earlier.clear();
        let Some(app) = m.status_of().map(str::to_string) else {
            items.push(m);
            continue;
        };
        match item_of.get(&app).and_then(|&i| items.get_mut(i)) {
            Some(item) => {
                item.read &= m.read;
                item.earlier.push(m.as_earlier());
            }
            None => {
                item_of.insert(app, items.len());
                items.push(m);
            }
        }
    }
    items
}

/// The message `id` of `messages` and, if it leads its application's item
/// (it is that application's newest status message in the list), the
/// earlier status messages of the application, newest first; for any other
/// message none. `None` if `id` is not in the list.
pub fn item_of<'a>(messages: &'a [Message], id: &str) -> Option<(&'a Message, Vec<&'a Message>)> {
    let mut sorted: Vec<&Message> = messages.iter().collect();
    sorted.sort_by(|a, b| b.delivered_at.cmp(&a.delivered_at));
    let at = sorted.iter().position(|m| m.id == id)?;
    let m = *sorted.get(at)?;
    let Some(app) = m.status_of() else {
        return Some((m, Vec::new()));
    };
    let same = |e: &&&Message| e.status_of() == Some(app) && e.id != m.id;
    let newer = sorted.get(..at).unwrap_or_default();
    if newer.iter().any(|e| same(&e)) {
        return Some((m, Vec::new()));
    }
    let earlier = sorted.get(at + 1..).unwrap_or_default();
    Some((m, earlier.iter().filter(same).copied().collect()))
}

/// Unread items (a folded application counts once).
pub fn unread_items(items: &[Message]) -> u32 {
    u32::try_from(items.iter().filter(|m| !m.read).count()).unwrap_or(u32::MAX)
}

/// The list filters (`unread`, `kind`, `q`), applied to items.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Only unread items (an item is unread if any of its messages is).
    pub unread: bool,
    pub kind: Option<MessageKind>,
    /// Words; the ZBP finds the messages that match, and an item matches
    /// if any of its messages does.
    pub q: Option<String>,
}

impl Filter {
    /// From the query string; unknown or repeated parameters, other kinds
    /// and `unread` values other than `true`/`false` are refused.
    pub fn parse(raw: Option<&str>) -> Result<Filter, RelayError> {
        let mut f = Filter::default();
        let mut seen = HashSet::new();
        for (k, v) in params(raw, &["unread", "kind", "q"])? {
            if !seen.insert(k.clone()) {
                return Err(RelayError::BadRequest(format!("{k} is given twice")));
            }
            match k.as_str() {
                "unread" => {
                    f.unread = match v.as_str() {
                        "true" => true,
                        "false" => false,
                        _ => return Err(RelayError::BadRequest("unread is true or false".into())),
                    }
                }
                "kind" => {
                    f.kind = Some(match v.as_str() {
                        "decision" => MessageKind::Decision,
                        "status" => MessageKind::Status,
                        "info" => MessageKind::Info,
                        _ => {
                            return Err(RelayError::BadRequest(
                                "kind must be decision, status or info".into(),
                            ))
                        }
                    })
                }
                _ => f.q = Some(v.trim().to_string()).filter(|q| !q.is_empty()),
            }
        }
        Ok(f)
    }

    /// Does `item` pass? `matched`: the ids the ZBP found for `q` (not
    /// looked at without `q`).
    pub fn keeps(&self, item: &Message, matched: &HashSet<String>) -> bool {
        if self.unread && item.read {
            return false;
        }
        if self.kind.is_some_and(|k| k != item.kind) {
            return false;
        }
        self.q.is_none()
            || matched.contains(&item.id)
            || item.earlier.iter().any(|e| matched.contains(&e.id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(id: &str, kind: &str, app: Option<&str>, at: &str, read: bool) -> Message {
        serde_json::from_value(serde_json::json!({
            "id": id, "kind": kind, "sender": "Steueramt", "title": format!("Titel {id}"),
            "applicationId": app, "deliveredAt": at, "read": read, "attachments": [],
        }))
        .unwrap()
    }

    /// Application A: four status messages and a decision; B: one status;
    /// an info without application; in the ZBP's order (newest first).
    fn mailbox() -> Vec<Message> {
        vec![
            msg(
                "a-bescheid",
                "decision",
                Some("A"),
                "2026-11-29T10:05:00Z",
                false,
            ),
            msg("a4", "status", Some("A"), "2026-11-29T10:04:00Z", false),
            msg("b1", "status", Some("B"), "2026-11-29T10:03:30Z", true),
            msg("a3", "status", Some("A"), "2026-11-29T10:03:00Z", true),
            msg("info", "info", None, "2026-11-29T10:02:30Z", true),
            msg("a2", "status", Some("A"), "2026-11-29T10:02:00Z", false),
            msg("a1", "status", Some("A"), "2026-11-29T10:01:00Z", false),
        ]
    }

    fn ids(items: &[Message]) -> Vec<&str> {
        items.iter().map(|m| m.id.as_str()).collect()
    }

    #[test]
    fn status_messages_of_one_application_become_one_item() {
        let items = fold(mailbox());
        assert_eq!(ids(&items), ["a-bescheid", "a4", "b1", "info"]);
        let a = &items[1];
        let earlier: Vec<(&str, bool)> =
            a.earlier.iter().map(|e| (e.id.as_str(), e.read)).collect();
        assert_eq!(earlier, [("a3", true), ("a2", false), ("a1", false)]);
        assert_eq!(a.earlier[0].title, "Titel a3");
        assert_eq!(a.earlier[0].delivered_at, "2026-11-29T10:03:00Z");
        assert!(items[2].earlier.is_empty());
        // Unread items: the decision and A's statuses; B and the info are read.
        assert_eq!(unread_items(&items), 2);
    }

    #[test]
    fn a_folded_item_is_unread_if_any_of_its_messages_is() {
        let mut m = mailbox();
        for x in &mut m {
            x.read = x.id != "a1";
        }
        let items = fold(m);
        assert!(!items[1].read, "a1 is unread, so A's item is");
        assert_eq!(unread_items(&items), 1);
        let all_read: Vec<Message> = mailbox()
            .into_iter()
            .map(|mut x| {
                x.read = true;
                x
            })
            .collect();
        assert_eq!(unread_items(&fold(all_read)), 0);
    }

    #[test]
    fn the_newest_leads_whatever_order_the_zbp_sent() {
        let mut m = mailbox();
        m.reverse();
        let items = fold(m);
        assert_eq!(ids(&items), ["a-bescheid", "a4", "b1", "info"]);
        assert_eq!(items[1].earlier.len(), 3);
        // Status messages without an application stay alone.
        let lone = vec![
            msg("x", "status", None, "2026-11-29T10:00:00Z", false),
            msg("y", "status", Some(""), "2026-11-29T09:00:00Z", false),
        ];
        assert_eq!(ids(&fold(lone)), ["x", "y"]);
    }

    #[test]
    fn only_the_newest_status_message_leads_its_applications_item() {
        let m = mailbox();
        let (top, earlier) = item_of(&m, "a4").unwrap();
        assert_eq!(top.id, "a4");
        let ids: Vec<&str> = earlier.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["a3", "a2", "a1"]);
        // An earlier one opened (or deleted) on its own stands alone.
        let (top, earlier) = item_of(&m, "a2").unwrap();
        assert_eq!(top.id, "a2");
        assert!(earlier.is_empty());
        assert!(item_of(&m, "b1").unwrap().1.is_empty());
        assert!(
            item_of(&m, "a-bescheid").unwrap().1.is_empty(),
            "a decision stands alone"
        );
        assert!(item_of(&m, "nope").is_none());
        // Once the newer ones are gone (deleted), the next one leads.
        let rest: Vec<Message> = m
            .into_iter()
            .filter(|x| x.id != "a4" && x.id != "a3")
            .collect();
        let ids: Vec<String> = item_of(&rest, "a2")
            .unwrap()
            .1
            .iter()
            .map(|e| e.id.clone())
            .collect();
        assert_eq!(ids, ["a1"]);
    }

    #[test]
    fn filters_apply_to_items() {
        let items = fold(mailbox());
        let none = HashSet::new();
        let keep = |f: &Filter, matched: &HashSet<String>| -> Vec<String> {
            items
                .iter()
                .filter(|m| f.keeps(m, matched))
                .map(|m| m.id.clone())
                .collect()
        };
        let f = Filter::parse(Some("unread=true")).unwrap();
        assert_eq!(keep(&f, &none), ["a-bescheid", "a4"]);
        let f = Filter::parse(Some("kind=status")).unwrap();
        assert_eq!(keep(&f, &none), ["a4", "b1"]);
        let f = Filter::parse(Some("kind=decision&unread=false")).unwrap();
        assert_eq!(keep(&f, &none), ["a-bescheid"]);
        // q: an earlier message's match finds its item.
        let f = Filter::parse(Some("q=%20Eingang%20")).unwrap();
        assert_eq!(f.q.as_deref(), Some("Eingang"));
        let matched: HashSet<String> = ["a2".to_string()].into();
        assert_eq!(keep(&f, &matched), ["a4"]);
        let f = Filter::parse(Some("q=Eingang&kind=status&unread=true")).unwrap();
        assert_eq!(keep(&f, &matched), ["a4"]);
        // A blank q filters nothing.
        assert_eq!(Filter::parse(Some("q=+")).unwrap(), Filter::default());
    }

    #[test]
    fn bad_filters_are_refused() {
        for bad in [
            "unread=yes",
            "unread=",
            "kind=other",
            "kind=status&kind=info",
            "page=2",
        ] {
            assert!(Filter::parse(Some(bad)).is_err(), "{bad}");
        }
        assert!(Filter::parse(Some(&format!("q={}", "x".repeat(201)))).is_err());
        assert_eq!(Filter::parse(None).unwrap(), Filter::default());
    }
}
