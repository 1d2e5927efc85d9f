//! The citizen's pay page: `GET /payment/pay/{txId}` shows the amount and
//! the methods, its forms post back to it; the card's challenge is a
//! second page. No login: whoever holds the link may pay or cancel (as at
//! the real providers). Every POST carries a CSRF value that must equal
//! the HttpOnly, SameSite cookie set by the page (double submit, as the
//! console's login form), so no other site can pay or cancel in the
//! citizen's browser. Every outcome sends the browser to the caller's
//! `redirectUrl` with `txId` and `status`; that proves nothing, the caller
//! reads the status server to server.

use axum::{
    extract::{
        rejection::{FormRejection, PathRejection},
        Form, FromRequest, FromRequestParts, Path, Request,
    },
    http::{header, request::Parts, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use contract::payment::{self as p, PaymentMethod, PaymentStatus};
use std::collections::HashMap;
use std::sync::Arc;

use super::api::{self, PAY_SECS};
use super::render::{self, Entered, Errors, Lang};
use super::store::{self, Row};
use crate::html::{cookie_value, same_secret};
use crate::idp::random_token;
use crate::static_files::Site;
use crate::AppState;

/// The CSRF cookie (its path is the transaction's page).
pub const CSRF_COOKIE: &str = "pay_csrf";

type FormMap = Result<Form<HashMap<String, String>>, FormRejection>;

fn now() -> i64 {
    crate::idp::now_secs()
}

fn lang(query: &Option<String>, headers: &HeaderMap) -> Lang {
    let q = query.as_deref().and_then(|q| {
        q.split('&')
            .find_map(|kv| kv.strip_prefix("lang="))
            .map(str::to_string)
    });
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    Lang::of(q.as_deref(), accept)
}

fn see_other(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(v) => (StatusCode::SEE_OTHER, [(header::LOCATION, v)]).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// Everything a page handler needs, with errors as complete pages.
struct Ctx {
    state: AppState,
    css: Vec<String>,
    lang: Lang,
}

impl Ctx {
    fn error(&self, status: StatusCode, title_de_en: (&str, &str), text: (&str, &str)) -> Response {
        let pick = |(de, en): (&str, &str)| -> String {
            match self.lang {
                Lang::De => de.to_string(),
                Lang::En => en.to_string(),
            }
        };
        render::error_page(
            &self.css,
            self.lang,
            status,
            &pick(title_de_en),
            &pick(text),
        )
    }

    fn internal(&self, detail: impl std::fmt::Display) -> Response {
        tracing::error!(%detail, "payment page error");
        self.error(
            StatusCode::INTERNAL_SERVER_ERROR,
            ("Technischer Fehler", "Technical error"),
            (
                "Die Bezahlseite ist gerade nicht erreichbar. Bitte versuchen Sie es später erneut.",
                "The payment page is not available right now. Please try again later.",
            ),
        )
    }

    fn not_found(&self) -> Response {
        self.error(
            StatusCode::NOT_FOUND,
            ("Zahlung nicht gefunden", "Payment not found"),
            (
                "Diese Zahlung ist unbekannt. Bitte kehren Sie zum Onlinedienst zurück.",
                "This payment is unknown. Please return to the online service.",
            ),
        )
    }

    /// The transaction of the path, or the answer to give instead.
    async fn load(&self, tx: Result<Path<String>, PathRejection>) -> Result<Row, Response> {
        let Ok(Path(tx)) = tx else {
            return Err(self.not_found());
        };
        match api::by_id(&self.state, tx, now()).await {
            Ok(Some(r)) => Ok(r),
            Ok(None) => Err(self.not_found()),
            Err(e) => Err(self.internal(e)),
        }
    }

    fn cookie(&self, tx_id: &str, value: &str) -> Option<HeaderValue> {
        let secure = if self.state.config.public_url.starts_with("https://") {
            "; Secure"
        } else {
            ""
        };
        HeaderValue::from_str(&format!(
            "{CSRF_COOKIE}={value}; Max-Age={PAY_SECS}; Path=/payment/pay/{tx_id}; HttpOnly; SameSite=Lax{secure}"
        ))
        .ok()
    }

    /// The page's CSRF value: the cookie's when it looks like ours, else new.
    fn csrf(&self, headers: &HeaderMap) -> String {
        cookie_value(headers, CSRF_COOKIE)
            .filter(|v| {
                v.len() == 43
                    && v.bytes()
                        .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
            })
            .unwrap_or_else(random_token)
    }

    fn with_cookie(&self, mut resp: Response, tx_id: &str, csrf: &str) -> Response {
        if let Some(c) = self.cookie(tx_id, csrf) {
            resp.headers_mut().append(header::SET_COOKIE, c);
        }
        resp
    }

    fn refused(&self) -> Response {
        self.error(
            StatusCode::FORBIDDEN,
            ("Formular ungültig", "Form not valid"),
            (
                "Das Formular gehört nicht zu dieser Bezahlseite, oder Cookies sind blockiert. Bitte öffnen Sie die Bezahlseite erneut.",
                "The form does not belong to this payment page, or cookies are blocked. Please open the payment page again.",
            ),
        )
    }

    fn done(&self, status: StatusCode, r: &Row) -> Response {
        render::done_page(&self.css, status, self.lang, r)
    }

    /// Applies a change; redirects back with `status` when it took, shows
    /// the final transaction (409) when it no longer could.
    async fn settle(
        &self,
        r: &Row,
        status: PaymentStatus,
        f: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<bool> + Send + 'static,
    ) -> Response {
        match api::change(&self.state, f).await {
            Ok(true) => {
                // A final transaction: the caller hears of it (signed, in
                // the background; the page does not wait).
                super::notify::spawn(&self.state, r.tx_id.clone());
                let mut after = r.clone();
                after.status = status;
                see_other(&render::return_url(&after))
            }
            Ok(false) => match api::by_id(&self.state, r.tx_id.clone(), now()).await {
                Ok(Some(now_row)) => self.done(StatusCode::CONFLICT, &now_row),
                Ok(None) => self.not_found(),
                Err(e) => self.internal(e),
            },
            Err(e) => self.internal(e),
        }
    }
}

fn field<'a>(m: &'a HashMap<String, String>, name: &str) -> &'a str {
    m.get(name).map(String::as_str).unwrap_or("")
}

/// The form's fields if its CSRF value matches the cookie.
fn checked_form(headers: &HeaderMap, form: FormMap) -> Option<HashMap<String, String>> {
    let Ok(Form(f)) = form else {
        return None;
    };
    let ok = cookie_value(headers, CSRF_COOKIE)
        .is_some_and(|c| !c.is_empty() && same_secret(&c, field(&f, "csrf")));
    ok.then_some(f)
}

/// The opening every pay page handler shares: the page's context (language,
/// stylesheets) and its transaction. Rejected with the finished page (404
/// for an unknown transaction).
pub struct PayPage {
    c: Ctx,
    r: Row,
    headers: HeaderMap,
}

impl FromRequestParts<AppState> for PayPage {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let Some(site) = parts.extensions.get::<Arc<Site>>().cloned() else {
            return Err(StatusCode::INTERNAL_SERVER_ERROR.into_response());
        };
        let query = parts.uri.query().map(str::to_string);
        let headers = parts.headers.clone();
        let c = Ctx {
            state: state.clone(),
            css: site.stylesheets(),
            lang: lang(&query, &headers),
        };
        let tx = Path::<String>::from_request_parts(parts, state).await;
        let r = c.load(tx).await?;
        Ok(PayPage { c, r, headers })
    }
}

