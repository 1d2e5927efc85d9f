//! Which of the authority's status messages (from the postbox) belongs to
//! which step of an application's timeline, so that "Meine Anträge" shows
//! one list: each step with the messages that reached it, not the timeline
//! and a second numbered list of the same statuses.

use crate::domain::postbox::{ApplicationStatus, StatusEntry};
use crate::domain::timeline::{Step, StepKind, StepState};

/// The step a status message reports. "Handlung nötig" (action required)
/// happens while the application is being processed.
pub fn step_of(status: ApplicationStatus) -> Option<StepKind> {
    use ApplicationStatus as S;
    match status {
        S::Initiated | S::Submitted => Some(StepKind::Sent),
        S::Received => Some(StepKind::Received),
        S::Processing | S::ActionRequired => Some(StepKind::InProgress),
        S::Completed => Some(StepKind::Completed),
        S::Unknown => None,
    }
}

/// The messages of each step, in the order of `steps` and, within a step,
/// in the order given (the postbox answers oldest first). A message whose
/// step is not reached in the timeline (an unknown status, or a step the
/// verified events do not show) goes to the current step, or to the last
/// one reached, so that no message of the authority is ever dropped.
pub fn per_step(steps: &[Step], statuses: &[StatusEntry]) -> Vec<Vec<StatusEntry>> {
    let mut out: Vec<Vec<StatusEntry>> = vec![Vec::new(); steps.len()];
    if steps.is_empty() {
        return out;
    }
    let fallback = steps
        .iter()
        .position(|s| s.state == StepState::Current)
        .or_else(|| steps.iter().rposition(|s| s.state == StepState::Done))
        .unwrap_or(steps.len() - 1);
    for entry in statuses {
        let own = step_of(entry.status).and_then(|kind| {
            steps
                .iter()
                .position(|s| s.kind == kind && s.state != StepState::Upcoming)
        });
        out[own.unwrap_or(fallback)].push(entry.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(kind: StepKind, state: StepState) -> Step {
        Step {
            kind,
            state,
            at: None,
            problems: Vec::new(),
        }
    }

    fn entry(status: ApplicationStatus, id: &str) -> StatusEntry {
        StatusEntry {
            application_id: "a".into(),
            status,
            public_service_name: None,
            sender_name: None,
            created_date: "2026-12-01T10:00:00Z".into(),
            status_details: None,
            additional_information: None,
            reference: None,
            message_id: Some(id.into()),
            locked: false,
        }
    }

    fn ids(v: &[Vec<StatusEntry>]) -> Vec<Vec<String>> {
        v.iter()
            .map(|s| s.iter().filter_map(|e| e.message_id.clone()).collect())
            .collect()
    }

    #[test]
    fn each_status_sits_at_its_step_and_a_request_at_processing() {
        use ApplicationStatus as S;
        let steps = [
            step(StepKind::Sent, StepState::Done),
            step(StepKind::Received, StepState::Done),
            step(StepKind::InProgress, StepState::Done),
            step(StepKind::Completed, StepState::Current),
        ];
        let statuses = [
            entry(S::Submitted, "m0"),
            entry(S::Received, "m1"),
            entry(S::Processing, "m2"),
            entry(S::ActionRequired, "m3"),
            entry(S::Completed, "m4"),
        ];
        assert_eq!(
            ids(&per_step(&steps, &statuses)),
            vec![
                vec!["m0".to_string()],
                vec!["m1".to_string()],
                vec!["m2".to_string(), "m3".to_string()],
                vec!["m4".to_string()],
            ]
        );
    }

    #[test]
    fn a_message_without_a_reached_step_goes_to_the_current_one() {
        use ApplicationStatus as S;
        // The events could not be verified: only "Gesendet" is shown, but
        // the postbox already holds "Eingegangen" and an unknown status.
        let steps = [
            step(StepKind::Sent, StepState::Current),
            step(StepKind::Received, StepState::Upcoming),
            step(StepKind::InProgress, StepState::Upcoming),
            step(StepKind::Completed, StepState::Upcoming),
        ];
        let statuses = [entry(S::Received, "m1"), entry(S::Unknown, "m2")];
        let out = per_step(&steps, &statuses);
        assert_eq!(
            ids(&out),
            vec![
                vec!["m1".to_string(), "m2".to_string()],
                vec![],
                vec![],
                vec![]
            ]
        );
        // Nothing is dropped, whatever the steps.
        let total: usize = out.iter().map(Vec::len).sum();
        assert_eq!(total, statuses.len());
        assert!(per_step(&[], &statuses).is_empty());
    }

    #[test]
    fn a_rejected_case_keeps_its_messages_at_the_last_step() {
        use ApplicationStatus as S;
        let steps = [
            step(StepKind::Sent, StepState::Done),
            step(StepKind::Rejected, StepState::Current),
        ];
        let out = per_step(&steps, &[entry(S::Received, "m1")]);
        assert_eq!(ids(&out), vec![vec![], vec!["m1".to_string()]]);
    }
}
