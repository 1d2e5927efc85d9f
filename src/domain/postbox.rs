//! The citizen's postbox in pure terms: the message shapes as the relay
//! presents them (`contract::postbox`: status messages folded per
//! application), the ZBP's status shapes (docs/backends.md §4), the list
//! view's state in the URL
//! (`/postfach?anzeigen=…&q=…&ansicht=papierkorb`), dates, sizes, the badge
//! count, and the plain-text model for the authority's message text (dates,
//! sizes and the text model in `text.rs`).
//!
//! Message text comes from outside and is untrusted: [`text_blocks`] only
//! splits it into paragraphs and lines of plain strings, which the views put
//! into the page as text nodes. Nothing here (or there) interprets markup.

use serde::{Deserialize, Serialize};

use super::search_url::query_string;
use super::trust::TrustLevel;

pub mod mandate;
mod text;

pub use text::{deadline_text, file_size, text_blocks, Date};

/// The message and list shapes, shared with the relay (which folds each
/// application's status messages into one item: [`Message::earlier`]).
pub use contract::postbox::{
    Attachment, EarlierStatus, Message, MessageKind, MessageList, UnreadCount,
};

/// The earlier status messages of a folded item (or of an opened status
/// message), newest first (the relay sends them so; kept stable for equal
/// times).
pub fn earlier_newest_first(m: &Message) -> Vec<EarlierStatus> {
    let mut e = m.earlier.clone();
    e.sort_by(|a, b| b.delivered_at.cmp(&a.delivered_at));
    e
}

/// How many messages the item stands for (itself and the earlier ones):
/// deleting or restoring it moves them all.
pub fn group_size(m: &Message) -> usize {
    1 + m.earlier.len()
}

/// The 403 body of a message above the session's level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LevelLock {
    pub error: String,
    #[serde(default)]
    pub required_level: Option<String>,
}

impl LevelLock {
    /// The level needed, if the body is the `insufficient_level` answer.
    pub fn level(&self) -> Option<TrustLevel> {
        (self.error == "insufficient_level")
            .then_some(())
            .and(self.required_level.as_deref())
            .and_then(|l| TrustLevel::parse(l).ok())
    }
}

/// Where an application stands (ZBP's status values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ApplicationStatus {
    Initiated,
    Submitted,
    Received,
    Processing,
    ActionRequired,
    Completed,
    #[serde(other)]
    Unknown,
}

/// One entry of an application's status history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusEntry {
    pub application_id: String,
    pub status: ApplicationStatus,
    #[serde(default)]
    pub public_service_name: Option<String>,
    #[serde(default)]
    pub sender_name: Option<String>,
    pub created_date: String,
    #[serde(default)]
    pub status_details: Option<String>,
    #[serde(default)]
    pub additional_information: Option<String>,
    #[serde(default)]
    pub reference: Option<String>,
    #[serde(default)]
    pub message_id: Option<String>,
    #[serde(default)]
    pub locked: bool,
}

/// `GET /zbp/v1/applications/{id}/status`: oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusHistory {
    pub application_id: String,
    #[serde(default)]
    pub status: Option<ApplicationStatus>,
    #[serde(default)]
    pub statuses: Vec<StatusEntry>,
}

// ------------------------------------------------------------ the list view

/// Which messages the list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Show {
    #[default]
    All,
    Unread,
    Decisions,
    StatusMessages,
}

impl Show {
    pub const ALL: [Show; 4] = [
        Show::All,
        Show::Unread,
        Show::Decisions,
        Show::StatusMessages,
    ];

    /// The value in the URL (`anzeigen=`); `alle` is the default and omitted.
    pub fn url_value(self) -> &'static str {
        match self {
            Show::All => "alle",
            Show::Unread => "ungelesen",
            Show::Decisions => "bescheide",
            Show::StatusMessages => "statusmeldungen",
        }
    }

    pub fn from_url(s: &str) -> Show {
        Show::ALL
            .into_iter()
            .find(|v| v.url_value() == s.trim())
            .unwrap_or_default()
    }
}

/// Longest text filter the postbox accepts.
pub use contract::limits::MAX_QUERY_CHARS;