/// A pay page's form for a transaction that is still open, whose CSRF
/// value matches the page's cookie. Rejected with 403 (not this page's
/// form) or with the final transaction (409).
pub struct OpenForm {
    c: Ctx,
    r: Row,
    f: HashMap<String, String>,
    now: i64,
}

impl FromRequest<AppState> for OpenForm {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let PayPage { c, r, headers } = PayPage::from_request_parts(&mut parts, state).await?;
        let form: FormMap = Form::from_request(Request::from_parts(parts, body), state).await;
        let Some(f) = checked_form(&headers, form) else {
            return Err(c.refused());
        };
        let now = now();
        if !r.is_open(now) {
            return Err(c.done(StatusCode::CONFLICT, &r));
        }
        Ok(OpenForm { c, r, f, now })
    }
}

/// `GET /payment/pay/{txId}`
pub async fn show(PayPage { c, r, headers }: PayPage) -> Response {
    if !r.is_open(now()) {
        return c.done(StatusCode::OK, &r);
    }
    let csrf = c.csrf(&headers);
    let view = render::View {
        lang: c.lang,
        row: &r,
        csrf: &csrf,
        errors: &Errors::default(),
        entered: &Entered::default(),
    };
    c.with_cookie(
        render::pay_page(&c.css, StatusCode::OK, &view),
        &r.tx_id,
        &csrf,
    )
}

