//! Mandates (Vollmachten, issue #25) on `/konto/vollmachten`: the logic of
//! the grant form and of how a mandate reads, without a browser. The wire
//! types and limits are in `contract::mandate`.
//!
//! * [`parse_date`]: the "gültig bis" field (`2027-03-31` from a date
//!   input, or `31.3.2027` typed by hand).
//! * [`default_until`], [`latest_until`]: one year from today, and the
//!   longest validity ([`MAX_VALIDITY_DAYS`]), both in Europe/Berlin.
//! * [`validate`]: the form before it is sent: a [`Grant`] or the problems,
//!   each with its field, in the order of the form.
//! * [`state_word`]: where a mandate stands, as one side sees it.
//! * Mandates for children and cared-for persons
//!   (`contract::mandate_request`): [`is_request_service`], the
//!   [`request`] the app sends for that service's form, [`reply_mailbox`]
//!   (whose postbox the decision goes to) and [`scope_of`].

use contract::mandate::{
    normalise_code, Grant, Kind, Mandate, ServiceRef, State, MAX_SERVICES, MAX_VALIDITY_DAYS,
};
use contract::mandate_request::{from_form, Request};

use crate::domain::timeline::berlin_time;

/// A calendar date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    pub year: i64,
    pub month: u32,
    pub day: u32,
}

impl Date {
    /// Checked: a real day of a year 1..=9999.
    pub fn new(year: i64, month: u32, day: u32) -> Option<Date> {
        ((1..=9999).contains(&year)
            && (1..=12).contains(&month)
            && day >= 1
            && day <= days_in_month(year, month))
        .then_some(Date { year, month, day })
    }

    /// `2027-03-31`, as the relay and `<input type="date">` take it.
    pub fn iso(self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }

    /// `31.03.2027` (German) or `31/03/2027` (English).
    pub fn display(self, german: bool) -> String {
        let sep = if german { '.' } else { '/' };
        format!("{:02}{sep}{:02}{sep}{}", self.day, self.month, self.year)
    }

    fn days(self) -> i64 {
        days_from_civil(self.year, self.month, self.day)
    }

    fn plus_days(self, n: i64) -> Date {
        let (y, m, d) = civil_from_days(self.days() + n);
        Date {
            year: y,
            month: m,
            day: d,
        }
    }
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days since 1970-01-01 (proleptic Gregorian).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Today in Germany for `now` (Unix seconds).
pub fn today(now: i64) -> Date {
    let (y, m, d, _, _) = berlin_time(now);
    Date {
        year: y,
        month: m,
        day: d,
    }
}

/// The field as typed or picked: `2027-03-31` or `31.3.2027` (spaces
/// around are ignored). `None` for anything else, or a day that does not
/// exist.
pub fn parse_date(typed: &str) -> Option<Date> {
    let s = typed.trim();
    let nums = |parts: Vec<&str>| -> Option<Vec<i64>> {
        parts
            .into_iter()
            .map(|p| {
                (!p.is_empty() && p.len() <= 4 && p.bytes().all(|b| b.is_ascii_digit()))
                    .then(|| p.parse::<i64>().ok())
                    .flatten()
            })
            .collect()
    };
    let (y, m, d) = if s.contains('-') {
        let n = nums(s.split('-').collect())?;
        match n.as_slice() {
            [y, m, d] if s.split('-').next().is_some_and(|p| p.len() == 4) => (*y, *m, *d),
            _ => return None,
        }
    } else if s.contains('.') {
        let n = nums(s.split('.').collect())?;
        match n.as_slice() {
            [d, m, y] if s.rsplit('.').next().is_some_and(|p| p.len() == 4) => (*y, *m, *d),
            _ => return None,
        }
    } else {
        return None;
    };
    Date::new(y, u32::try_from(m).ok()?, u32::try_from(d).ok()?)
}

/// The default end: the same day next year (28 February for a 29th).
pub fn default_until(now: i64) -> Date {
    let t = today(now);
    let year = t.year + 1;
    let day = t.day.min(days_in_month(year, t.month));
    Date {
        year,
        month: t.month,
        day,
    }
}

/// The latest end the relay takes: today plus [`MAX_VALIDITY_DAYS`].
pub fn latest_until(now: i64) -> Date {
    today(now).plus_days(MAX_VALIDITY_DAYS)
}

/// Which field of the form a problem belongs to (its element id on the page).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Code,
    Services,
    ValidUntil,
}

