//! The authority's check of the Onlinedienst's attestation (see
//! `contract::attestation` and docs/relay.md): the relay cannot read an
//! application, so what it knows and the authority must trust (the level of
//! the actual login, the attributes the identity provider verified) comes
//! signed, inside the encrypted metadata, as the `identificationReport`.
//!
//! * **Registration:** the authority trusts the keys published by the
//!   Onlinedienste it knows (`BUERGERAMT_RELAY_URL`, each one's
//!   `/api/v1/submission/attestation/jwks`). They are read when a key id is
//!   unknown, at most every [`REFETCH`]; tests register keys directly
//!   ([`register`]). The stand-in reads them over plain HTTP; a real
//!   authority would pin them at registration.
//! * **Verification** ([`verify`], pure): ES256 with a registered key,
//!   `aud` = the destination, bound to this submission and case, the data
//!   hash equal to the hash of the decrypted data, valid when submitted, and
//!   the attested level at least the form's; a fee claim (`payment`) must
//!   be whole ([`check_payment`]: paid or waived, EUR, a Kassenzeichen, a
//!   paid amount above zero with its booking, a waived one zero). Whether
//!   the fee fits the application's answers is the console's check
//!   (`behoerde/payment/`), which shows it to the clerk.
//!   A mandate claim (`mandate`, issue #25: who applied for whom) must be
//!   whole and fit the attested names (`mandates::check`); the subscriber
//!   keeps it with the case (`mandates.rs`) for the console. A request for
//!   a mandate (`mandateRequest`) must come with, and only with, an
//!   application to the service "Vertretung nachweisen" and say what its
//!   form's data say (`mandate_requests::check`).
//! * **Locked fields** ([`locked_fields`], pure): in a form that locks
//!   eID-verified fields (Level 4), every field taken over from an attribute
//!   that the identity provider verified by eID must hold the attested value.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use contract::attestation::{Attestation, ALG, REPORT_TYPE, TYP};
use contract::trust::TrustLevel;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;

use super::events::Problem;
use super::store::Submission;
use crate::AppState;

/// Least time between two reads of the registered Onlinedienste's keys.
pub const REFETCH: Duration = Duration::from_secs(10);
/// Clock skew allowed between the relay and the Zustelldienst.
const SKEW: i64 = 300;

/// The trusted keys of one data directory's authority.
#[derive(Default)]
struct Registry {
    keys: HashMap<String, DecodingKey>,
    fetched: Option<Instant>,
    /// The last read reached every registered Onlinedienst.
    complete: bool,
}

fn registry(state: &AppState) -> Arc<Mutex<Registry>> {
    static ALL: OnceLock<Mutex<HashMap<PathBuf, Arc<Mutex<Registry>>>>> = OnceLock::new();
    let all = ALL.get_or_init(|| Mutex::new(HashMap::new()));
    let mut map = all.lock().unwrap_or_else(|p| p.into_inner());
    map.entry(state.config.data_dir.clone())
        .or_default()
        .clone()
}

/// The keys of a JWKS (`{"keys": [...]}`) that can verify ES256, by `kid`.
fn parse_jwks(jwks: &Value) -> Vec<(String, DecodingKey)> {
    let Some(keys) = jwks["keys"].as_array() else {
        return Vec::new();
    };
    keys.iter()
        .filter(|k| k["kty"] == "EC" && k["crv"] == "P-256" && k["alg"] == ALG)
        .filter_map(|k| {
            let kid = k["kid"].as_str()?.to_string();
            let key = DecodingKey::from_ec_components(k["x"].as_str()?, k["y"].as_str()?).ok()?;
            Some((kid, key))
        })
        .collect()
}

/// Trusts the keys of `jwks` (registration; tests use it directly).
/// Returns how many were usable.
pub fn register(state: &AppState, jwks: &Value) -> usize {
    let found = parse_jwks(jwks);
    let n = found.len();
    let reg = registry(state);
    let mut reg = reg.lock().unwrap_or_else(|p| p.into_inner());
    reg.keys.extend(found);
    n
}