/// `POST /payment/pay/{txId}` (form `csrf`, `method` = `sepa` | `card` |
/// `wallet` | `cancel`, and the method's fields)
pub async fn submit(OpenForm { c, r, f, now }: OpenForm) -> Response {
    let id = r.tx_id.clone();
    match field(&f, "method") {
        "cancel" => {
            c.settle(&r, PaymentStatus::Canceled, move |db| {
                store::cancel(db, &id, now)
            })
            .await
        }
        "wallet" => {
            let booking = api::booking_id();
            c.settle(&r, PaymentStatus::Payed, move |db| {
                store::pay(db, &id, PaymentMethod::Wallet, "Test-Wallet", &booking, now)
            })
            .await
        }
        "sepa" => match sepa(c.lang, &f) {
            Ok((detail, _holder)) => {
                let booking = api::booking_id();
                c.settle(&r, PaymentStatus::Payed, move |db| {
                    store::pay(
                        db,
                        &id,
                        PaymentMethod::SepaDirectDebit,
                        &detail,
                        &booking,
                        now,
                    )
                })
                .await
            }
            Err(errors) => again(&c, &r, &f, &errors),
        },
        "card" => match card(c.lang, &f, now) {
            Ok((number, detail)) => match number.as_str() {
                render::CARD_OK => {
                    let booking = api::booking_id();
                    c.settle(&r, PaymentStatus::Payed, move |db| {
                        store::pay(db, &id, PaymentMethod::CreditCard, &detail, &booking, now)
                    })
                    .await
                }
                render::CARD_DECLINED => {
                    c.settle(&r, PaymentStatus::Failed, move |db| {
                        store::decline(db, &id, PaymentMethod::CreditCard, &detail, now)
                    })
                    .await
                }
                _ => {
                    let lang = c.lang;
                    match api::change(&c.state, move |db| {
                        store::set_challenge(db, &id, Some(&detail), now)
                    })
                    .await
                    {
                        Ok(true) => see_other(&format!(
                            "/payment/pay/{}/challenge{}",
                            r.tx_id,
                            lang.query()
                        )),
                        Ok(false) => c.done(StatusCode::CONFLICT, &r),
                        Err(e) => c.internal(e),
                    }
                }
            },
            Err(errors) => again(&c, &r, &f, &errors),
        },
        _ => c.error(
            StatusCode::BAD_REQUEST,
            ("Ungültige Anfrage", "Invalid request"),
            (
                "Bitte wählen Sie eine Zahlungsart.",
                "Please choose a payment method.",
            ),
        ),
    }
}

