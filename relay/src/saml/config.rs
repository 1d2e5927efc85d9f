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
    signing_key_file: Option<String>,
    signing_cert_file: Option<String>,
    encryption_key_file: Option<String>,
    encryption_cert_file: Option<String>,
}

/// One of the SP's key pairs from files: the private key and its
/// certificate (PEM), read and checked at start ([`super::keys::from_files`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyFiles {
    pub key: std::path::PathBuf,
    pub cert: std::path::PathBuf,
}

/// A key pair's two files, both or neither (`what`: "signing" or
/// "encryption"). Neither: the generated key shared through the database.
fn key_files(
    what: &str,
    key: Option<String>,
    cert: Option<String>,
) -> anyhow::Result<Option<KeyFiles>> {
    let given = |v: Option<String>| v.filter(|v| !v.trim().is_empty());
    let var = |part: &str| format!("RELAY_SAML_{}_{part}_FILE", what.to_uppercase());
    match (given(key), given(cert)) {
        (Some(key), Some(cert)) => Ok(Some(KeyFiles {
            key: key.trim().into(),
            cert: cert.trim().into(),
        })),
        (None, None) => Ok(None),
        (Some(_), None) => anyhow::bail!(
            "{} ([saml] {what}_key_file) is set but {} ([saml] {what}_cert_file) is not: \
             give the {what} key and its certificate together, or neither",
            var("KEY"),
            var("CERT")
        ),
        (None, Some(_)) => anyhow::bail!(
            "{} ([saml] {what}_cert_file) is set but {} ([saml] {what}_key_file) is not: \
             give the {what} key and its certificate together, or neither",
            var("CERT"),
            var("KEY")
        ),
    }
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
    /// The signing key and certificate from files; `None`: generated.
    pub signing_files: Option<KeyFiles>,
    /// The encryption key and certificate from files; `None`: generated.
    pub encryption_files: Option<KeyFiles>,
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
        let signing_files = key_files(
            "signing",
            env("RELAY_SAML_SIGNING_KEY_FILE").or(file.signing_key_file),
            env("RELAY_SAML_SIGNING_CERT_FILE").or(file.signing_cert_file),
        )?;
        let encryption_files = key_files(
            "encryption",
            env("RELAY_SAML_ENCRYPTION_KEY_FILE").or(file.encryption_key_file),
            env("RELAY_SAML_ENCRYPTION_CERT_FILE").or(file.encryption_cert_file),
        )?;
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
            signing_files,
            encryption_files,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(vars: &[(&str, &str)], file: &str) -> anyhow::Result<SamlConfig> {
        let file: FileSaml = toml::from_str(file)?;
        let env = |k: &str| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        };
        SamlConfig::build(file, "http://127.0.0.1:8080", None, &env)
    }

    fn files(key: &str, cert: &str) -> Option<KeyFiles> {
        Some(KeyFiles {
            key: key.into(),
            cert: cert.into(),
        })
    }

    #[test]
    fn saml_key_files_come_in_pairs() {
        let c = build(&[], "").unwrap();
        assert_eq!((c.signing_files, c.encryption_files), (None, None));
        // Either pair alone; the environment wins over the file.
        let c = build(
            &[("RELAY_SAML_SIGNING_KEY_FILE", "/env/sig.key")],
            "signing_key_file = \"/f/sig.key\"\nsigning_cert_file = \"/f/sig.pem\"",
        )
        .unwrap();
        assert_eq!(c.signing_files, files("/env/sig.key", "/f/sig.pem"));
        assert_eq!(c.encryption_files, None);
        let c = build(
            &[
                ("RELAY_SAML_ENCRYPTION_KEY_FILE", "/e.key"),
                ("RELAY_SAML_ENCRYPTION_CERT_FILE", "/e.pem"),
            ],
            "",
        )
        .unwrap();
        assert_eq!(c.signing_files, None);
        assert_eq!(c.encryption_files, files("/e.key", "/e.pem"));
        // One of a pair alone is refused, naming what is missing.
        let e = build(&[("RELAY_SAML_SIGNING_KEY_FILE", "/k")], "")
            .unwrap_err()
            .to_string();
        assert!(e.contains("RELAY_SAML_SIGNING_CERT_FILE"), "{e}");
        let e = build(&[], "encryption_cert_file = \"/c\"")
            .unwrap_err()
            .to_string();
        assert!(e.contains("RELAY_SAML_ENCRYPTION_KEY_FILE"), "{e}");
        assert!(e.contains("encryption_key_file"), "{e}");
    }
}
