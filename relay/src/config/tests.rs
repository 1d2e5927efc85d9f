//! Tests of `config.rs`: reading the relay's configuration from its environment.

use super::*;

fn build(vars: &[(&str, &str)], file: &str) -> anyhow::Result<Config> {
    let file: FileConfig = toml::from_str(file)?;
    Config::build(file, |k| {
        vars.iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| v.to_string())
    })
}

#[test]
fn identity_is_oidc_unless_saml_is_chosen() {
    use crate::saml::config::IdpMetadataSource;
    use crate::saml::IdentityKind;
    let up = [("RELAY_UPSTREAM", "http://127.0.0.1:9000")];
    let c = build(&up, "").unwrap();
    assert_eq!(c.identity_kind, IdentityKind::Oidc);
    assert_eq!(
        c.saml.idp_metadata,
        Some(IdpMetadataSource::Url(
            "http://127.0.0.1:9000/idp/saml/metadata".into()
        ))
    );
    assert_eq!(
        c.saml.entity_id,
        "http://127.0.0.1:8080/api/v1/saml/metadata"
    );
    let c = build(&up, "identity = \"saml\"").unwrap();
    assert_eq!(c.identity_kind, IdentityKind::Saml);
    let c = build(
        &up,
        "[identity]\nmode = \"saml\"\nissuer = \"https://x.example\"",
    )
    .unwrap();
    assert_eq!(c.identity_kind, IdentityKind::Saml);
    let c = build(&[up[0], ("RELAY_IDENTITY", "saml")], "").unwrap();
    assert_eq!(c.identity_kind, IdentityKind::Saml);
    // SAML needs no OIDC secret for a remote issuer.
    let remote = [
        ("RELAY_UPSTREAM", "http://127.0.0.1:9000"),
        ("RELAY_OIDC_ISSUER", "https://idp.example"),
        ("RELAY_IDENTITY", "saml"),
    ];
    assert!(build(&remote, "").is_ok());
    assert!(build(&remote[..2], "").is_err(), "OIDC still needs it");
    assert!(build(&[up[0], ("RELAY_IDENTITY", "ldap")], "").is_err());
    assert!(build(&up, "[saml]\nidp_metadata_url = \"ftp://x\"").is_err());
}

#[test]
fn upstream_fills_every_url_and_dev_secrets_on_loopback() {
    let c = build(&[("RELAY_UPSTREAM", "http://127.0.0.1:9000/")], "").unwrap();
    assert_eq!(c.identity.issuer, "http://127.0.0.1:9000/idp");
    assert_eq!(c.pvog.base_url, "http://127.0.0.1:9000/pvog");
    assert_eq!(c.pvog.token_url, "http://127.0.0.1:9000/idp/token");
    assert_eq!(c.zbp.base_url, "http://127.0.0.1:9000/zbp");
    assert_eq!(c.zbp.scope, "zbp:deliver");
    assert_eq!(c.fitconnect.base_url, "http://127.0.0.1:9000/fitconnect");
    assert_eq!(c.payment.service.base_url, "http://127.0.0.1:9000/payment");
    assert_eq!(c.payment.service.scope, "payment:create");
    assert_eq!(c.payment.provider_name, "ePayBL-Testsystem (Stand-in)");
    assert_eq!(c.identity.client_secret, DEV_OIDC_SECRET);
    assert_eq!(c.public_url, "http://127.0.0.1:8080");
    assert!(!c.https());
}