/// The pay page again, with the errors next to the fields (422).
fn again(c: &Ctx, r: &Row, f: &HashMap<String, String>, errors: &Errors) -> Response {
    let keep = |name: &str, max: usize| field(f, name).chars().take(max).collect::<String>();
    let entered = Entered {
        holder: keep("holder", p::MAX_HOLDER_CHARS),
        iban: keep("iban", 42),
        card: keep("card", 23),
        expiry: keep("expiry", 5),
    };
    let view = render::View {
        lang: c.lang,
        row: r,
        csrf: field(f, "csrf"),
        errors,
        entered: &entered,
    };
    render::pay_page(&c.css, StatusCode::UNPROCESSABLE_ENTITY, &view)
}

/// SEPA fields → (masked IBAN, holder).
fn sepa(l: Lang, f: &HashMap<String, String>) -> Result<(String, String), Errors> {
    let mut e = Errors::default();
    let holder = field(f, "holder").trim();
    if holder.chars().count() < 2 || !p::plain_text(holder, p::MAX_HOLDER_CHARS) {
        e.holder = Some(l.pick(
            "Bitte geben Sie den Namen der Kontoinhaberin oder des Kontoinhabers an (2 bis 70 Zeichen).",
            "Please enter the account holder's name (2 to 70 characters).",
        ));
    }
    let raw = field(f, "iban");
    let iban = if raw.len() > 42 {
        Err(p::IbanError::Length)
    } else {
        p::check_iban(raw)
    };
    match &iban {
        Ok(_) => {}
        Err(p::IbanError::Format) => {
            e.iban = Some(l.pick(
                "Eine IBAN beginnt mit dem Ländercode und zwei Prüfziffern, z. B. DE89 …",
                "An IBAN starts with the country code and two check digits, e.g. DE89 …",
            ))
        }
        Err(p::IbanError::Length) => {
            e.iban = Some(l.pick(
                "Die IBAN hat nicht die richtige Länge (deutsche IBAN: 22 Zeichen).",
                "The IBAN does not have the right length (German IBAN: 22 characters).",
            ))
        }
        Err(p::IbanError::Checksum) => {
            e.iban = Some(l.pick(
                "Die Prüfziffern der IBAN stimmen nicht. Bitte prüfen Sie die Eingabe.",
                "The IBAN's check digits do not match. Please check your entry.",
            ))
        }
    }
    if field(f, "mandate") != "yes" {
        e.mandate = Some(l.pick(
            "Bitte erteilen Sie das Lastschriftmandat.",
            "Please grant the direct debit mandate.",
        ));
    }
    match iban {
        Ok(iban) if !e.any() => Ok((p::mask_iban(&iban), holder.to_string())),
        _ => Err(e),
    }
}

/// Card fields → (digits, masked detail). Only the three test cards pass.
fn card(l: Lang, f: &HashMap<String, String>, now: i64) -> Result<(String, String), Errors> {
    let mut e = Errors::default();
    let raw = field(f, "card");
    let number = (raw.len() <= 30)
        .then(|| p::check_card_number(raw))
        .flatten();
    match &number {
        None => {
            e.card = Some(l.pick(
                "Die Kartennummer ist ungültig (12 bis 19 Ziffern mit gültiger Prüfziffer).",
                "The card number is not valid (12 to 19 digits with a valid check digit).",
            ))
        }
        Some(n)
            if ![
                render::CARD_OK,
                render::CARD_DECLINED,
                render::CARD_CHALLENGE,
            ]
            .contains(&n.as_str()) =>
        {
            e.card = Some(l.pick(
                "In der Testumgebung gelten nur die genannten Testkarten.",
                "The test environment accepts only the test cards named above.",
            ))
        }
        Some(_) => {}
    }
    if !expiry_ok(field(f, "expiry"), now) {
        e.expiry = Some(l.pick(
            "Bitte geben Sie ein Ablaufdatum in der Zukunft an (MM/JJ).",
            "Please enter an expiry date in the future (MM/YY).",
        ));
    }
    let cvc = field(f, "cvc");
    if !(3..=4).contains(&cvc.len()) || !cvc.bytes().all(|c| c.is_ascii_digit()) {
        e.cvc = Some(l.pick(
            "Die Prüfnummer hat drei oder vier Ziffern.",
            "The security code has three or four digits.",
        ));
    }
    match number {
        Some(n) if !e.any() => {
            let brand = match n.as_bytes().first() {
                Some(b'4') => "VISA",
                Some(b'5') => "MASTERCARD",
                _ => "KARTE",
            };
            let last4 = n.get(n.len().saturating_sub(4)..).unwrap_or("");
            let detail = format!("{brand} **** {last4}");
            Ok((n, detail))
        }
        _ => Err(e),
    }
}