/// The trusted keys now, and whether the last read of the registered
/// Onlinedienste's keys reached all of them (so an unknown key is really
/// nobody's). They are read when `kid` is unknown (at most every
/// [`REFETCH`]).
pub async fn keys_for(state: &AppState, kid: Option<&str>) -> (HashMap<String, DecodingKey>, bool) {
    let reg = registry(state);
    let stale = {
        let r = reg.lock().unwrap_or_else(|p| p.into_inner());
        let unknown = kid.is_some_and(|k| !r.keys.contains_key(k));
        unknown && r.fetched.is_none_or(|t| t.elapsed() >= REFETCH)
    };
    if stale {
        let mut found = Vec::new();
        let mut current = true;
        for url in &state.config.clients.relay_urls {
            let jwks_url = format!("{url}/api/v1/submission/attestation/jwks");
            match fetch_json(&jwks_url).await {
                Ok(jwks) => found.extend(parse_jwks(&jwks)),
                Err(e) => {
                    current = false;
                    tracing::warn!(url = %jwks_url, error = %e, "attestation keys not readable")
                }
            }
        }
        let mut r = reg.lock().unwrap_or_else(|p| p.into_inner());
        r.fetched = Some(Instant::now());
        r.complete = current;
        r.keys.extend(found);
    }
    let r = reg.lock().unwrap_or_else(|p| p.into_inner());
    (r.keys.clone(), r.complete)
}

/// `GET` an `http://` URL and parse its JSON (small answers only).
async fn fetch_json(url: &str) -> anyhow::Result<Value> {
    use http_body_util::{BodyExt, Empty, Limited};
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| anyhow::anyhow!("only http:// is read"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let io = tokio::time::timeout(
        Duration::from_secs(5),
        tokio::net::TcpStream::connect(authority),
    )
    .await??;
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(io)).await?;
    tokio::spawn(conn);
    let req = hyper::Request::get(path)
        .header(hyper::header::HOST, authority)
        .header(hyper::header::ACCEPT, "application/json")
        .body(Empty::<bytes::Bytes>::new())?;
    let resp = tokio::time::timeout(Duration::from_secs(5), sender.send_request(req)).await??;
    if !resp.status().is_success() {
        anyhow::bail!("{url} answered {}", resp.status());
    }
    let body = Limited::new(resp.into_body(), 64 * 1024)
        .collect()
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .to_bytes();
    Ok(serde_json::from_slice(&body)?)
}

/// The attestation's JWS in decrypted metadata, if any.
pub fn jws_of(metadata: &Value) -> Option<&str> {
    metadata["authenticationInformation"]
        .as_array()?
        .iter()
        .find(|a| a["type"] == REPORT_TYPE)?["content"]
        .as_str()
}

/// The `kid` of a JWS header, if readable.
pub fn kid_of(jws: &str) -> Option<String> {
    jsonwebtoken::decode_header(jws).ok()?.kid
}

fn problem(name: &str, title: &str, detail: impl Into<String>) -> Problem {
    Problem::new(name, title, detail, "metadata")
}

/// What the attestation is checked against: the hash of the decrypted
/// data, the level the form needs, the LeiKa key of the destination's
/// service and, for an application (not a follow-up), its decrypted data.
pub struct Expected<'a> {
    pub data_sha512_hex: &'a str,
    pub form_level: TrustLevel,
    pub leika: &'a str,
    pub application: Option<&'a Value>,
}