impl Field {
    pub fn id(self) -> &'static str {
        match self {
            Field::Code => "vollmacht-code",
            Field::Services => "vollmacht-suche",
            Field::ValidUntil => "vollmacht-bis",
        }
    }
}

/// What is wrong with the form, before anything is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    CodeMissing,
    /// Not 12 characters of the code's alphabet.
    CodeInvalid,
    /// "Only chosen services", but none chosen.
    NoServices,
    TooManyServices,
    DateMissing,
    DateInvalid,
    /// Before today.
    DatePast,
    /// After [`latest_until`].
    DateTooFar,
}

impl Problem {
    pub fn field(self) -> Field {
        match self {
            Problem::CodeMissing | Problem::CodeInvalid => Field::Code,
            Problem::NoServices | Problem::TooManyServices => Field::Services,
            Problem::DateMissing
            | Problem::DateInvalid
            | Problem::DatePast
            | Problem::DateTooFar => Field::ValidUntil,
        }
    }
}

/// The grant form as entered.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GrantForm {
    pub code: String,
    /// `false`: only `services`.
    pub all_services: bool,
    pub services: Vec<ServiceRef>,
    pub postbox: bool,
    pub valid_until: String,
}

/// The form checked as the relay will check it: the [`Grant`] to send,
/// or every problem, in the order of the form.
pub fn validate(form: &GrantForm, now: i64) -> Result<Grant, Vec<Problem>> {
    let mut problems = Vec::new();
    let code = if form.code.trim().is_empty() {
        problems.push(Problem::CodeMissing);
        None
    } else {
        let c = normalise_code(&form.code);
        if c.is_none() {
            problems.push(Problem::CodeInvalid);
        }
        c
    };
    if !form.all_services {
        if form.services.is_empty() {
            problems.push(Problem::NoServices);
        } else if form.services.len() > MAX_SERVICES {
            problems.push(Problem::TooManyServices);
        }
    }
    let until = if form.valid_until.trim().is_empty() {
        problems.push(Problem::DateMissing);
        None
    } else {
        match parse_date(&form.valid_until) {
            None => {
                problems.push(Problem::DateInvalid);
                None
            }
            Some(d) if d < today(now) => {
                problems.push(Problem::DatePast);
                None
            }
            Some(d) if d > latest_until(now) => {
                problems.push(Problem::DateTooFar);
                None
            }
            Some(d) => Some(d),
        }
    };
    match (code, until) {
        (Some(code), Some(until)) if problems.is_empty() => Ok(Grant {
            code,
            services: (!form.all_services).then(|| form.services.clone()),
            postbox: form.postbox,
            valid_until: until.iso(),
        }),
        _ => Err(problems),
    }
}

/// Adds a service to the chosen ones: `false` when it is there already or
/// the list is full.
pub fn add_service(list: &mut Vec<ServiceRef>, service: ServiceRef) -> bool {
    if list.len() >= MAX_SERVICES || list.iter().any(|s| s.identifier == service.identifier) {
        return false;
    }
    list.push(service);
    true
}

/// The LeiKa URN of a catalogue entry (its LeiKa key, else its id).
pub fn service_urn(leika_or_id: &str) -> String {
    format!("urn:de:fim:leika:leistung:{leika_or_id}")
}

/// How a mandate's state reads, from one side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateWord {
    Active,
    Pending,
    /// Revoked by the grantor: "von Ihnen widerrufen" for the grantor.
    RevokedByMe,
    RevokedByOther,
    /// Given back by the grantee.
    ReturnedByMe,
    ReturnedByOther,
    Expired,
    Refused,
}

