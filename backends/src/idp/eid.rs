//! The simulated Online-Ausweis (AusweisApp): the card is "read" by typing
//! its number (test cards: docs/test-citizens.md), then the 6-digit PIN.
//!
//! Nothing here tells which cards exist: the provider lists no cards, and
//! the PIN and PUK counters are kept per card number typed
//! ([`super::limits`]), so an unknown number answers exactly like a real card
//! whose PIN is wrong: "Karte oder PIN falsch", blocked after three wrong
//! PINs, its PUK refused and used up after ten uses.
//!
//! As on the real card, three wrong PINs block the PIN; the card's PUK (from
//! the PIN letter) unblocks it, and the PUK can be used ten times in all.

use axum::{
    extract::{rejection::QueryRejection, Path, Query, State},
    http::{HeaderMap, StatusCode},
    response::Response,
    Extension,
};
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::HashMap;
use std::sync::Arc;

use super::limits::{self, Action, Client, Kind};
use super::login::{
    active, css, field, finish, form_fields, internal, over_limit, Active, FormMap,
};
use super::pages::{self, alert, EidState, Kind as AlertKind};
use super::{now_secs, Idp, LoginMethod, MAX_EID_PIN_FAILURES, MAX_PUK_USES};
use crate::static_files::Site;
use crate::AppState;

/// The PUKs of the seeded test cards (docs/test-citizens.md).
const TEST_PUKS: &[(&str, &str)] = &[("eid-erika", "1234567890"), ("eid-leyla", "9876543210")];

