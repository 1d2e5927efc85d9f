//! Taking over data the account already has (`x-prefill`), and the lock
//! rule: when a service needs Level-4 (hoch), data read from the
//! Online-Ausweis is the identity the authority relies on, so it is shown
//! read-only; at lower levels every prefilled value stays editable.

use std::collections::BTreeMap;

use super::answers::{date_part, join, Answers};
use super::schema::{Field, Form, Kind};
use crate::domain::session::{Provenance, UserInfo};
use crate::domain::trust::TrustLevel;

/// Where a prefilled value came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Prefilled {
    /// The identity attribute (`givenName`, …).
    pub attribute: String,
    /// The attribute's value as the account holds it.
    pub value: String,
    pub provenance: Provenance,
    /// Shown read-only (see [`locks`]).
    pub locked: bool,
}

/// Whether any field under these top-level fields (a step's) is locked:
/// the step then explains once why, instead of under every field.
pub fn any_locked_under(prefilled: &BTreeMap<String, Prefilled>, top_ids: &[String]) -> bool {
    prefilled.iter().any(|(path, p)| {
        p.locked
            && top_ids.iter().any(|id| {
                path == id
                    || path
                        .strip_prefix(id.as_str())
                        .is_some_and(|rest| rest.starts_with('/'))
            })
    })
}

/// An account value as a person reads it: the eID's nationality is an
/// ICAO code ("D"), shown as "deutsch (D)". The value sent stays the code.
pub fn readable(attribute: &str, value: &str, english: bool) -> Option<String> {
    if attribute != "nationality" {
        return None;
    }
    const NAMES: &[(&str, &str, &str)] = &[
        ("D", "deutsch", "German"),
        ("A", "österreichisch", "Austrian"),
        ("B", "belgisch", "Belgian"),
        ("CH", "schweizerisch", "Swiss"),
        ("E", "spanisch", "Spanish"),
        ("F", "französisch", "French"),
        ("GR", "griechisch", "Greek"),
        ("HR", "kroatisch", "Croatian"),
        ("I", "italienisch", "Italian"),
        ("NL", "niederländisch", "Dutch"),
        ("P", "portugiesisch", "Portuguese"),
        ("PL", "polnisch", "Polish"),
        ("RO", "rumänisch", "Romanian"),
        ("SYR", "syrisch", "Syrian"),
        ("TUR", "türkisch", "Turkish"),
        ("UA", "ukrainisch", "Ukrainian"),
    ];
    let code = value.trim();
    NAMES
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(c, de, en)| format!("{} ({c})", if english { en } else { de }))
}

/// Whether a value with this provenance is locked in a form of this level.
pub fn locks(form_level: TrustLevel, provenance: Provenance) -> bool {
    form_level == TrustLevel::Level4 && provenance == Provenance::EidVerified
}

/// Fills empty fields from the account and resets locked ones to the
/// verified value (a draft cannot carry a changed locked value). Returns
/// what was prefilled, by field path. Repeats are not prefilled: their
/// items are other people or things, not the citizen.
pub fn prefill(form: &Form, user: &UserInfo, a: &mut Answers) -> BTreeMap<String, Prefilled> {
    let mut out = BTreeMap::new();
    walk(&form.fields, "", form.level, user, a, &mut out);
    out
}

fn walk(
    fields: &[Field],
    parent: &str,
    level: TrustLevel,
    user: &UserInfo,
    a: &mut Answers,
    out: &mut BTreeMap<String, Prefilled>,
) {
    for f in fields {
        let path = join(parent, &f.id);
        if let Kind::Group(children) = &f.kind {
            walk(children, &path, level, user, a, out);
            continue;
        }
        let Some(attr_name) = &f.prefill else {
            continue;
        };
        let Some(attr) = user.attributes.iter().find(|x| &x.name == attr_name) else {
            continue;
        };
        let value = attr.value.trim();
        if value.is_empty() {
            continue;
        }
        let provenance = attr.provenance();
        let locked = locks(level, provenance);
        let filled = match &f.kind {
            Kind::Date => {
                let Some((y, m, d)) = split_iso(value) else {
                    continue;
                };
                let empty = ["d", "m", "y"]
                    .iter()
                    .all(|p| a.get(&date_part(&path, p)).is_empty());
                if empty || locked {
                    a.set(&date_part(&path, "d"), d);
                    a.set(&date_part(&path, "m"), m);
                    a.set(&date_part(&path, "y"), y);
                }
                true
            }
            Kind::Text(_) | Kind::Choice(_) => {
                if a.get(&path).is_empty() || locked {
                    a.set(&path, value);
                }
                true
            }
            _ => false,
        };
        if filled {
            out.insert(
                path,
                Prefilled {
                    attribute: attr_name.clone(),
                    value: value.to_string(),
                    provenance,
                    locked,
                },
            );
        }
    }
}

fn split_iso(v: &str) -> Option<(&str, &str, &str)> {
    let mut p = v.splitn(3, '-');
    let (y, m, d) = (p.next()?, p.next()?, p.next()?);
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    (digits(y, 4) && digits(m, 2) && digits(d, 2)).then_some((y, m, d))
}

/// Whether the answer at `path` still is the account's value.
pub fn unchanged(path: &str, info: &Prefilled, a: &Answers) -> bool {
    let raw = a.get(path).trim();
    if !raw.is_empty() {
        return raw == info.value;
    }
    match super::engine::date_value(a, path) {
        Ok(Some(iso)) => iso == info.value,
        _ => false,
    }
}

/// The account attributes that go to the authority: prefilled, still
/// unchanged and on a shown field. Sorted, without duplicates.
pub fn disclosed(form: &Form, prefilled: &BTreeMap<String, Prefilled>, a: &Answers) -> Vec<String> {
    let data = super::engine::to_data(form, a);
    let mut names: Vec<String> = prefilled
        .iter()
        .filter(|(path, info)| unchanged(path, info, a) && present(&data, path))
        .map(|(_, info)| info.attribute.clone())
        .collect();
    names.sort();
    names.dedup();
    names
}

fn present(data: &serde_json::Value, path: &str) -> bool {
    let mut v = data;
    for seg in path.split('/') {
        match v.get(seg) {
            Some(next) => v = next,
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod locked_tests {
    use super::*;

    fn entry(locked: bool) -> Prefilled {
        Prefilled {
            attribute: "surname".into(),
            value: "Mustermann".into(),
            provenance: Provenance::EidVerified,
            locked,
        }
    }

    #[test]
    fn a_step_knows_whether_it_holds_a_locked_field() {
        let mut p = BTreeMap::new();
        p.insert("G1/F2".to_string(), entry(true));
        p.insert("F9".to_string(), entry(false));
        assert!(any_locked_under(&p, &["G1".into()]));
        assert!(!any_locked_under(&p, &["F9".into()]), "offered, not locked");
        assert!(
            !any_locked_under(&p, &["G".into()]),
            "a prefix of letters is not a parent"
        );
        assert!(!any_locked_under(&p, &[]));
        p.insert("F3".to_string(), entry(true));
        assert!(any_locked_under(&p, &["F3".into(), "F4".into()]));
    }

    #[test]
    fn nationality_codes_read_as_words() {
        assert_eq!(
            readable("nationality", "D", false).as_deref(),
            Some("deutsch (D)")
        );
        assert_eq!(
            readable("nationality", " TUR ", true).as_deref(),
            Some("Turkish (TUR)")
        );
        assert_eq!(readable("nationality", "XYZ", false), None);
        assert_eq!(readable("givenName", "D", false), None);
    }
}