/// The list's whole state; the URL holds it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListParams {
    pub show: Show,
    /// The text filter, as typed (at most [`MAX_QUERY_CHARS`] characters).
    pub q: String,
    /// The trash ("Papierkorb") instead of the inbox.
    pub trash: bool,
    /// `fuer=<mandate id>`: someone else's postbox, read under a mandate
    /// ([`mandate`]).
    pub fuer: Option<String>,
}

impl ListParams {
    pub fn from_query(get: impl Fn(&str) -> Option<String>) -> Self {
        ListParams {
            show: get("anzeigen")
                .map(|s| Show::from_url(&s))
                .unwrap_or_default(),
            q: get("q")
                .unwrap_or_default()
                .chars()
                .take(MAX_QUERY_CHARS)
                .collect(),
            trash: get("ansicht").is_some_and(|v| v == "papierkorb"),
            fuer: mandate::fuer_from(get(mandate::FUER)),
        }
    }

    /// `/postfach` with only what differs from the defaults.
    pub fn to_url(&self) -> String {
        let mut pairs = Vec::new();
        if self.trash {
            pairs.push(("ansicht", "papierkorb".to_string()));
        }
        if self.show != Show::All {
            pairs.push(("anzeigen", self.show.url_value().to_string()));
        }
        if !self.q.trim().is_empty() {
            pairs.push(("q", self.q.clone()));
        }
        if let Some(m) = &self.fuer {
            pairs.push((mandate::FUER, m.clone()));
        }
        if pairs.is_empty() {
            "/postfach".into()
        } else {
            format!("/postfach?{}", query_string(pairs))
        }
    }

    /// The query string for `/zbp/v1/messages` or `/zbp/v1/trash`.
    pub fn api_query(&self) -> String {
        let mut pairs = Vec::new();
        match self.show {
            Show::All => {}
            Show::Unread => pairs.push(("unread", "true".to_string())),
            Show::Decisions => pairs.push(("kind", "decision".to_string())),
            Show::StatusMessages => pairs.push(("kind", "status".to_string())),
        }
        let q = self.q.trim();
        if !q.is_empty() {
            pairs.push(("q", q.chars().take(MAX_QUERY_CHARS).collect()));
        }
        if let Some(m) = &self.fuer {
            pairs.push((contract::mandate::FOR_PARAM, m.clone()));
        }
        query_string(pairs)
    }

    /// The filters cleared, in the same place (inbox or trash, whose postbox).
    pub fn cleared(&self) -> Self {
        ListParams {
            trash: self.trash,
            fuer: self.fuer.clone(),
            ..ListParams::default()
        }
    }

    /// Is any filter active (so an empty list means "nothing matches"
    /// rather than "no messages at all")?
    pub fn is_filtered(&self) -> bool {
        self.show != Show::All || !self.q.trim().is_empty()
    }
}

/// Newest first by delivery time (ISO 8601 UTC strings sort by time). The
/// server already sorts (and knows the order within one second); the sort is
/// stable, so its order stays for equal times.
pub fn newest_first(messages: &mut [Message]) {
    messages.sort_by(|a, b| b.delivered_at.cmp(&a.delivered_at));
}

/// What the header badge shows: nothing at zero.
pub fn badge_count(unread: u32) -> Option<u32> {
    (unread > 0).then_some(unread)
}

