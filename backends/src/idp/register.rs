//! Registration of a Basis account (Level-1, self-declared data).
//!
//! The citizen proposes a username; the provider always appends a random
//! number (`ada.neu` → `ada.neu.4821`) and shows the result. There is no
//! "name taken" answer: whether the proposed name (or any other) exists
//! changes nothing in the answer, so registration cannot be used to find
//! out which usernames exist. After registering, the citizen logs in with
//! the new name (prefilled) and the password; registrations are limited per
//! client ([`super::limits`]).

use axum::{
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::Response,
    Extension,
};
use std::sync::Arc;

use super::limits::{Action, Client};
use super::login::{
    active, css, field, form_fields, internal, over_limit, refuse_level, render_login, Active,
    FormMap,
};
use super::pages::{self, alert, Kind};
use super::{now_secs, store, LoginMethod};
use crate::static_files::Site;
use crate::AppState;

/// Longest username proposed (the appended number makes it at most 64).
pub const MAX_PROPOSED: usize = 48;

/// `GET /idp/login/{tx}/register`
pub async fn register_page(
    State(state): State<AppState>,
    Extension(site): Extension<Arc<Site>>,
    Path(tx_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let a = match active(&state, &site, &tx_id, &headers, None).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    if !LoginMethod::Password.level().satisfies(a.needed) {
        return refuse_level(&site, &a, LoginMethod::Password);
    }
    show_register(&site, &a, None, &[], StatusCode::OK)
}

fn show_register(
    site: &Site,
    a: &Active,
    notice: Option<String>,
    values: &[(&str, String)],
    status: StatusCode,
) -> Response {
    let view = pages::RegisterView {
        tx: &a.tx.id,
        csrf: &a.csrf,
        notice,
        values,
    };
    pages::page(
        status,
        &css(site),
        "Basiskonto registrieren",
        &pages::register_page(&view),
    )
}

/// `POST /idp/login/{tx}/register`: creates a Basis account under the
/// proposed name plus a random number, then shows the login with it.
pub async fn register(
    State(state): State<AppState>,
    Extension(site): Extension<Arc<Site>>,
    Path(tx_id): Path<String>,
    client: Client,
    headers: HeaderMap,
    form: FormMap,
) -> Response {
    let f = form_fields(form);
    let a = match active(&state, &site, &tx_id, &headers, Some(field(&f, "csrf"))).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    if !LoginMethod::Password.level().satisfies(a.needed) {
        return refuse_level(&site, &a, LoginMethod::Password);
    }
    if let Some(r) = over_limit(&state, &site, &a, Action::Register, client).await {
        return r;
    }
    let values: Vec<(&'static str, String)> = pages::REGISTER_FIELDS
        .iter()
        .map(|(name, ..)| {
            let v = field(&f, name);
            let v = if *name == "password" {
                v.to_string()
            } else {
                v.trim().to_string()
            };
            (*name, v)
        })
        .collect();
    let get = |name: &str| {
        values
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    let username = get("username").to_lowercase();
    let problems = validate_registration(&username, get, now_secs());
    if !problems.is_empty() {
        let notice = alert(
            Kind::Danger,
            "Bitte prüfen Sie Ihre Angaben",
            &problems.join(" "),
        );
        return show_register(
            &site,
            &a,
            Some(notice),
            &values,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    let password = get("password").to_string();
    let hash = match super::hash_password_async(password).await {
        Ok(h) => h,
        Err(e) => return internal(&site, e),
    };
    let mut owned: Vec<(&'static str, String)> = values
        .iter()
        .filter(|(k, _)| *k != "username" && *k != "password")
        .cloned()
        .collect();
    owned.push(("country", "D".to_string()));
    let now = now_secs();
    let created = state
        .db
        .call(move |conn| {
            // Four digits, or eight should a name have (nearly) run out of them.
            for attempt in 0..40 {
                let digits = if attempt < 32 { 4 } else { 8 };
                let candidate = format!("{username}.{}", random_digits(digits));
                if store::account(conn, &candidate)?.is_none() {
                    store::create_account(conn, &candidate, &hash, &owned, now)?;
                    return Ok(Some(candidate));
                }
            }
            Ok(None)
        })
        .await;
    match created {
        Ok(Some(name)) => {
            let notice = pages::registered_notice(&name);
            render_login(&state, &site, &a, Some(notice), &name, StatusCode::OK).await
        }
        Ok(None) => internal(&site, "no free username suffix after 40 attempts"),
        Err(e) => internal(&site, e),
    }
}

/// `n` random decimal digits.
fn random_digits(n: usize) -> String {
    super::random_bytes::<8>()
        .iter()
        .take(n)
        .map(|b| char::from(b'0' + b % 10))
        .collect()
}

/// German messages for every problem with the registration form.
pub fn validate_registration<'a>(
    username: &str,
    get: impl Fn(&str) -> &'a str,
    now: i64,
) -> Vec<String> {
    let mut p = Vec::new();
    let name_ok = (3..=MAX_PROPOSED).contains(&username.len())
        && username.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'_')
        });
    if !name_ok {
        p.push("Der gewünschte Benutzername muss 3 bis 48 Zeichen lang sein und darf nur Kleinbuchstaben, Ziffern, Punkt, Bindestrich und Unterstrich enthalten.".to_string());
    }
    let pw = get("password");
    if pw.chars().count() < 10 || pw.len() > 256 {
        p.push("Das Passwort muss mindestens 10 Zeichen lang sein.".to_string());
    }
    for (name, label, max) in [
        ("givenName", "Vorname", 100),
        ("surname", "Familienname", 100),
        ("postalAddress", "Straße und Hausnummer", 200),
        ("localityName", "Ort", 100),
    ] {
        let v = get(name);
        if v.is_empty() || v.chars().count() > max || v.chars().any(char::is_control) {
            p.push(format!(
                "Bitte geben Sie „{label}“ an (höchstens {max} Zeichen)."
            ));
        }
    }
    match parse_date(get("birthdate")) {
        Some(days) if days <= now.div_euclid(86_400) => {}
        _ => p.push("Bitte geben Sie ein gültiges Geburtsdatum an (TT.MM.JJJJ), das nicht in der Zukunft liegt.".to_string()),
    }
    let plz = get("postalCode");
    if plz.len() != 5 || !plz.bytes().all(|b| b.is_ascii_digit()) {
        p.push("Die Postleitzahl hat 5 Ziffern.".to_string());
    }
    if !plausible_mail(get("mail")) {
        p.push(
            "Bitte geben Sie eine gültige E-Mail-Adresse an, z. B. name@example.org.".to_string(),
        );
    }
    p
}

fn plausible_mail(m: &str) -> bool {
    let Some((local, domain)) = m.split_once('@') else {
        return false;
    };
    m.len() <= 254
        && !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !m.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// `YYYY-MM-DD` (1900 or later) → days since 1970-01-01.
pub fn parse_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y: i64 = s.get(0..4)?.parse().ok()?;
    let m: i64 = s.get(5..7)?.parse().ok()?;
    let d: i64 = s.get(8..10)?.parse().ok()?;
    if y < 1900 || !(1..=12).contains(&m) {
        return None;
    }
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let dim = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if d < 1 || d > dim[(m - 1) as usize] {
        return None;
    }
    // Days from civil (proleptic Gregorian), after H. Hinnant's algorithm.
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_checked() {
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(parse_date("2000-03-01"), Some(11_017));
        assert!(parse_date("2024-02-29").is_some());
        assert!(parse_date("2023-02-29").is_none());
        assert!(parse_date("1964-13-01").is_none());
        assert!(parse_date("12.08.1964").is_none());
        assert!(parse_date("1899-12-31").is_none());
    }

    #[test]
    fn registration_problems_are_reported() {
        let ok = |k: &str| match k {
            "password" => "lang-genug-123",
            "givenName" => "Ada",
            "surname" => "Muster",
            "postalAddress" => "Weg 1",
            "localityName" => "Bonn",
            "birthdate" => "1990-01-01",
            "postalCode" => "53111",
            "mail" => "ada@example.org",
            _ => "",
        };
        assert!(validate_registration("ada.muster", ok, 1_800_000_000).is_empty());
        assert_eq!(validate_registration("A!", ok, 1_800_000_000).len(), 1);
        let bad = |k: &str| match k {
            "birthdate" => "2999-01-01",
            "mail" => "kein-at",
            _ => ok(k),
        };
        assert_eq!(validate_registration("ada", bad, 1_800_000_000).len(), 2);
    }
}
