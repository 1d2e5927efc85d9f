//! `[saml]` / `RELAY_SAML_*`: the relay as a SAML 2.0 service provider
//! (issue #20), used when `identity = "saml"` (`RELAY_IDENTITY=saml`).

use serde::Deserialize;

/// Which protocol logs citizens in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IdentityKind {
    /// BundID through an OIDC broker (the default).
    #[default]
    Oidc,
    /// BundID directly, the relay as SAML service provider.
    Saml,
}

impl IdentityKind {
    pub fn parse(s: &str) -> anyhow::Result<Self> {
        match s.trim() {
            "oidc" => Ok(Self::Oidc),
            "saml" => Ok(Self::Saml),
            other => anyhow::bail!("identity must be \"oidc\" or \"saml\", got {other:?}"),
        }
    }
}

/// The `[saml]` table of the TOML file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSaml {
    entity_id: Option<String>,
    idp_metadata_url: Option<String>,
    idp_metadata_file: Option<String>,
    display_name: Option<String>,
    online_service_id: Option<String>,
    session_seconds: Option<u64>,
}

/// Where the IdP's metadata comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdpMetadataSource {
    Url(String),
    File(std::path::PathBuf),
}

#[derive(Debug, Clone)]
pub struct SamlConfig {
    /// Our entity id (default: the metadata URL).
    pub entity_id: String,
    /// Our Assertion Consumer Service (HTTP-POST).
    pub acs_url: String,
    /// Where the IdP sends the LogoutResponse (HTTP-Redirect).
    pub slo_url: String,
    /// The SP metadata URL.
    pub metadata_url: String,
    /// `None` only when nothing names an IdP (then a SAML login fails closed).
    pub idp_metadata: Option<IdpMetadataSource>,
    /// `akdb:DisplayInformation`: the organisation's display name.
    pub display_name: String,
    /// `akdb:DisplayInformation`: the online service's id at BundID.
    pub online_service_id: String,
    /// How long a SAML login lasts without its own `SessionNotOnOrAfter`.
    pub session_seconds: i64,
}

impl SamlConfig {
    pub fn build(
        file: FileSaml,
        public_url: &str,
        upstream: Option<&str>,
        env: &impl Fn(&str) -> Option<String>,
    ) -> anyhow::Result<Self> {
        let base = format!("{public_url}{}/saml", contract::relay::API_PREFIX);
        let metadata_url = format!("{base}/metadata");
        let idp_metadata = match (
            env("RELAY_SAML_IDP_METADATA_URL").or(file.idp_metadata_url),
            env("RELAY_SAML_IDP_METADATA_FILE").or(file.idp_metadata_file),
        ) {
            (Some(_), Some(_)) => anyhow::bail!(
                "RELAY_SAML_IDP_METADATA_URL and RELAY_SAML_IDP_METADATA_FILE: name one"
            ),
            (Some(u), None) => {
                if !(u.starts_with("https://") || u.starts_with("http://")) {
                    anyhow::bail!("RELAY_SAML_IDP_METADATA_URL must be an http(s) URL");
                }
                Some(IdpMetadataSource::Url(u.trim_end_matches('/').to_string()))
            }
            (None, Some(f)) => Some(IdpMetadataSource::File(f.into())),
            (None, None) => {
                upstream.map(|u| IdpMetadataSource::Url(format!("{u}/idp/saml/metadata")))
            }
        };
        let text = |v: Option<String>, default: &str, max: usize, what: &str| {
            let v = v.unwrap_or_else(|| default.to_string());
            if v.trim().is_empty() || v.len() > max {
                anyhow::bail!("{what} must be 1 to {max} characters");
            }
            Ok(v.trim().to_string())
        };
        let session_seconds = match env("RELAY_SAML_SESSION_SECONDS") {
            Some(v) => v
                .parse::<u64>()
                .map_err(|_| anyhow::anyhow!("RELAY_SAML_SESSION_SECONDS must be a number"))?,
            None => file.session_seconds.unwrap_or(1800),
        };
        Ok(SamlConfig {
            entity_id: text(
                env("RELAY_SAML_ENTITY_ID").or(file.entity_id),
                &metadata_url,
                1024,
                "RELAY_SAML_ENTITY_ID",
            )?,
            acs_url: format!("{base}/acs"),
            slo_url: format!("{base}/slo"),
            metadata_url,
            idp_metadata,
            display_name: text(
                env("RELAY_SAML_DISPLAY_NAME").or(file.display_name),
                "Bürgeramt",
                200,
                "RELAY_SAML_DISPLAY_NAME",
            )?,
            online_service_id: text(
                env("RELAY_SAML_ONLINE_SERVICE_ID").or(file.online_service_id),
                "buergeramt",
                200,
                "RELAY_SAML_ONLINE_SERVICE_ID",
            )?,
            session_seconds: session_seconds.clamp(60, 86_400) as i64,
        })
    }
}