/// `granted`: the asker is the grantor (the list "Von mir erteilt").
pub fn state_word(state: State, granted: bool) -> StateWord {
    match (state, granted) {
        (State::Active, _) => StateWord::Active,
        (State::Pending, _) => StateWord::Pending,
        (State::Revoked, true) => StateWord::RevokedByMe,
        (State::Revoked, false) => StateWord::RevokedByOther,
        (State::Returned, true) => StateWord::ReturnedByOther,
        (State::Returned, false) => StateWord::ReturnedByMe,
        (State::Expired, _) => StateWord::Expired,
        (State::Refused, _) => StateWord::Refused,
    }
}

/// Whether the asker can still end it (revoke or give back).
pub fn can_end(state: State) -> bool {
    matches!(state, State::Active | State::Pending)
}

/// Whether `leika` (14 digits) is the relay's own service "Vertretung
/// nachweisen": its form requests a mandate for a child or a cared-for
/// person.
pub fn is_request_service(leika: &str) -> bool {
    leika == contract::mandate_request::LEIKA
}

/// The request for the announced submission `submission_id`, read from the
/// form's data (the same JSON that is encrypted for the authority); `Err`
/// names what is missing (for the log: the form has checked the input).
pub fn request(data: &serde_json::Value, submission_id: &str) -> Result<Request, &'static str> {
    if submission_id.is_empty() {
        return Err("submission id");
    }
    let f = from_form(data)?;
    Ok(Request {
        submission_id: submission_id.to_string(),
        kind: f.kind,
        person: f.person,
        care_until: f.care_until,
        care_scope: f.care_scope,
    })
}

/// The postbox the decision on an application made under a mandate goes
/// to: the person concerned's own (`mailboxUuid` of their data) under a
/// Vollmacht; `None`, the applicant's own, for a child or a cared-for
/// person, who have no postbox here (their data is only declared).
pub fn reply_mailbox(kind: Kind, person: &[contract::relay::Attribute]) -> Option<String> {
    match kind {
        Kind::Vollmacht => person
            .iter()
            .find(|a| a.name == "mailboxUuid")
            .map(|a| a.value.trim().to_string())
            .filter(|v| !v.is_empty()),
        Kind::Sorgerecht | Kind::Betreuung => None,
    }
}

