//! The app's form engine and the authority's validator agree: for every
//! shipped form, answers the engine accepts become data the stand-in's
//! own schema check (backends::fitconnect::forms) accepts, in both
//! branches of every condition, with hidden answers left out.
#![cfg(not(target_arch = "wasm32"))]

use buergeramt::domain::form::answers::{date_part, item, join};
use buergeramt::domain::form::{
    parse_form, to_data, validate_all, Answers, Field, FileRef, Kind, Patterns,
};

struct Re;
impl Patterns for Re {
    fn matches(&self, pattern: &str, text: &str) -> bool {
        regex::Regex::new(pattern).is_ok_and(|r| r.is_match(text))
    }
}

/// A value that fits a text field's pattern (the shipped ones), else text.
fn text_for(pattern: Option<&str>) -> String {
    match pattern {
        Some(p) if p.contains("[0-9]{5}") => "50667".into(),
        Some(p) if p.contains("[0-9]{15}") => "276098100123456".into(),
        Some(p) if p.contains("[0-9]{1,6}") => "4711".into(),
        Some(p) if p.contains('@') => "erika@example.org".into(),
        Some(p) if p.contains("[A-ZÄÖÜ]") => "K-AB 1234".into(),
        Some(p) => panic!("no sample for pattern {p}"),
        None => "Beispiel".into(),
    }
}

/// Fills every field (shown or not): `yes` picks Ja and the last choice
/// (which opens the conditional parts), otherwise Nein and the first.
fn fill(fields: &[Field], parent: &str, a: &mut Answers, yes: bool, n: &mut u32) {
    for f in fields {
        let path = join(parent, &f.id);
        match &f.kind {
            Kind::Text(r) => {
                let base = text_for(r.pattern.as_deref());
                let long = if r.pattern.is_none() {
                    base.repeat(r.min_len.unwrap_or(1).div_ceil(8).max(1))
                } else {
                    base
                };
                let t: String = long.chars().take(r.max_len.unwrap_or(usize::MAX)).collect();
                a.set(&path, t)
            }
            Kind::Date => {
                a.set(&date_part(&path, "d"), "1");
                a.set(&date_part(&path, "m"), "2");
                a.set(&date_part(&path, "y"), "2000");
            }
            Kind::YesNo => a.set(&path, if yes { "true" } else { "false" }),
            Kind::Declaration => a.set(&path, "true"),
            Kind::Choice(c) => {
                let pick = if yes { c.last() } else { c.first() };
                a.set(&path, pick.map(|c| c.value.clone()).unwrap_or_default());
            }
            Kind::Integer { min, .. } => a.set(&path, min.unwrap_or(1).max(1).to_string()),
            Kind::Number { .. } => a.set(&path, "2,5"),
            Kind::Attachment { accept, .. } => {
                *n += 1;
                a.files.insert(
                    path,
                    FileRef {
                        id: format!("00000000-0000-4000-8000-{:012x}", *n),
                        name: format!("anlage-{n}.pdf"),
                        mime: accept[0].clone(),
                        size: 100,
                    },
                );
            }
            Kind::Group(children) => fill(children, &path, a, yes, n),
            Kind::Repeat {
                fields, min, max, ..
            } => {
                let count = (*min).max(2).min(*max);
                a.counts.insert(path.clone(), count);
                for i in 0..count {
                    fill(fields, &item(&path, i), a, yes, n);
                }
            }
        }
    }
}

#[test]
fn engine_data_passes_the_authority_validator_for_every_form() {
    let forms = backends::fitconnect::forms::all().expect("seed forms load");
    assert_eq!(forms.len(), 7);
    for f in forms {
        let form = parse_form(f.text).expect("the app reads the schema");
        for yes in [true, false] {
            let mut a = Answers::default();
            fill(&form.fields, "", &mut a, yes, &mut 0);
            let issues = validate_all(&form, &a, &Re);
            assert_eq!(issues, vec![], "{} ({yes}): engine issues", f.slug);
            let data = to_data(&form, &a);
            let report = backends::fitconnect::forms::validate(&f.schema, &data);
            assert!(
                report.violations.is_empty(),
                "{} ({yes}): the authority refuses {:?}\n{data:#}",
                f.slug,
                report.violations
            );
        }
    }
}
