//! Server-rendered HTML of the login pages, styled with the app's KERN
//! stylesheets (from dist/index.html) plus a small own stylesheet. No inline
//! scripts or style attributes: the CSP forbids them. Every dynamic value is
//! escaped.

use axum::{
    http::{header, StatusCode},
    response::{IntoResponse, Response},
};

use super::{GermanName, LoginMethod, TrustLevel};

/// The provider's own CSS (layout only; KERN does the rest when present).
const IDP_CSS: &str = "\
body{margin:0;font-family:system-ui,sans-serif;line-height:1.5;color:#1b1b1b;background:#fff}
.idp-header{border-bottom:4px solid #0d4a8f;padding:1rem}
.idp-header p{margin:0;font-weight:700}
.idp-main{max-width:46rem;margin:0 auto;padding:1rem 1rem 4rem}
.idp-section{margin:2rem 0;padding:1.5rem;border:1px solid #c7c7c7;border-radius:4px}
.idp-form>*+*{margin-top:1rem}
.idp-form input[type=text],.idp-form input[type=password],.idp-form input[type=email],.idp-form input[type=date],.idp-form input[type=tel]{display:block;min-height:44px;width:100%;max-width:28rem;box-sizing:border-box}
.idp-form button,.idp-main .kern-btn{min-height:44px;min-width:44px}
.idp-form .kern-form-check{min-height:44px;display:flex;align-items:center;gap:.5rem}
.idp-skip{position:absolute;left:-10000px}
.idp-skip:focus{position:static}
.idp-alert{border-left:6px solid #0d4a8f;padding:.75rem 1rem;margin:1rem 0;background:#f2f6fb}
.idp-alert.kern-alert--danger{border-left-color:#b00020;background:#fdf1f3}
.idp-alert.kern-alert--success{border-left-color:#1b7a3a;background:#eff8f2}
.idp-alert.kern-alert--warning{border-left-color:#a35b00;background:#fff7ec}
.idp-muted{color:#555}
";

/// `GET /idp/static/idp.css`
pub async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        IDP_CSS,
    )
        .into_response()
}

pub use crate::html::{escape, Kind};

/// An HTML page answer with `no-store` caching.
pub fn page(status: StatusCode, stylesheets: &[String], title: &str, body: &str) -> Response {
    let shell = crate::html::Shell {
        site: "BundID (Testumgebung)",
        prefix: "idp",
        own_css: "/idp/static/idp.css",
        stylesheets,
        header: "<p>BundID – Testumgebung des Bürgeramts NRW</p>\
<p class=\"kern-body kern-body--small idp-muted\">Simulierte Anmeldung: keine echten Konten, Zertifikate oder Ausweise.</p>",
    };
    crate::html::document(&shell, status, title, body)
}

/// A KERN alert. `title` and `text` are plain text.
pub fn alert(kind: Kind, title: &str, text: &str) -> String {
    crate::html::alert_with(kind, "idp-alert", title, text)
}

pub fn error_page(stylesheets: &[String], status: StatusCode, title: &str, text: &str) -> Response {
    let body = format!(
        "{}<p class=\"kern-body\">Bitte kehren Sie zur Anwendung zurück und starten Sie die Anmeldung erneut.</p>",
        alert(Kind::Danger, title, text)
    );
    page(status, stylesheets, "Anmeldung nicht möglich", &body)
}

/// Methods that reach `needed`, in the order shown.
pub fn sufficient_methods(needed: TrustLevel) -> Vec<LoginMethod> {
    LoginMethod::ALL
        .into_iter()
        .filter(|m| m.level().satisfies(needed))
        .collect()
}

fn method_anchor(m: LoginMethod) -> &'static str {
    match m {
        LoginMethod::Password => "passwort",
        LoginMethod::Elster => "elster",
        LoginMethod::Eid => "ausweis",
    }
}

fn names(methods: &[LoginMethod]) -> String {
    methods
        .iter()
        .map(|m| m.german_name())
        .collect::<Vec<_>>()
        .join(" oder ")
}

/// "Für diese Leistung brauchen Sie mindestens: …"
pub fn level_box(needed: TrustLevel) -> String {
    format!(
        "<div class=\"kern-alert kern-alert--info idp-alert\" role=\"note\">\
<div class=\"kern-alert__header\"><p class=\"kern-title\">Für diese Leistung brauchen Sie mindestens: Vertrauensniveau „{}“ ({})</p></div>\
<div class=\"kern-alert__body\"><p class=\"kern-body\">Dafür reicht die Anmeldung mit: {}.</p></div></div>",
        escape(needed.german_name()),
        needed.as_str(),
        escape(&names(&sufficient_methods(needed)))
    )
}

fn hidden_csrf(csrf: &str) -> String {
    format!(
        "<input type=\"hidden\" name=\"csrf\" value=\"{}\">",
        escape(csrf)
    )
}

fn text_input(
    id: &str,
    label: &str,
    kind: &str,
    autocomplete: &str,
    extra: &str,
    value: &str,
) -> String {
    format!(
        "<div class=\"kern-form-input\"><label class=\"kern-label\" for=\"{id}\">{}</label>\
<input class=\"kern-form-input__input\" id=\"{id}\" name=\"{id}\" type=\"{kind}\" autocomplete=\"{autocomplete}\" value=\"{}\" {extra}></div>",
        escape(label),
        escape(value)
    )
}

fn submit(label: &str) -> String {
    format!(
        "<button class=\"kern-btn kern-btn--primary\" type=\"submit\"><span class=\"kern-label\">{}</span></button>",
        escape(label)
    )
}

pub struct CertChoice {
    pub id: String,
    pub label: String,
    pub locked_minutes: Option<i64>,
}

pub struct LoginView<'a> {
    pub tx: &'a str,
    pub csrf: &'a str,
    pub needed: TrustLevel,
    pub notice: Option<String>,
    pub username: &'a str,
    pub certs: Vec<CertChoice>,
}

/// The login page with the three methods.
pub fn login_page(v: &LoginView<'_>) -> String {
    let mut body = String::new();
    body.push_str(
        "<p class=\"kern-body\">Die Anwendung „Bürgeramt NRW“ möchte Sie anmelden. Wählen Sie, wie Sie sich ausweisen.</p>",
    );
    body.push_str(&level_box(v.needed));
    if let Some(n) = &v.notice {
        body.push_str(n);
    }
    let tx = escape(v.tx);
    for m in LoginMethod::ALL {
        let anchor = method_anchor(m);
        body.push_str(&format!(
            "<section class=\"idp-section\" id=\"{anchor}\" aria-labelledby=\"{anchor}-titel\">\
<h2 class=\"kern-heading-medium\" id=\"{anchor}-titel\">{}</h2>\
<p class=\"kern-body kern-body--small idp-muted\">Vertrauensniveau: {} ({})</p>",
            escape(m.german_name()),
            escape(m.level().german_name()),
            m.level().as_str()
        ));
        if !m.level().satisfies(v.needed) {
            body.push_str(&format!(
                "<p class=\"kern-body\">Reicht für diese Leistung nicht aus. Bitte wählen Sie: {}.</p></section>",
                escape(&names(&sufficient_methods(v.needed)))
            ));
            continue;
        }
        match m {
            LoginMethod::Password => {
                body.push_str(&format!(
                    "<form class=\"idp-form\" method=\"post\" action=\"/idp/login/{tx}/password\">{}{}{}{}</form>\
<p class=\"kern-body\"><a class=\"kern-link\" href=\"/idp/login/{tx}/register\">Noch kein Konto? Neues Basiskonto registrieren</a></p>",
                    hidden_csrf(v.csrf),
                    text_input("username", "Benutzername", "text", "username", "required maxlength=\"64\"", v.username),
                    text_input("password", "Passwort", "password", "current-password", "required maxlength=\"256\"", ""),
                    submit("Mit Passwort anmelden"),
                ));
            }
            LoginMethod::Elster => {
                let mut radios = String::new();
                for (i, c) in v.certs.iter().enumerate() {
                    let note = match c.locked_minutes {
                        Some(min) => format!(" (gesperrt, noch etwa {min} Minuten)"),
                        None => String::new(),
                    };
                    radios.push_str(&format!(
                        "<div class=\"kern-form-check\"><input class=\"kern-form-check__radio\" type=\"radio\" id=\"cert-{i}\" name=\"cert\" value=\"{}\" required>\
<label class=\"kern-label\" for=\"cert-{i}\">{}{}</label></div>",
                        escape(&c.id),
                        escape(&c.label),
                        escape(&note)
                    ));
                }
                body.push_str(&format!(
                    "<form class=\"idp-form\" method=\"post\" action=\"/idp/login/{tx}/elster\">{}\
<fieldset class=\"kern-fieldset\"><legend class=\"kern-label\">Test-Zertifikat auswählen</legend><div class=\"kern-fieldset__body\">{radios}</div></fieldset>{}{}</form>",
                    hidden_csrf(v.csrf),
                    text_input("pin", "PIN (Passwort) des Zertifikats", "password", "off", "required maxlength=\"64\"", ""),
                    submit("Mit ELSTER-Zertifikat anmelden"),
                ));
            }
            LoginMethod::Eid => {
                body.push_str(&format!(
                    "<p class=\"kern-body\">Wie mit der AusweisApp: Sie legen Ihren Ausweis auf (hier: geben die Kartennummer Ihrer Testkarte ein), sehen, welche Daten gelesen werden, und geben Ihre 6-stellige PIN ein.</p>\
<form class=\"idp-form\" method=\"get\" action=\"/idp/login/{tx}/eid\">{}{}</form>",
                    text_input("card", "Kartennummer (Testkarte)", "text", "off", "required maxlength=\"32\" autocapitalize=\"none\" spellcheck=\"false\"", ""),
                    submit("Ausweis auslesen"),
                ));
            }
        }
        body.push_str("</section>");
    }
    body
}

/// Fields the (simulated) eID server reads from the card.
pub const EID_FIELDS: &[&str] = &[
    "Vorname(n)",
    "Familienname",
    "Geburtsname",
    "Doktorgrad",
    "Geburtsdatum",
    "Geburtsort",
    "Anschrift",
    "Staatsangehörigkeit",
    "Dokumentart",
    "Pseudonym (dienste- und kartenspezifisches Kennzeichen)",
];

/// What the (simulated) card reader found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EidState {
    /// The PIN can be entered; attempts left.
    Pin { remaining: i64 },
    /// Three wrong PINs: the PUK unblocks; uses of the PUK left.
    Blocked { puk_uses_left: i64 },
    /// The PIN is blocked and the PUK used up.
    PukUsedUp,
}

pub struct EidView<'a> {
    pub tx: &'a str,
    pub csrf: &'a str,
    /// The card number as typed (normalised); nothing about the card is shown.
    pub card: &'a str,
    pub state: EidState,
    pub notice: Option<String>,
}

fn back_link(tx: &str, text: &str) -> String {
    format!(
        "<p class=\"kern-body\"><a class=\"kern-link\" href=\"/idp/login/{tx}#ausweis\">{}</a></p>",
        escape(text)
    )
}

/// The AusweisApp-like page: what is read, then the PIN (or the PUK).
pub fn eid_page(v: &EidView<'_>) -> String {
    let tx = escape(v.tx);
    let mut body = format!(
        "<p class=\"kern-body\">Kartennummer: <strong>{}</strong></p>",
        escape(v.card)
    );
    if let Some(n) = &v.notice {
        body.push_str(n);
    }
    let hidden = format!(
        "{}<input type=\"hidden\" name=\"card\" value=\"{}\">",
        hidden_csrf(v.csrf),
        escape(v.card)
    );
    match v.state {
        EidState::PukUsedUp => {
            body.push_str(&alert(
                Kind::Danger,
                "Die PIN ist gesperrt und die PUK verbraucht",
                "Die PUK wurde zehnmal verwendet und kann die PIN nicht mehr entsperren. \
Eine neue PIN kann nur Ihr Bürgerbüro setzen. Bis dahin melden Sie sich bitte auf anderem Weg an.",
            ));
            body.push_str(&back_link(&tx, "Zurück zur Auswahl der Anmeldung"));
        }
        EidState::Blocked { puk_uses_left } => {
            body.push_str(&blocked_explanation());
            body.push_str(&format!(
                "<form class=\"idp-form\" method=\"post\" action=\"/idp/login/{tx}/eid/puk\">{hidden}\
<div class=\"kern-form-input\"><label class=\"kern-label\" for=\"puk\">10-stellige PUK</label>\
<p class=\"kern-hint\" id=\"puk-hinweis\">Die PUK steht in Ihrem PIN-Brief. Sie kann noch {puk_uses_left}-mal verwendet werden.</p>\
<input class=\"kern-form-input__input kern-form-input__input--width-10\" id=\"puk\" name=\"puk\" type=\"password\" inputmode=\"numeric\" autocomplete=\"off\" pattern=\"[0-9]{{10}}\" maxlength=\"10\" required aria-describedby=\"puk-hinweis\"></div>\
{}</form>",
                submit("PIN entsperren"),
            ));
            body.push_str(&back_link(&tx, "Zurück zur Auswahl der Anmeldung"));
        }
        EidState::Pin { remaining } => {
            body.push_str(
                "<dl class=\"kern-description-list\">\
<div class=\"kern-description-list-item\"><dt class=\"kern-description-list-item__key\">Anbieter</dt><dd class=\"kern-description-list-item__value\">Bürgeramt NRW (Testumgebung)</dd></div>\
<div class=\"kern-description-list-item\"><dt class=\"kern-description-list-item__key\">Zweck</dt><dd class=\"kern-description-list-item__value\">Anmeldung für eine Verwaltungsleistung</dd></div></dl>\
<h2 class=\"kern-heading-medium\">Folgende Daten werden übermittelt</h2><ul class=\"kern-list kern-list--bullet\">",
            );
            for f in EID_FIELDS {
                body.push_str(&format!("<li>{}</li>", escape(f)));
            }
            body.push_str("</ul>");
            body.push_str(&format!(
                "<form class=\"idp-form\" method=\"post\" action=\"/idp/login/{tx}/eid\">{hidden}\
<div class=\"kern-form-input\"><label class=\"kern-label\" for=\"pin\">6-stellige PIN</label>\
<p class=\"kern-hint\" id=\"pin-hinweis\">Noch {remaining} Versuch(e). Nach drei falschen Eingaben wird die PIN gesperrt.</p>\
<input class=\"kern-form-input__input kern-form-input__input--width-4\" id=\"pin\" name=\"pin\" type=\"password\" inputmode=\"numeric\" autocomplete=\"off\" pattern=\"[0-9]{{6}}\" maxlength=\"6\" required aria-describedby=\"pin-hinweis\"></div>\
{}</form>",
                submit("Identifizieren"),
            ));
            body.push_str(&back_link(
                &tx,
                "Abbrechen und zur Auswahl der Anmeldung zurückkehren",
            ));
        }
    }
    body
}

pub fn blocked_explanation() -> String {
    alert(
        Kind::Danger,
        "Die PIN ist gesperrt",
        "Die PIN wurde dreimal falsch eingegeben. Sie können die Sperre mit der PUK aus Ihrem PIN-Brief aufheben. \
Haben Sie keine PUK mehr, kann Ihr Bürgerbüro eine neue PIN setzen. Bis dahin melden Sie sich bitte auf anderem Weg an.",
    )
}

/// Refusal: the chosen method does not reach the needed level.
pub fn level_refused(tx: &str, chosen: LoginMethod, needed: TrustLevel) -> String {
    let tx = escape(tx);
    let mut body = alert(
        Kind::Danger,
        "Diese Anmeldeart reicht für die Leistung nicht aus",
        &format!(
            "Mit {} erreichen Sie das Vertrauensniveau „{}“. Diese Leistung verlangt mindestens „{}“ ({}).",
            chosen.german_name(),
            chosen.level().german_name(),
            needed.german_name(),
            needed.as_str()
        ),
    );
    body.push_str("<h2 class=\"kern-heading-medium\">Melden Sie sich stattdessen an mit</h2><ul class=\"kern-list kern-list--bullet\">");
    for m in sufficient_methods(needed) {
        body.push_str(&format!(
            "<li><a class=\"kern-link\" href=\"/idp/login/{tx}#{}\">Anmelden mit {}</a></li>",
            method_anchor(m),
            escape(m.german_name())
        ));
    }
    body.push_str("</ul>");
    body
}

pub struct RegisterView<'a> {
    pub tx: &'a str,
    pub csrf: &'a str,
    pub notice: Option<String>,
    pub values: &'a [(&'a str, String)],
}