/// What the "Wofür" column says: the Aufgabenkreise of a Betreuung when
/// declared, else the chosen services' names; `None`: all services.
pub fn scope_of(m: &Mandate) -> Option<String> {
    if m.kind == Kind::Betreuung {
        if let Some(scope) = m.care_scope.as_deref().map(str::trim) {
            if !scope.is_empty() {
                return Some(scope.chars().take(1000).collect());
            }
        }
    }
    m.services.as_ref().map(|list| {
        list.iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use contract::mandate::Party;
    use contract::mandate_request::{field, FORM_BETREUUNG, FORM_SORGERECHT};
    use contract::relay::{Attribute, AttributeTrust};
    use serde_json::json;

    fn attr(name: &str, value: &str) -> Attribute {
        Attribute {
            name: name.into(),
            value: value.into(),
            trust: AttributeTrust::Verified,
            source: "account".into(),
        }
    }

    fn mandate(kind: Kind) -> Mandate {
        Mandate {
            id: "m".into(),
            kind,
            state: State::Pending,
            grantor: Party {
                given_names: "Lena".into(),
                family_name: "Mustermann".into(),
            },
            grantee: Party {
                given_names: "Erika".into(),
                family_name: "Mustermann".into(),
            },
            services: None,
            postbox: false,
            created_at: 1,
            valid_until: "2034-03-11".into(),
            ended_at: None,
            care_scope: None,
        }
    }

    #[test]
    fn the_request_is_read_from_the_forms_data() {
        assert!(is_request_service("99990001001000"));
        assert!(!is_request_service("99036001001000"));
        let child = json!({
            field::KIND: FORM_SORGERECHT,
            field::GIVEN_NAMES: "Lena",
            field::FAMILY_NAME: "Mustermann",
            field::BIRTH_DATE: "2016-03-12",
            field::PROOF: "6f1c2b9e-0000-4000-8000-000000000001",
        });
        let r = request(&child, "sub-1").unwrap();
        assert_eq!(r.submission_id, "sub-1");
        assert_eq!(r.kind, Kind::Sorgerecht);
        assert_eq!(r.person.birth_date, "2016-03-12");
        assert_eq!((r.care_until, r.care_scope), (None, None));
        assert_eq!(request(&child, ""), Err("submission id"));
        let care = json!({
            field::KIND: FORM_BETREUUNG,
            field::GIVEN_NAMES: "Paul",
            field::FAMILY_NAME: "Beispiel",
            field::BIRTH_DATE: "1950-07-01",
            field::CARE_UNTIL: "2029-06-30",
            field::CARE_SCOPE: "Vermögenssorge",
        });
        let r = request(&care, "sub-2").unwrap();
        assert_eq!(r.kind, Kind::Betreuung);
        assert_eq!(r.care_scope.as_deref(), Some("Vermögenssorge"));
        assert_eq!(request(&json!({}), "sub-3"), Err("kind"));
        assert_eq!(request(&json!("not an object"), "sub-3"), Err("kind"));
    }

    #[test]
    fn decisions_for_a_child_go_to_the_applicants_own_postbox() {
        let with_box = [attr("givenName", "Erika"), attr("mailboxUuid", "box-erika")];
        assert_eq!(
            reply_mailbox(Kind::Vollmacht, &with_box).as_deref(),
            Some("box-erika")
        );
        // Even if a mailbox came along, a child's decision is the parent's.
        assert_eq!(reply_mailbox(Kind::Sorgerecht, &with_box), None);
        assert_eq!(reply_mailbox(Kind::Betreuung, &with_box), None);
        assert_eq!(reply_mailbox(Kind::Vollmacht, &with_box[..1]), None);
        assert_eq!(
            reply_mailbox(Kind::Vollmacht, &[attr("mailboxUuid", " ")]),
            None
        );
    }

    #[test]
    fn a_betreuung_shows_its_aufgabenkreise() {
        let mut m = mandate(Kind::Betreuung);
        assert_eq!(scope_of(&m), None, "all services");
        m.care_scope = Some(" Vermögenssorge, Behördenangelegenheiten ".into());
        assert_eq!(
            scope_of(&m).as_deref(),
            Some("Vermögenssorge, Behördenangelegenheiten")
        );
        m.care_scope = Some("  ".into());
        assert_eq!(scope_of(&m), None);
        let mut v = mandate(Kind::Vollmacht);
        v.care_scope = Some("ignored".into());
        v.services = Some(vec![svc(1), svc(2)]);
        assert_eq!(scope_of(&v).as_deref(), Some("Leistung 1, Leistung 2"));
    }

    /// 2026-05-20 12:00 UTC (14:00 in Berlin).
    const NOW: i64 = 1_779_278_400;

    fn form() -> GrantForm {
        GrantForm {
            code: "abcd-efgh-jkmn".into(),
            all_services: true,
            services: vec![],
            postbox: true,
            valid_until: "2027-05-20".into(),
        }
    }

    fn svc(n: usize) -> ServiceRef {
        ServiceRef {
            identifier: service_urn(&format!("{n:014}")),
            name: format!("Leistung {n}"),
        }
    }

    #[test]
    fn dates_are_parsed_in_both_forms_and_checked() {
        let d = Date::new(2027, 3, 31);
        assert_eq!(parse_date("2027-03-31"), d);
        assert_eq!(parse_date(" 31.3.2027 "), d);
        assert_eq!(parse_date("31.03.2027"), d);
        assert_eq!(parse_date("2027-02-29"), None, "not a leap year");
        assert_eq!(parse_date("2028-02-29"), Date::new(2028, 2, 29));
        for bad in [
            "",
            "2027",
            "31.3.27",
            "27-03-31",
            "2027-13-01",
            "x.y.z",
            "2027-03-31-1",
            "+2027-03-31",
            "31.3.2027.",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
        assert_eq!(
            Date::new(2027, 3, 1).map(Date::iso).as_deref(),
            Some("2027-03-01")
        );
        assert_eq!(
            Date::new(2027, 3, 1).map(|d| d.display(true)).as_deref(),
            Some("01.03.2027")
        );
    }

    #[test]
    fn the_default_is_one_year_and_the_latest_the_maximum() {
        assert_eq!(today(NOW).iso(), "2026-05-20");
        assert_eq!(default_until(NOW).iso(), "2027-05-20");
        // 29 February 2028 → 28 February 2029.
        let leap = (days_from_civil(2028, 2, 29) * 86_400) + 43_200;
        assert_eq!(default_until(leap).iso(), "2029-02-28");
        assert_eq!(latest_until(NOW), today(NOW).plus_days(MAX_VALIDITY_DAYS));
        assert_eq!(latest_until(NOW).iso(), "2029-05-22", "3 × 366 days");
        // Late in the evening in Berlin is already the next day.
        let late = days_from_civil(2026, 5, 20) * 86_400 + 22 * 3600 + 30 * 60;
        assert_eq!(today(late).iso(), "2026-05-21");
    }

    #[test]
    fn a_good_form_becomes_the_grant() {
        let g = validate(&form(), NOW).unwrap();
        assert_eq!(g.code, "ABCDEFGHJKMN");
        assert_eq!(g.services, None);
        assert!(g.postbox);
        assert_eq!(g.valid_until, "2027-05-20");
        let mut f = form();
        f.all_services = false;
        f.services = vec![svc(1)];
        f.valid_until = "20.05.2026".into();
        let g = validate(&f, NOW).unwrap();
        assert_eq!(g.services, Some(vec![svc(1)]));
        assert_eq!(g.valid_until, "2026-05-20", "today is allowed");
    }

    #[test]
    fn every_problem_is_found_in_the_order_of_the_form() {
        let f = GrantForm {
            code: " ".into(),
            all_services: false,
            services: vec![],
            postbox: false,
            valid_until: String::new(),
        };
        assert_eq!(
            validate(&f, NOW),
            Err(vec![
                Problem::CodeMissing,
                Problem::NoServices,
                Problem::DateMissing
            ])
        );
        let mut f = form();
        f.code = "ABCD-EFGH-JKM0".into();
        f.valid_until = "2026-05-19".into();
        assert_eq!(
            validate(&f, NOW),
            Err(vec![Problem::CodeInvalid, Problem::DatePast])
        );
        f.code = "ABCDEFGHJKMN".into();
        f.valid_until = "2029-05-23".into();
        assert_eq!(validate(&f, NOW), Err(vec![Problem::DateTooFar]));
        f.valid_until = "morgen".into();
        assert_eq!(validate(&f, NOW), Err(vec![Problem::DateInvalid]));
        f.valid_until = "2027-01-01".into();
        f.all_services = false;
        f.services = (0..=MAX_SERVICES).map(svc).collect();
        assert_eq!(validate(&f, NOW), Err(vec![Problem::TooManyServices]));
        assert_eq!(Problem::TooManyServices.field().id(), "vollmacht-suche");
        assert_eq!(Problem::DatePast.field(), Field::ValidUntil);
        assert_eq!(Problem::CodeInvalid.field(), Field::Code);
    }

    #[test]
    fn services_are_added_once_and_up_to_the_limit() {
        let mut list = vec![];
        assert!(add_service(&mut list, svc(1)));
        assert!(!add_service(&mut list, svc(1)));
        for n in 2..=MAX_SERVICES {
            assert!(add_service(&mut list, svc(n)));
        }
        assert!(!add_service(&mut list, svc(MAX_SERVICES + 1)));
        assert_eq!(list.len(), MAX_SERVICES);
        assert_eq!(
            svc(1).identifier,
            "urn:de:fim:leika:leistung:00000000000001"
        );
    }

    #[test]
    fn states_read_from_each_side() {
        assert_eq!(state_word(State::Revoked, true), StateWord::RevokedByMe);
        assert_eq!(state_word(State::Revoked, false), StateWord::RevokedByOther);
        assert_eq!(
            state_word(State::Returned, true),
            StateWord::ReturnedByOther
        );
        assert_eq!(state_word(State::Returned, false), StateWord::ReturnedByMe);
        assert_eq!(state_word(State::Active, false), StateWord::Active);
        assert!(can_end(State::Active) && can_end(State::Pending));
        assert!(!can_end(State::Revoked) && !can_end(State::Expired));
    }
}
