//! Follow-ups through the relay: the destination's follow-up schema and
//! key id, and the announce of a follow-up in an existing case (FIT-Connect's
//! `caseId` on announce). Upload, attestation and submit use the same routes
//! as an application ([`super::submit`]).

use serde::Deserialize;

use super::submit::{send_json, Announced, Announcement};
use crate::api::{get_json, ApiError, Backends};
use crate::domain::search_url::encode as url_encode;

/// What a follow-up needs of its destination.
#[derive(Debug, Clone, PartialEq)]
pub struct FollowUpTarget {
    pub status: String,
    pub encryption_kid: String,
    /// The follow-up schema's URI (the destination's entry whose file is
    /// `contract::followup::SCHEMA_FILE`).
    pub schema_uri: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Destination {
    #[serde(default)]
    status: String,
    #[serde(default)]
    encryption_kid: String,
    #[serde(default)]
    services: Vec<Service>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Service {
    #[serde(default)]
    submission_schemas: Vec<super::submit::SchemaRef>,
}

/// The follow-up schema among a destination's schemas.
pub fn follow_up_schema<'a>(uris: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    uris.into_iter()
        .find(|u| super::submit::schema_file(u) == Some(contract::followup::SCHEMA_FILE))
}

impl Backends {
    /// `GET /api/v1/submission/destinations/{id}`.
    pub async fn follow_up_target(&self, destination_id: &str) -> Result<FollowUpTarget, ApiError> {
        let d: Destination = get_json(&self.url(&format!(
            "submission/destinations/{}",
            url_encode(destination_id)
        )))
        .await?;
        let schema_uri = follow_up_schema(
            d.services
                .iter()
                .flat_map(|s| s.submission_schemas.iter())
                .map(|s| s.schema_uri.as_str()),
        )
        .map(str::to_string);
        Ok(FollowUpTarget {
            status: d.status,
            encryption_kid: d.encryption_kid,
            schema_uri,
        })
    }

    /// Announces a follow-up in the case `body.case_id` (idempotent by key).
    pub async fn announce_follow_up(
        &self,
        idempotency_key: &str,
        body: &Announcement,
    ) -> Result<Announced, ApiError> {
        send_json(
            "POST",
            &self.url("applications"),
            body,
            Some(idempotency_key),
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::follow_up_schema;

    #[test]
    fn the_follow_up_schema_is_found_by_its_file_name() {
        let uris = [
            "http://x/fitconnect/schemas/hundesteuer-anmelden.schema.json",
            "http://x/fitconnect/schemas/nachreichung.schema.json",
        ];
        assert_eq!(follow_up_schema(uris), Some(uris[1]));
        assert_eq!(follow_up_schema([uris[0]]), None);
    }
}