/// Verifies the attestation of submission `s` (see the module
/// documentation) against what `expected` says.
pub fn verify(
    metadata: &Value,
    keys: &HashMap<String, DecodingKey>,
    s: &Submission,
    expected: &Expected<'_>,
) -> Result<Attestation, Problem> {
    let (data_sha512_hex, form_level) = (expected.data_sha512_hex, expected.form_level);
    let missing = || {
        problem(
            "missing-authentication-info",
            "Bestätigung des Onlinedienstes fehlt",
            "metadata.authenticationInformation has no identificationReport with the Onlinedienst's attestation",
        )
    };
    let invalid = |detail: &str| {
        problem(
            "invalid-authentication-info",
            "Bestätigung des Onlinedienstes ungültig",
            detail.to_string(),
        )
    };
    let jws = jws_of(metadata).ok_or_else(missing)?;
    let header =
        jsonwebtoken::decode_header(jws).map_err(|_| invalid("the attestation is not a JWS"))?;
    if header.typ.as_deref() != Some(TYP) {
        return Err(invalid(
            "the report is not the Onlinedienst's attestation (typ)",
        ));
    }
    let kid = header
        .kid
        .ok_or_else(|| invalid("the attestation's header names no key"))?;
    let key = keys.get(&kid).ok_or_else(|| {
        invalid("the attestation is signed with a key this authority does not trust")
    })?;
    let mut v = Validation::new(Algorithm::ES256);
    v.set_audience(&[s.destination_id.as_str()]);
    v.validate_exp = false;
    v.required_spec_claims.clear();
    let claims = jsonwebtoken::decode::<Attestation>(jws, key, &v)
        .map_err(|e| invalid(&format!("the attestation does not verify: {e}")))?
        .claims;
    if claims.submission_id != s.id || claims.case_id != s.case_id {
        return Err(invalid("the attestation belongs to another submission"));
    }
    if claims.data_hash.kind != "sha512" || claims.data_hash.content != data_sha512_hex {
        return Err(invalid("the attestation was given for other data"));
    }
    let at = s.submitted_at.unwrap_or(claims.iat);
    if claims.exp < at || claims.iat > at + SKEW {
        return Err(invalid(
            "the attestation was not valid when the application was submitted",
        ));
    }
    let level = TrustLevel::parse(&claims.level_of_assurance)
        .map_err(|_| invalid("the attestation names no known level"))?;
    if !level.satisfies(form_level) {
        return Err(invalid(&format!(
            "the login reached {}, the service needs {}",
            level.as_str(),
            form_level.as_str()
        )));
    }
    if let Some(p) = &claims.payment {
        check_payment(p).map_err(|e| invalid(&format!("the attested fee is not usable: {e}")))?;
    }
    if let Some(m) = &claims.mandate {
        super::mandates::check(m, &claims.verified_attributes, super::followup::day_of(at))
            .map_err(|e| invalid(&format!("the attested mandate is not usable: {e}")))?;
    }
    super::mandate_requests::check(
        &claims,
        expected.leika,
        expected.application,
        super::followup::day_of(at),
    )
    .map_err(|e| invalid(&format!("the attested mandate request is not usable: {e}")))?;
    Ok(claims)
}

/// The pure checks of the attested fee: `PAID` (a positive amount of at
/// most [`contract::payment::MAX_AMOUNT_CENTS`], with the provider's
/// booking) or `WAIVED` (amount 0); `EUR`; a Kassenzeichen of 1 to 35
/// plain characters; a provider named.
pub fn check_payment(p: &contract::payment::AttestedPayment) -> Result<(), &'static str> {
    use contract::payment::{self as cp, FeeState};
    if p.currency != cp::CURRENCY {
        return Err("the currency is not EUR");
    }
    if p.reference.trim().is_empty() || !cp::plain_text(&p.reference, cp::MAX_REFERENCE_CHARS) {
        return Err("the Kassenzeichen is empty or not plain text of at most 35 characters");
    }
    if p.provider.trim().is_empty() {
        return Err("no payment provider is named");
    }
    match p.state {
        FeeState::Paid if p.amount == 0 || p.amount > cp::MAX_AMOUNT_CENTS => {
            Err("a paid fee needs an amount above zero")
        }
        FeeState::Paid if p.payment_information.is_none() => {
            Err("a paid fee needs the provider's booking (paymentInformation)")
        }
        FeeState::Paid => Ok(()),
        FeeState::Waived if p.amount != 0 => Err("a waived fee has the amount 0"),
        FeeState::Waived => Ok(()),
        _ => Err("the fee is neither paid nor waived"),
    }
}

/// Fields shown to the citizen as eID-verified (locked) that do not hold
/// the attested value. Only forms of Level 4 lock (as the app does).
pub fn locked_fields(
    schema: &Value,
    level: TrustLevel,
    data: &Value,
    a: &Attestation,
) -> Vec<Problem> {
    let mut out = Vec::new();
    if level != TrustLevel::Level4 {
        return out;
    }
    walk(schema, data, "", a, 0, &mut out);
    out
}

