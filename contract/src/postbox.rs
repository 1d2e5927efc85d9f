//! The postbox as the relay presents it (`/api/v1/postbox/…`, docs/relay.md):
//! the ZBP's message shape (docs/backends.md §4), plus what the relay adds.
//!
//! The ZBP delivers one message per status change of an application; the
//! relay folds the status messages of one application into one list item:
//! the newest, carrying the earlier ones in [`Message::earlier`]. The same
//! types read the ZBP's answers (in the relay) and the relay's (in the app).

use serde::{Deserialize, Serialize};

use crate::trust::TrustLevel;

/// What a message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageKind {
    /// A Bescheid.
    Decision,
    /// A status message about an application.
    Status,
    /// Anything else (e.g. a rejection note).
    Info,
    /// A kind this build does not know yet.
    #[serde(other)]
    Other,
}

/// An attachment of an openable message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attachment {
    pub id: String,
    pub filename: String,
    #[serde(default)]
    pub mime_type: String,
    #[serde(default)]
    pub sha512sum: String,
    #[serde(default)]
    pub content_length: u64,
}

/// An earlier status message of the same application, folded into a newer
/// one: enough to name it and link to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EarlierStatus {
    pub id: String,
    pub title: String,
    /// ISO 8601 UTC, as the ZBP gives it.
    pub delivered_at: String,
    #[serde(default)]
    pub read: bool,
}

/// A postbox message. List items have no `content`; locked messages have
/// neither content nor attachments, only `attachment_count`.
///
/// In the relay's lists a status message stands for its application's
/// status messages: `earlier` holds the older ones (newest first) and `read`
/// is false if any of them is unread. Opened alone, the newest status
/// message of an application carries them too; an earlier one does not.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    pub id: String,
    pub kind: MessageKind,
    pub sender: String,
    pub title: String,
    #[serde(default)]
    pub service: Option<String>,
    #[serde(default)]
    pub application_id: Option<String>,
    #[serde(default)]
    pub reference: Option<String>,
    #[serde(default)]
    pub stork_qaa_level: Option<String>,
    #[serde(default)]
    pub locked: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_level: Option<String>,
    pub delivered_at: String,
    #[serde(default)]
    pub opened_at: Option<String>,
    #[serde(default)]
    pub read: bool,
    #[serde(default)]
    pub deleted_at: Option<String>,
    #[serde(default)]
    pub purge_at: Option<String>,
    #[serde(default)]
    pub appealable: bool,
    #[serde(default)]
    pub deadline: Option<String>,
    #[serde(default)]
    pub attachment_count: u32,
    #[serde(default)]
    pub attachments: Vec<Attachment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// The earlier status messages of the same application (relay only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub earlier: Vec<EarlierStatus>,
}

impl Message {
    /// The level needed to open it (from `requiredLevel`, else the
    /// message's own level); `None` if the server sent something unknown.
    pub fn level_needed(&self) -> Option<TrustLevel> {
        self.required_level
            .as_deref()
            .or(self.stork_qaa_level.as_deref())
            .and_then(|l| TrustLevel::parse(l).ok())
    }

    /// The application whose status messages this one is folded with: a
    /// status message naming a (non-empty) application.
    pub fn status_of(&self) -> Option<&str> {
        if self.kind != MessageKind::Status {
            return None;
        }
        self.application_id.as_deref().filter(|a| !a.is_empty())
    }

    /// As an entry of a newer message's `earlier`.
    pub fn as_earlier(&self) -> EarlierStatus {
        EarlierStatus {
            id: self.id.clone(),
            title: self.title.clone(),
            delivered_at: self.delivered_at.clone(),
            read: self.read,
        }
    }
}

/// `GET /api/v1/postbox/messages` and `/trash` (and the ZBP's lists):
/// `count` items after the filters, `unread` items outside the trash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageList {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mailbox_uuid: Option<String>,
    #[serde(default)]
    pub count: u32,
    #[serde(default)]
    pub unread: u32,
    #[serde(default)]
    pub messages: Vec<Message>,
}

/// `GET /api/v1/postbox/messages/unread-count`: unread items (a folded
/// application counts once) outside the trash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnreadCount {
    pub unread: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folded_item_round_trips_and_plain_ones_stay_small() {
        let text = r#"{"id":"m3","kind":"status","sender":"Steueramt","title":"Hund: In Bearbeitung",
            "applicationId":"sub-1","deliveredAt":"2026-11-29T10:15:00Z","read":false,
            "attachments":[],"mailboxUuid":"mb","earlier":[
            {"id":"m2","title":"Hund: Eingang bestätigt","deliveredAt":"2026-11-29T10:10:00Z","read":true},
            {"id":"m1","title":"Hund: Eingereicht","deliveredAt":"2026-11-29T10:00:00Z"}]}"#;
        let m: Message = serde_json::from_str(text).unwrap();
        assert_eq!(m.status_of(), Some("sub-1"));
        assert_eq!(m.earlier.len(), 2);
        assert!(!m.earlier[1].read);
        let back: Message = serde_json::from_value(serde_json::to_value(&m).unwrap()).unwrap();
        assert_eq!(back, m);

        let mut plain = m.clone();
        plain.earlier.clear();
        plain.kind = MessageKind::Decision;
        let v = serde_json::to_value(&plain).unwrap();
        // No content, no lock level, no `earlier` unless there is one.
        for key in ["content", "requiredLevel", "earlier"] {
            assert!(v.get(key).is_none(), "{key}: {v}");
        }
        assert_eq!(v["attachments"], serde_json::json!([]));
        assert_eq!(plain.status_of(), None);
    }

    #[test]
    fn only_status_messages_with_an_application_fold() {
        let m = |kind: &str, app: &str| -> Message {
            serde_json::from_str(&format!(
                r#"{{"id":"x","kind":"{kind}","sender":"s","title":"t","applicationId":{app},
                "deliveredAt":"2026-11-29T10:00:00Z"}}"#
            ))
            .unwrap()
        };
        assert_eq!(m("status", "\"a\"").status_of(), Some("a"));
        assert_eq!(m("status", "\"\"").status_of(), None);
        assert_eq!(m("status", "null").status_of(), None);
        assert_eq!(m("info", "\"a\"").status_of(), None);
        assert_eq!(m("reminder", "\"a\"").kind, MessageKind::Other);
    }
}