/// The unread count after the citizen changed one message locally
/// (`was_read` → `now_read`), before the next refresh from the server.
pub fn unread_after(unread: u32, was_read: bool, now_read: bool) -> u32 {
    match (was_read, now_read) {
        (true, false) => unread.saturating_add(1),
        (false, true) => unread.saturating_sub(1),
        _ => unread,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIST_ITEM: &str = r#"{"id":"m1","mailboxUuid":"mb","kind":"decision",
        "sender":"Steueramt","title":"Bescheid: Hundesteuer anmelden",
        "service":"Hundesteuer anmelden","applicationId":"sub-1","reference":"case-1",
        "storkQaaLevel":"STORK-QAA-Level-1","locked":false,
        "deliveredAt":"2026-11-29T10:15:00Z","openedAt":null,"read":false,
        "deletedAt":null,"purgeAt":null,"appealable":true,"deadline":null,
        "retrievalConfirmationAddress":null,"replyAddress":null,"attachmentCount":1,
        "attachments":[{"id":"a1","filename":"Bescheid-case-1.pdf","mimeType":"application/pdf",
        "sha512sum":"ab","contentLength":2190}]}"#;

    fn msg(id: &str, delivered: &str) -> Message {
        let mut m: Message = serde_json::from_str(LIST_ITEM).unwrap();
        m.id = id.into();
        m.delivered_at = delivered.into();
        m
    }

    #[test]
    fn parses_a_list_item_and_a_locked_one() {
        let m: Message = serde_json::from_str(LIST_ITEM).unwrap();
        assert_eq!(m.kind, MessageKind::Decision);
        assert_eq!(m.application_id.as_deref(), Some("sub-1"));
        assert_eq!(m.attachments[0].content_length, 2190);
        assert_eq!(m.content, None);
        assert_eq!(m.level_needed(), Some(TrustLevel::Level1));
        let locked = r#"{"id":"m2","kind":"decision","sender":"Bundesamt für Justiz",
            "title":"Bescheid","storkQaaLevel":"STORK-QAA-Level-4","locked":true,
            "requiredLevel":"STORK-QAA-Level-4","deliveredAt":"2026-11-29T11:00:00Z",
            "read":false,"attachmentCount":1,"attachments":[],"someNewField":1}"#;
        let m: Message = serde_json::from_str(locked).unwrap();
        assert!(m.locked);
        assert_eq!(m.level_needed(), Some(TrustLevel::Level4));
        assert_eq!(m.attachment_count, 1);
        assert!(m.attachments.is_empty());
    }

    #[test]
    fn unknown_kinds_and_statuses_do_not_break_the_list() {
        let text = LIST_ITEM.replace("\"decision\"", "\"reminder\"");
        let m: Message = serde_json::from_str(&text).unwrap();
        assert_eq!(m.kind, MessageKind::Other);
        let s: StatusEntry = serde_json::from_str(
            r#"{"applicationId":"a","status":"ARCHIVED","createdDate":"2026-11-29T10:00:00Z"}"#,
        )
        .unwrap();
        assert_eq!(s.status, ApplicationStatus::Unknown);
    }

    #[test]
    fn parses_a_status_history() {
        let h: StatusHistory = serde_json::from_str(
            r#"{"applicationId":"sub-1","status":"COMPLETED","statuses":[
              {"applicationId":"sub-1","status":"SUBMITTED","publicServiceName":"Hundesteuer anmelden",
               "senderName":"Steueramt","createdDate":"2026-11-29T10:00:00Z","statusDetails":"x",
               "additionalInformation":null,"reference":"case-1","messageId":"m0",
               "storkQaaLevel":"STORK-QAA-Level-1","locked":false},
              {"applicationId":"sub-1","status":"ACTION_REQUIRED","createdDate":"2026-11-29T10:05:00Z",
               "statusDetails":null,"messageId":null,"locked":true}]}"#,
        )
        .unwrap();
        assert_eq!(h.status, Some(ApplicationStatus::Completed));
        assert_eq!(h.statuses[1].status, ApplicationStatus::ActionRequired);
        assert_eq!(h.statuses[1].message_id, None);
        assert!(h.statuses[1].locked);
    }

    #[test]
    fn the_level_lock_body_names_the_level() {
        let l: LevelLock = serde_json::from_str(
            r#"{"error":"insufficient_level","message":"…","requiredLevel":"STORK-QAA-Level-4"}"#,
        )
        .unwrap();
        assert_eq!(l.level(), Some(TrustLevel::Level4));
        let other: LevelLock =
            serde_json::from_str(r#"{"error":"forbidden","requiredLevel":"STORK-QAA-Level-4"}"#)
                .unwrap();
        assert_eq!(other.level(), None);
    }

    #[test]
    fn list_state_round_trips_through_the_url() {
        let p = ListParams {
            show: Show::Decisions,
            q: "Hund steuer".into(),
            trash: true,
            fuer: None,
        };
        let url = p.to_url();
        assert_eq!(
            url,
            "/postfach?ansicht=papierkorb&anzeigen=bescheide&q=Hund%20steuer"
        );
        let query = url.split_once('?').unwrap().1;
        let get = |k: &str| {
            query.split('&').find_map(|kv| {
                let (a, b) = kv.split_once('=')?;
                (a == k).then(|| b.replace("%20", " "))
            })
        };
        assert_eq!(ListParams::from_query(get), p);
        assert_eq!(ListParams::default().to_url(), "/postfach");
        let other = ListParams {
            fuer: Some("m1".into()),
            q: "Hund".into(),
            ..ListParams::default()
        };
        assert_eq!(other.to_url(), "/postfach?q=Hund&fuer=m1");
        assert_eq!(other.api_query(), "q=Hund&for=m1");
        assert_eq!(other.cleared().to_url(), "/postfach?fuer=m1");
        assert_eq!(
            ListParams::from_query(|k| (k == "fuer").then(|| "m1".into())).fuer,
            Some("m1".into())
        );
        assert_eq!(
            ListParams::from_query(|k| (k == "anzeigen").then(|| "quatsch".into())),
            ListParams::default()
        );
    }

    #[test]
    fn filters_become_the_api_query() {
        let mut p = ListParams::default();
        assert_eq!(p.api_query(), "");
        assert!(!p.is_filtered());
        p.show = Show::Unread;
        assert_eq!(p.api_query(), "unread=true");
        p.show = Show::StatusMessages;
        p.q = "  Eingang ".into();
        assert_eq!(p.api_query(), "kind=status&q=Eingang");
        assert!(p.is_filtered());
        p.show = Show::Decisions;
        p.q = "x".repeat(300);
        assert_eq!(p.api_query().len(), "kind=decision&q=".len() + 200);
        let long = ListParams::from_query(|k| (k == "q").then(|| "y".repeat(500)));
        assert_eq!(long.q.chars().count(), MAX_QUERY_CHARS);
    }

    #[test]
    fn newest_first_by_delivery() {
        let mut list = vec![
            msg("a", "2026-11-28T09:00:00Z"),
            msg("b", "2026-11-29T10:15:00Z"),
            msg("c", "2026-11-29T08:00:00Z"),
            msg("z", "2026-11-29T10:15:00Z"),
            msg("d", "2026-11-29T10:15:00Z"),
        ];
        newest_first(&mut list);
        let ids: Vec<&str> = list.iter().map(|m| m.id.as_str()).collect();
        // Same second: the server's order stays.
        assert_eq!(ids, ["b", "z", "d", "c", "a"]);
    }

    #[test]
    fn unread_count_logic() {
        assert_eq!(badge_count(0), None);
        assert_eq!(badge_count(2), Some(2));
        assert_eq!(unread_after(2, true, false), 3);
        assert_eq!(unread_after(2, false, true), 1);
        assert_eq!(unread_after(0, false, true), 0);
        assert_eq!(unread_after(2, true, true), 2);
    }

    #[test]
    fn a_messages_deadline_is_shown_as_a_date() {
        let m: Message = serde_json::from_str(
            &LIST_ITEM.replace("\"deadline\":null", "\"deadline\":\"2027-01-04\""),
        )
        .unwrap();
        assert_eq!(
            deadline_text(m.deadline.as_deref(), false),
            Some("04.01.2027".into())
        );
    }

    #[test]
    fn a_folded_item_from_the_relay_lists_its_earlier_status_messages() {
        let item = r#"{"id":"m4","kind":"status","sender":"Steueramt",
            "title":"Hundesteuer anmelden: In Bearbeitung","applicationId":"sub-1",
            "deliveredAt":"2026-11-29T10:15:00Z","read":false,"attachments":[],"earlier":[
            {"id":"m1","title":"Hundesteuer anmelden: Eingereicht","deliveredAt":"2026-11-29T10:00:00Z","read":false},
            {"id":"m3","title":"Hundesteuer anmelden: Eingang bestätigt","deliveredAt":"2026-11-29T10:10:00Z","read":true},
            {"id":"m2","title":"Zwischenstand","deliveredAt":"2026-11-29T10:10:00Z"}]}"#;
        let m: Message = serde_json::from_str(item).unwrap();
        assert_eq!(m.kind, MessageKind::Status);
        assert_eq!(group_size(&m), 4);
        let ids: Vec<String> = earlier_newest_first(&m).into_iter().map(|e| e.id).collect();
        // Newest first; the relay's order stays for equal times.
        assert_eq!(ids, ["m3", "m2", "m1"]);
        assert!(!m.earlier[0].read);
        assert!(!m.earlier[2].read, "read is false unless sent");
        // A message without earlier ones stands for itself only.
        let single: Message = serde_json::from_str(LIST_ITEM).unwrap();
        assert!(single.earlier.is_empty());
        assert_eq!(group_size(&single), 1);
        assert!(earlier_newest_first(&single).is_empty());
    }
}
