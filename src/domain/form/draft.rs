//! A draft: everything needed to continue an application exactly where
//! the citizen left it, including a send that was interrupted. It is
//! stored encrypted on the device (`browser::drafts`), one per account
//! and service.

use serde::{Deserialize, Serialize};

use super::answers::Answers;

/// Bumped when the stored shape changes incompatibly.
pub const DRAFT_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Draft {
    pub version: u32,
    /// The schema (`$id`) the answers belong to.
    pub form_id: String,
    /// The place (ARS) the application is for.
    #[serde(default)]
    pub ars: String,
    /// The form's title (German, English), for the list of drafts.
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub title_en: String,
    pub answers: Answers,
    /// The furthest step reached (index), so "Weiter" is not needed again
    /// after a reload.
    #[serde(default)]
    pub reached: usize,
    /// A send in progress, kept so a retry continues it instead of
    /// creating a second application.
    #[serde(default)]
    pub sending: Option<Sending>,
    /// Whether the citizen changed anything (prefilled values alone do
    /// not make a draft worth continuing or discarding).
    #[serde(default)]
    pub touched: bool,
    /// The fee step, once the citizen has reached it: the declaration
    /// given on "Angaben prüfen" and the last known state of the payment,
    /// so "Meine Anträge" can offer "Jetzt bezahlen" after the tab was
    /// closed on the pay page.
    #[serde(default)]
    pub payment: Option<PaymentNote>,
    /// Made for someone else under a mandate (issue #25): that person's
    /// draft is kept apart from the citizen's own for the same service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub for_person: Option<ForPerson>,
}

/// [`Draft::for_person`]: the mandate and the name it was made for.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ForPerson {
    pub mandate_id: String,
    /// "Erika Mustermann", for the list of drafts.
    pub name: String,
}

/// [`Draft::payment`].
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct PaymentNote {
    /// The declaration was given before going to the fee step.
    pub declared: bool,
    /// The relay's last answer (`contract::payment::FeeState`), if any.
    #[serde(default)]
    pub state: Option<contract::payment::FeeState>,
    /// Cents due.
    #[serde(default)]
    pub amount: u64,
}

impl PaymentNote {
    /// Paid (or waived) but not yet sent: "Jetzt senden".
    pub fn settled(&self) -> bool {
        self.state.is_some_and(|s| s.settled())
    }
}

/// The state of a send, written before each network step.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Sending {
    /// Sent as `Idempotency-Key` with the announcement.
    pub idempotency_key: String,
    pub destination_id: String,
    /// Attachment ids in the announced order.
    pub attachment_ids: Vec<String>,
    #[serde(default)]
    pub submission_id: Option<String>,
    #[serde(default)]
    pub case_id: Option<String>,
    /// The short reference the relay gave at the announcement.
    #[serde(default)]
    pub reference: Option<String>,
}

impl Draft {
    pub fn new(form_id: &str, ars: &str) -> Self {
        Draft {
            version: DRAFT_VERSION,
            form_id: form_id.to_string(),
            ars: ars.to_string(),
            ..Draft::default()
        }
    }

    /// Reads a stored draft for `form_id`; a draft of another schema or an
    /// older shape is not used (None), never half-applied.
    pub fn from_json(json: &str, form_id: &str) -> Option<Draft> {
        crate::domain::json::from_text::<Draft>(json)
            .ok()
            .filter(|d| d.version == DRAFT_VERSION && d.form_id == form_id)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Whether the citizen has typed or chosen nothing yet.
    pub fn is_empty(&self) -> bool {
        !self.touched && self.reached == 0
    }

    /// After an edit, a send that never reached the server is forgotten
    /// (its key would not match the new request). An announced one is
    /// kept: the next send asks the server how far it got, so a submit
    /// whose answer was lost is never made twice.
    pub fn edited(&mut self) {
        self.touched = true;
        if self
            .sending
            .as_ref()
            .is_some_and(|s| s.submission_id.is_none())
        {
            self.sending = None;
        }
    }
}

/// The storage key of a service's draft.
pub fn draft_key(service_id: &str) -> String {
    format!("antrag:{service_id}")
}

/// The storage key of a service's draft, made for the person of
/// `mandate` (a draft of its own) or for oneself.
pub fn draft_key_for(service_id: &str, mandate: Option<&str>) -> String {
    match mandate {
        Some(m) => format!("antrag:{service_id}@{m}"),
        None => draft_key(service_id),
    }
}

/// The service id in a draft's storage key.
pub fn service_of_key(key: &str) -> Option<&str> {
    key.strip_prefix("antrag:")
        .map(|s| s.split_once('@').map_or(s, |(service, _)| service))
        .filter(|s| !s.is_empty())
}

/// The mandate a draft is made under, from its storage key.
pub fn mandate_of_key(key: &str) -> Option<&str> {
    key.strip_prefix("antrag:")
        .and_then(|s| s.split_once('@'))
        .map(|(_, m)| m)
        .filter(|m| !m.is_empty())
}

/// Reads any stored draft (whatever its form) for the list of drafts.
pub fn peek(json: &str) -> Option<Draft> {
    crate::domain::json::from_text::<Draft>(json)
        .ok()
        .filter(|d| d.version == DRAFT_VERSION)
}