fn walk(
    schema: &Value,
    data: &Value,
    at: &str,
    a: &Attestation,
    depth: usize,
    out: &mut Vec<Problem>,
) {
    let Some(props) = schema["properties"].as_object() else {
        return;
    };
    if depth > 16 {
        return;
    }
    for (name, sub) in props {
        let path = format!("{at}/{name}");
        let value = &data[name.as_str()];
        if let Some(attr) = sub["x-prefill"].as_str() {
            let attested = a
                .verified_attributes
                .iter()
                .find(|v| v.name == attr && v.source == "eid");
            if let (Some(attested), Some(given)) = (attested, value.as_str()) {
                if given.trim() != attested.value.trim() {
                    out.push(Problem::new(
                        "schema-violation",
                        "Geprüfte Angabe geändert",
                        format!("{path}: differs from the value the eID card confirmed ({attr})"),
                        path.clone(),
                    ));
                }
            }
        }
        if value.is_object() {
            walk(sub, value, &path, a, depth + 1, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use contract::attestation::{AttestedAttribute, DataHash};
    use serde_json::json;

    fn attestation(level: &str) -> Attestation {
        Attestation {
            iss: "http://relay".into(),
            aud: "dest".into(),
            iat: 100,
            exp: 100 + 86_400,
            submission_id: "sub".into(),
            case_id: "case".into(),
            data_hash: DataHash {
                kind: "sha512".into(),
                content: "ab".repeat(64),
            },
            level_of_assurance: level.into(),
            auth_time: Some(90),
            method: "eid".into(),
            verified_attributes: vec![AttestedAttribute {
                name: "surname".into(),
                value: "Mustermann".into(),
                source: "eid".into(),
            }],
            payment: None,
            mandate: None,
            mandate_request: None,
        }
    }

    #[test]
    fn a_changed_eid_field_is_found_only_in_level_4_forms() {
        let schema = json!({"properties": {
            "person": {"type": "object", "properties": {
                "name": {"type": "string", "x-prefill": "surname"},
                "vorname": {"type": "string", "x-prefill": "givenName"}
            }}
        }});
        let a = attestation("STORK-QAA-Level-4");
        let same = json!({"person": {"name": "Mustermann", "vorname": "Eri"}});
        assert!(locked_fields(&schema, TrustLevel::Level4, &same, &a).is_empty());
        let changed = json!({"person": {"name": "Musterfrau", "vorname": "Erika"}});
        let p = locked_fields(&schema, TrustLevel::Level4, &changed, &a);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].instance, "/person/name");
        assert!(
            !p[0].detail.contains("Musterfrau"),
            "the typed value is not echoed"
        );
        assert!(locked_fields(&schema, TrustLevel::Level3, &changed, &a).is_empty());
    }

    fn paid() -> contract::payment::AttestedPayment {
        use contract::payment::{PaymentInformation, PaymentMethod, PaymentStatus};
        contract::payment::AttestedPayment {
            state: contract::payment::FeeState::Paid,
            amount: 1300,
            currency: "EUR".into(),
            reference: "K-2026-0001".into(),
            provider: "ePayBL-Testsystem (Stand-in)".into(),
            fee_basis: Default::default(),
            payment_information: Some(PaymentInformation {
                transaction_id: "ZB-1".into(),
                transaction_timestamp: "2026-12-03T16:23:45Z".into(),
                payment_method: PaymentMethod::SepaDirectDebit,
                payment_method_detail: "DE89 **** **** **** **30 00".into(),
                status: PaymentStatus::Payed,
            }),
        }
    }

    #[test]
    fn a_fee_claim_is_whole_or_refused() {
        use contract::payment::{AttestedPayment, FeeState};
        assert_eq!(check_payment(&paid()), Ok(()));
        let waived = AttestedPayment {
            state: FeeState::Waived,
            amount: 0,
            payment_information: None,
            ..paid()
        };
        assert_eq!(check_payment(&waived), Ok(()));
        let bad: [fn(&mut AttestedPayment); 9] = [
            |p| p.amount = 0,
            |p| p.amount = contract::payment::MAX_AMOUNT_CENTS + 1,
            |p| p.currency = "USD".into(),
            |p| p.reference = " ".into(),
            |p| p.reference = "K\n1".into(),
            |p| p.provider = String::new(),
            |p| p.payment_information = None,
            |p| p.state = FeeState::Open,
            |p| p.state = FeeState::Canceled,
        ];
        for (i, f) in bad.iter().enumerate() {
            let mut p = paid();
            f(&mut p);
            assert!(check_payment(&p).is_err(), "case {i}");
        }
        let mut w = waived;
        w.amount = 1300;
        assert!(check_payment(&w).is_err(), "a waived fee with an amount");
    }

    #[test]
    fn jwks_keys_are_read_by_kid_and_others_ignored() {
        let jwks = json!({"keys": [
            {"kty": "EC", "crv": "P-256", "alg": "ES256", "kid": "k1",
             "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
             "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},
            {"kty": "RSA", "kid": "r", "n": "AQAB", "e": "AQAB"}
        ]});
        let keys = parse_jwks(&jwks);
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].0, "k1");
    }
}