/// `MM/YY`, not before this month (UTC).
fn expiry_ok(s: &str, now: i64) -> bool {
    let s = s.trim();
    let Some((m, y)) = s.split_once('/') else {
        return false;
    };
    let (m, y) = (m.trim(), y.trim());
    if m.len() != 2 || y.len() != 2 {
        return false;
    }
    let (Ok(m), Ok(y)) = (m.parse::<u32>(), y.parse::<i64>()) else {
        return false;
    };
    let (year, month, _) = contract::calendar::civil_from_days(now.div_euclid(86_400));
    (1..=12).contains(&m) && (2000 + y, m) >= (year, month)
}

/// `GET /payment/pay/{txId}/challenge`
pub async fn challenge_page(PayPage { c, r, headers }: PayPage) -> Response {
    if !r.is_open(now()) {
        return c.done(StatusCode::OK, &r);
    }
    let Some(card) = r.challenge_detail.clone() else {
        return see_other(&format!("/payment/pay/{}{}", r.tx_id, c.lang.query()));
    };
    let csrf = c.csrf(&headers);
    c.with_cookie(
        render::challenge_page(&c.css, StatusCode::OK, c.lang, &r, &csrf, &card, None),
        &r.tx_id,
        &csrf,
    )
}

/// `POST /payment/pay/{txId}/challenge` (form `csrf`, `code`)
pub async fn challenge(OpenForm { c, r, f, now }: OpenForm) -> Response {
    let Some(detail) = r.challenge_detail.clone() else {
        return see_other(&format!("/payment/pay/{}{}", r.tx_id, c.lang.query()));
    };
    let code = field(&f, "code").trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        let msg = c.lang.pick(
            "Der Bestätigungscode hat sechs Ziffern.",
            "The confirmation code has six digits.",
        );
        return render::challenge_page(
            &c.css,
            StatusCode::UNPROCESSABLE_ENTITY,
            c.lang,
            &r,
            field(&f, "csrf"),
            &detail,
            Some(msg),
        );
    }
    let id = r.tx_id.clone();
    if code == render::CHALLENGE_CODE {
        let booking = api::booking_id();
        c.settle(&r, PaymentStatus::Payed, move |db| {
            store::pay(db, &id, PaymentMethod::CreditCard, &detail, &booking, now)
        })
        .await
    } else {
        c.settle(&r, PaymentStatus::Failed, move |db| {
            store::decline(db, &id, PaymentMethod::CreditCard, &detail, now)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_dates_in_the_past_are_refused() {
        // 2026-12-03
        let now = 1_796_315_025;
        assert!(expiry_ok("12/26", now));
        assert!(expiry_ok("01/27", now));
        assert!(!expiry_ok("11/26", now));
        assert!(!expiry_ok("13/27", now));
        assert!(!expiry_ok("1227", now));
        assert!(!expiry_ok("12/2027", now));
    }

    #[test]
    fn the_language_comes_from_the_query_or_the_browser() {
        let mut h = HeaderMap::new();
        assert_eq!(lang(&None, &h), Lang::De);
        h.insert(header::ACCEPT_LANGUAGE, "en-GB,en;q=0.8".parse().unwrap());
        assert_eq!(lang(&None, &h), Lang::En);
        assert_eq!(lang(&Some("lang=de".into()), &h), Lang::De);
        assert_eq!(
            lang(&Some("x=1&lang=en".into()), &HeaderMap::new()),
            Lang::En
        );
    }
}