/// Fields of the registration form: (name, label, type, autocomplete, extra).
pub const REGISTER_FIELDS: &[(&str, &str, &str, &str, &str)] = &[
    ("username", "Gewünschter Benutzername (3 bis 48 Zeichen: Kleinbuchstaben, Ziffern, Punkt, Bindestrich, Unterstrich; eine vierstellige Zahl wird angehängt)", "text", "username", "required minlength=\"3\" maxlength=\"48\""),
    ("password", "Passwort (mindestens 10 Zeichen)", "password", "new-password", "required minlength=\"10\" maxlength=\"256\""),
    ("givenName", "Vorname(n)", "text", "given-name", "required maxlength=\"100\""),
    ("surname", "Familienname", "text", "family-name", "required maxlength=\"100\""),
    ("birthdate", "Geburtsdatum", "date", "bday", "required"),
    ("postalAddress", "Straße und Hausnummer", "text", "street-address", "required maxlength=\"200\""),
    ("postalCode", "Postleitzahl", "text", "postal-code", "required inputmode=\"numeric\" pattern=\"[0-9]{5}\" maxlength=\"5\""),
    ("localityName", "Ort", "text", "address-level2", "required maxlength=\"100\""),
    ("mail", "E-Mail-Adresse", "email", "email", "required maxlength=\"254\""),
];