#[test]
fn remote_upstreams_need_real_secrets() {
    let e = build(&[("RELAY_UPSTREAM", "https://idp.example")], "").unwrap_err();
    assert!(e.to_string().contains("RELAY_OIDC_CLIENT_SECRET"), "{e}");
    let c = build(
        &[
            ("RELAY_UPSTREAM", "https://idp.example"),
            ("RELAY_PUBLIC_URL", "https://buergeramt.example"),
        ],
        r#"
        [identity]
        client_secret = "0123456789abcdef-oidc"
        [pvog]
        client_secret = "0123456789abcdef-pvog"
        base_url = "https://pvog.example/api"
        [zbp]
        client_secret = "0123456789abcdef-zbp"
        [fitconnect]
        client_secret = "0123456789abcdef-fit"
        [termine]
        client_secret = "0123456789abcdef-termine"
        [payment]
        client_secret = "0123456789abcdef-payment"
        originator_id = "stadt-hilden"
        "#,
    )
    .unwrap();
    assert_eq!(c.pvog.base_url, "https://pvog.example/api");
    assert_eq!(c.payment.service.base_url, "https://idp.example/payment");
    assert_eq!(c.payment.originator_id, "stadt-hilden");
    assert!(c.https());
    assert_eq!(
        c.callback_url(),
        "https://buergeramt.example/api/v1/login/callback"
    );
}

#[test]
fn environment_wins_and_nonsense_is_refused() {
    let c = build(
        &[
            ("RELAY_UPSTREAM", "http://localhost:1"),
            ("RELAY_PVOG_URL", "http://localhost:2/pvog"),
        ],
        r#"[pvog]
        base_url = "http://localhost:3/pvog""#,
    )
    .unwrap();
    assert_eq!(c.pvog.base_url, "http://localhost:2/pvog");
    assert!(build(&[], "").is_err(), "no upstream at all");
    assert!(build(&[("RELAY_UPSTREAM", "ftp://x")], "").is_err());
    assert!(build(&[("RELAY_UPSTREAM", "http://localhost:1")], "nope = 1").is_err());
    assert!(build(
        &[
            ("RELAY_UPSTREAM", "http://localhost:1"),
            ("RELAY_SESSION_MAX_SECONDS", "0")
        ],
        ""
    )
    .is_err());
}

#[test]
fn loopback_is_recognised() {
    for u in [
        "http://127.0.0.1:8080/idp",
        "http://localhost/x",
        "https://[::1]:9/",
    ] {
        assert!(is_loopback_url(u), "{u}");
    }
    for u in [
        "https://127.0.0.1.evil.example/",
        "https://example.org",
        "x",
    ] {
        assert!(!is_loopback_url(u), "{u}");
    }
}

#[test]
fn limits_have_defaults_and_can_be_set() {
    let up = ("RELAY_UPSTREAM", "http://localhost:1");
    let c = build(&[up], "").unwrap();
    assert_eq!(c.limits, crate::limits::Limits::default());
    let c = build(
        &[up, ("RELAY_LIMIT_LOGIN_PER_IP", "7")],
        "trusted_proxies = [\"10.0.0.0/8\"]\n[limits]\nlogin_per_ip = 3\nopen_applications = 2",
    )
    .unwrap();
    assert_eq!(c.limits.login_per_ip, 7, "the environment wins");
    assert_eq!(c.limits.open_applications, 2);
    assert_eq!(c.limits.trusted_proxies.len(), 1);
    let c = build(&[up, ("RELAY_TRUSTED_PROXIES", "127.0.0.1, ::1")], "").unwrap();
    assert_eq!(c.limits.trusted_proxies.len(), 2);
    assert!(build(&[up, ("RELAY_TRUSTED_PROXIES", "nope")], "").is_err());
    assert!(build(&[up, ("RELAY_LIMIT_SUBMIT_PER_IP", "0")], "").is_err());
    assert!(build(&[up], "[limits]\nnope = 1").is_err());
}

#[test]
fn dist_dir_defaults_to_dist_and_can_be_set() {
    let up = ("RELAY_UPSTREAM", "http://localhost:1");
    assert_eq!(build(&[up], "").unwrap().dist_dir, PathBuf::from("dist"));
    let c = build(&[up], r#"dist_dir = "/srv/app""#).unwrap();
    assert_eq!(c.dist_dir, PathBuf::from("/srv/app"));
    let c = build(
        &[up, ("RELAY_DIST", "/opt/dist")],
        r#"dist_dir = "/srv/app""#,
    )
    .unwrap();
    assert_eq!(c.dist_dir, PathBuf::from("/opt/dist"));
}