/// A card number as typed: trimmed, lower case, 1 to 32 letters, digits
/// and hyphens. `None` for anything else.
pub fn card_number(typed: &str) -> Option<String> {
    let n = typed.trim().to_ascii_lowercase();
    ((1..=32).contains(&n.len()) && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        .then_some(n)
}

struct CardSecrets {
    citizen_id: i64,
    pin_hash: String,
    puk_hash: Option<String>,
}

fn card_secrets(conn: &Connection, card_id: &str) -> rusqlite::Result<Option<CardSecrets>> {
    conn.query_row(
        "SELECT citizen_id, pin_hash, puk_hash FROM idp_eid_cards WHERE card_id = ?1",
        params![card_id],
        |r| {
            Ok(CardSecrets {
                citizen_id: r.get(0)?,
                pin_hash: r.get(1)?,
                puk_hash: r.get(2)?,
            })
        },
    )
    .optional()
}

/// Gives the seeded test cards their PUKs (once; also in older databases).
pub fn seed_puks(conn: &mut Connection) -> anyhow::Result<()> {
    for (card_id, puk) in TEST_PUKS {
        let missing: Option<i64> = conn
            .query_row(
                "SELECT 1 FROM idp_eid_cards WHERE card_id = ?1 AND puk_hash IS NULL",
                params![card_id],
                |r| r.get(0),
            )
            .optional()?;
        if missing.is_some() {
            conn.execute(
                "UPDATE idp_eid_cards SET puk_hash = ?2 WHERE card_id = ?1",
                params![card_id, super::hash_password(puk)?],
            )?;
        }
    }
    Ok(())
}

/// Checks a PIN or PUK against the card's hash, or spends the same time
/// against a dummy hash for an unknown card (or one without a PUK).
async fn verify(secret: String, hash: Option<String>) -> bool {
    match hash {
        Some(h) => super::verify_password_async(secret, h).await,
        None => {
            if let Some(dummy) = super::login::dummy_hash() {
                super::verify_password_async(secret, dummy.to_string()).await;
            }
            false
        }
    }
}

/// The PIN and PUK counters of a card number.
/// Counts one use of the card's PIN or PUK (`kind`, at most `max` in its
/// window) and reads the card's secrets; `Ok(None)` when no use is left.
/// The count and the read go together, for known and unknown cards alike.
async fn reserve_use(
    state: &AppState,
    kind: Kind,
    card: &str,
    max: i64,
) -> Result<Option<Option<CardSecrets>>, crate::db::DbError> {
    let (key, now) = (card.to_string(), now_secs());
    state
        .db
        .call(move |c| {
            if limits::reserve(c, kind, &key, now, max)? {
                Ok(Some(card_secrets(c, &key)?))
            } else {
                Ok(None)
            }
        })
        .await
}

async fn counters(state: &AppState, card: &str) -> Result<(i64, i64), crate::db::DbError> {
    let key = card.to_string();
    let now = now_secs();
    state
        .db
        .call(move |c| {
            Ok((
                limits::count(c, Kind::EidPin, &key, now)?.failed,
                limits::count(c, Kind::EidPuk, &key, now)?.failed,
            ))
        })
        .await
}

/// The AusweisApp page for `card` as its counters stand: the PIN entry,
/// the PUK entry (PIN blocked) or the notice that the PUK is used up.
/// `status` replaces the default (200 for the PIN, 403 otherwise).
async fn render_card(
    state: &AppState,
    site: &Site,
    a: &Active,
    card: &str,
    notice: Option<String>,
    status: Option<StatusCode>,
) -> Response {
    let (pins, puks) = match counters(state, card).await {
        Ok(v) => v,
        Err(e) => return internal(site, e),
    };
    let (eid_state, default) = if pins < MAX_EID_PIN_FAILURES {
        (
            EidState::Pin {
                remaining: MAX_EID_PIN_FAILURES - pins,
            },
            StatusCode::OK,
        )
    } else if puks < MAX_PUK_USES {
        (
            EidState::Blocked {
                puk_uses_left: MAX_PUK_USES - puks,
            },
            StatusCode::FORBIDDEN,
        )
    } else {
        (EidState::PukUsedUp, StatusCode::FORBIDDEN)
    };
    let view = pages::EidView {
        tx: &a.tx.id,
        csrf: &a.csrf,
        card,
        state: eid_state,
        notice,
    };
    pages::page(
        status.unwrap_or(default),
        &css(site),
        "Mit dem Online-Ausweis anmelden",
        &pages::eid_page(&view),
    )
}

/// Back to the login page: no card number (or not one a card could have).
async fn no_card(state: &AppState, site: &Site, a: &Active) -> Response {
    let notice = alert(
        AlertKind::Danger,
        "Keine Kartennummer",
        "Bitte geben Sie die Kartennummer Ihrer Testkarte ein (Buchstaben, Ziffern und Bindestriche).",
    );
    super::login::render_login(state, site, a, Some(notice), "", StatusCode::BAD_REQUEST).await
}

/// `GET /idp/login/{tx}/eid?card=…`: the card is read: what will be
/// transmitted, and the PIN entry (or the PUK entry for a blocked PIN).
pub async fn eid_page(
    State(state): State<AppState>,
    Extension(site): Extension<Arc<Site>>,
    Path(tx_id): Path<String>,
    headers: HeaderMap,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Response {
    let a = match active(&state, &site, &tx_id, &headers, None).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let typed = query
        .ok()
        .and_then(|Query(q)| q.get("card").cloned())
        .unwrap_or_default();
    match card_number(&typed) {
        Some(card) => render_card(&state, &site, &a, &card, None, None).await,
        None => no_card(&state, &site, &a).await,
    }
}

/// `POST /idp/login/{tx}/eid` (`csrf, card, pin`)
pub async fn eid_login(
    State(state): State<AppState>,
    Extension(idp): Extension<Arc<Idp>>,
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
    if let Some(r) = over_limit(&state, &site, &a, Action::Pin, client).await {
        return r;
    }
    let Some(card) = card_number(field(&f, "card")) else {
        return no_card(&state, &site, &a).await;
    };
    let pin = field(&f, "pin").to_string();
    if pin.len() != 6 || !pin.bytes().all(|b| b.is_ascii_digit()) {
        let notice = alert(
            AlertKind::Danger,
            "Die PIN hat 6 Ziffern",
            "Bitte geben Sie die 6-stellige PIN ein. Ist Ihr Ausweis neu, ändern Sie zuerst die 5-stellige Transport-PIN in der AusweisApp.",
        );
        return render_card(
            &state,
            &site,
            &a,
            &card,
            Some(notice),
            Some(StatusCode::BAD_REQUEST),
        )
        .await;
    }
    let found = match reserve_use(&state, Kind::EidPin, &card, MAX_EID_PIN_FAILURES).await {
        Ok(Some(found)) => found,
        // Blocked: the PIN is not checked, not even the right one.
        Ok(None) => return render_card(&state, &site, &a, &card, None, None).await,
        Err(e) => return internal(&site, e),
    };
    let citizen = found.as_ref().map(|c| c.citizen_id);
    if verify(pin, found.map(|c| c.pin_hash)).await {
        if let Some(citizen_id) = citizen {
            let key = card.clone();
            if let Err(e) = state
                .db
                .call(move |c| limits::clear(c, Kind::EidPin, &key))
                .await
            {
                return internal(&site, e);
            }
            return finish(&state, &idp, &site, &a, citizen_id, LoginMethod::Eid).await;
        }
    }
    let (key, now) = (card.clone(), now_secs());
    let counted = state
        .db
        .call(move |c| limits::failed(c, Kind::EidPin, &key, now, MAX_EID_PIN_FAILURES, None))
        .await;
    let count = match counted {
        Ok(c) => c.failed,
        Err(e) => return internal(&site, e),
    };
    if count >= MAX_EID_PIN_FAILURES {
        let notice = alert(
            AlertKind::Danger,
            "Karte oder PIN falsch – die PIN ist jetzt gesperrt",
            "Die PIN wurde dreimal falsch eingegeben.",
        );
        return render_card(&state, &site, &a, &card, Some(notice), None).await;
    }
    let left = MAX_EID_PIN_FAILURES - count;
    let notice = alert(
        AlertKind::Danger,
        "Karte oder PIN falsch",
        &format!(
            "Die Karte wurde nicht erkannt oder die PIN ist falsch. Sie haben noch {left} Versuch(e); nach dem dritten falschen Versuch wird die PIN gesperrt."
        ),
    );
    render_card(
        &state,
        &site,
        &a,
        &card,
        Some(notice),
        Some(StatusCode::UNAUTHORIZED),
    )
    .await
}

/// `POST /idp/login/{tx}/eid/puk` (`csrf, card, puk`): unblocks a blocked
/// PIN with the card's PUK; then the PIN can be entered again.
pub async fn eid_unblock(
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
    if let Some(r) = over_limit(&state, &site, &a, Action::Pin, client).await {
        return r;
    }
    let Some(card) = card_number(field(&f, "card")) else {
        return no_card(&state, &site, &a).await;
    };
    let puk = field(&f, "puk").to_string();
    let (pins, _) = match counters(&state, &card).await {
        Ok(v) => v,
        Err(e) => return internal(&site, e),
    };
    if pins < MAX_EID_PIN_FAILURES {
        let notice = alert(
            AlertKind::Info,
            "Die PIN ist nicht gesperrt",
            "Die PUK wird nur für eine gesperrte PIN gebraucht. Geben Sie Ihre PIN ein.",
        );
        return render_card(
            &state,
            &site,
            &a,
            &card,
            Some(notice),
            Some(StatusCode::CONFLICT),
        )
        .await;
    }
    if puk.len() != 10 || !puk.bytes().all(|b| b.is_ascii_digit()) {
        let notice = alert(
            AlertKind::Danger,
            "Die PUK hat 10 Ziffern",
            "Bitte geben Sie die 10-stellige PUK aus Ihrem PIN-Brief ein.",
        );
        return render_card(
            &state,
            &site,
            &a,
            &card,
            Some(notice),
            Some(StatusCode::BAD_REQUEST),
        )
        .await;
    }
    let found = match reserve_use(&state, Kind::EidPuk, &card, MAX_PUK_USES).await {
        Ok(Some(found)) => found,
        Ok(None) => return render_card(&state, &site, &a, &card, None, None).await,
        Err(e) => return internal(&site, e),
    };
    let known = found.is_some();
    if verify(puk, found.and_then(|c| c.puk_hash)).await && known {
        let key = card.clone();
        if let Err(e) = state
            .db
            .call(move |c| limits::clear(c, Kind::EidPin, &key))
            .await
        {
            return internal(&site, e);
        }
        let notice = alert(
            AlertKind::Success,
            "Die PIN ist entsperrt",
            "Geben Sie jetzt Ihre 6-stellige PIN ein. Sie haben wieder drei Versuche.",
        );
        return render_card(&state, &site, &a, &card, Some(notice), None).await;
    }
    let (_, used) = match counters(&state, &card).await {
        Ok(v) => v,
        Err(e) => return internal(&site, e),
    };
    if used >= MAX_PUK_USES {
        return render_card(&state, &site, &a, &card, None, None).await;
    }
    let notice = alert(
        AlertKind::Danger,
        "Karte oder PUK falsch",
        &format!(
            "Die PIN bleibt gesperrt. Die PUK kann noch {}-mal verwendet werden.",
            MAX_PUK_USES - used
        ),
    );
    render_card(
        &state,
        &site,
        &a,
        &card,
        Some(notice),
        Some(StatusCode::UNAUTHORIZED),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::card_number;

    #[test]
    fn card_numbers_are_checked_and_normalised() {
        assert_eq!(card_number(" EID-Erika ").as_deref(), Some("eid-erika"));
        assert_eq!(card_number("T22000129").as_deref(), Some("t22000129"));
        assert_eq!(card_number(""), None);
        assert_eq!(card_number("eid erika"), None);
        assert_eq!(card_number("eid-erika'--"), None);
        assert_eq!(card_number(&"a".repeat(33)), None);
    }
}