/// After a registration: the username the provider assigned.
pub fn registered_notice(username: &str) -> String {
    alert(
        Kind::Success,
        "Ihr Basiskonto ist angelegt",
        &format!(
            "Ihr Benutzername lautet „{username}“. Bitte notieren Sie ihn: Sie brauchen ihn bei jeder Anmeldung. Melden Sie sich jetzt mit diesem Benutzernamen und Ihrem Passwort an."
        ),
    )
}

pub fn register_page(v: &RegisterView<'_>) -> String {
    let tx = escape(v.tx);
    let mut body = String::from(
        "<p class=\"kern-body\">Ein Basiskonto erreicht das Vertrauensniveau „Basisregistrierung (niedrig)“. \
Ihre Angaben sind selbst erklärt; für Leistungen mit höherem Vertrauensniveau weisen Sie sich später mit ELSTER oder dem Online-Ausweis aus.</p>\
<p class=\"kern-body\">Ihren Benutzernamen schlagen Sie vor; wir hängen eine zufällige vierstellige Zahl an und zeigen Ihnen danach, wie er lautet.</p>",
    );
    if let Some(n) = &v.notice {
        body.push_str(n);
    }
    let mut fields = String::new();
    for (name, label, kind, auto, extra) in REGISTER_FIELDS {
        let value = if *name == "password" {
            ""
        } else {
            v.values
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
                .unwrap_or("")
        };
        fields.push_str(&text_input(name, label, kind, auto, extra, value));
    }
    body.push_str(&format!(
        "<form class=\"idp-form\" method=\"post\" action=\"/idp/login/{tx}/register\">{}\
<fieldset class=\"kern-fieldset\"><legend class=\"kern-label\">Ihre Angaben</legend><div class=\"kern-fieldset__body\">{fields}</div></fieldset>{}</form>\
<p class=\"kern-body\"><a class=\"kern-link\" href=\"/idp/login/{tx}\">Zurück zur Anmeldung</a></p>",
        hidden_csrf(v.csrf),
        submit("Konto anlegen und anmelden"),
    ));
    body
}

pub fn logged_out_page(stylesheets: &[String], had_session: bool) -> Response {
    let text = if had_session {
        alert(
            Kind::Success,
            "Sie sind abgemeldet",
            "Ihre Anmeldung wurde beendet. Sie können dieses Fenster schließen.",
        )
    } else {
        alert(
            Kind::Info,
            "Keine aktive Anmeldung",
            "Es war keine Anmeldung aktiv, die beendet werden musste.",
        )
    };
    page(StatusCode::OK, stylesheets, "Abmeldung", &text)
}
