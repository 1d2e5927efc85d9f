//! The form engine over the six schemas the stand-in ships, with answers
//! the fuzzer builds (structured with `arbitrary`, aimed at the real field
//! paths). Properties:
//! * no panic in validate_step / validate_all / to_data / attachments / review;
//! * every issue names a field of the schema, on the step it reports;
//! * validate_all is the steps' issues in order;
//! * to_data only carries schema fields, typed as their kind;
//! * answers the engine passes (no issue) are accepted by the stand-in's
//!   own schema validator (`backends::fitconnect::forms::validate`), which
//!   is what the authority checks on receipt.
#![no_main]

use std::sync::OnceLock;

use arbitrary::Arbitrary;
use buergeramt::domain::form::{
    attachments, parse_form, review, to_data, validate_all, validate_step, Answers, FileRef, Form,
    Kind, ReviewRow,
};
use buergeramt_fuzz::{assert_data_fits, field_at, input_paths, Re};
use libfuzzer_sys::fuzz_target;

const SCHEMAS: [&str; 7] = [
    include_str!("../../backends/seed/forms/hundesteuer-anmelden.schema.json"),
    include_str!("../../backends/seed/forms/wahlschein-briefwahl.schema.json"),
    include_str!("../../backends/seed/forms/bewohnerparkausweis.schema.json"),
    include_str!("../../backends/seed/forms/gewerbeanmeldung.schema.json"),
    include_str!("../../backends/seed/forms/wohnsitz-anmelden.schema.json"),
    include_str!("../../backends/seed/forms/fuehrungszeugnis.schema.json"),
    include_str!("../../backends/seed/forms/vertretung-nachweisen.schema.json"),
];

struct Loaded {
    form: Form,
    schema: serde_json::Value,
    paths: Vec<String>,
    /// Every enum value and show-if value of the schema: likely answers.
    words: Vec<String>,
}

fn loaded() -> &'static [Loaded] {
    static L: OnceLock<Vec<Loaded>> = OnceLock::new();
    L.get_or_init(|| {
        SCHEMAS
            .iter()
            .map(|text| {
                let form = parse_form(text).expect("a shipped schema parses");
                let paths = input_paths(&form, 3);
                let mut words = vec!["true".to_string(), "false".to_string()];
                fn collect(fields: &[buergeramt::domain::form::Field], out: &mut Vec<String>) {
                    for f in fields {
                        match &f.kind {
                            Kind::Choice(c) => out.extend(c.iter().map(|c| c.value.clone())),
                            Kind::Group(fs) | Kind::Repeat { fields: fs, .. } => collect(fs, out),
                            _ => {}
                        }
                    }
                }
                collect(&form.fields, &mut words);
                Loaded {
                    schema: serde_json::from_str(text).expect("JSON"),
                    form,
                    paths,
                    words,
                }
            })
            .collect()
    })
}

#[derive(Arbitrary, Debug)]
enum Value {
    Text(String),
    /// One of the schema's enum values (or true/false).
    Word(u8),
    Int(i64),
    Num(f64),
    /// A day, month or year as typed.
    Small(u16),
    Padded(String, u8),
}

#[derive(Arbitrary, Debug)]
enum Entry {
    /// An answer at one of the form's input paths.
    At(u16, Value),
    /// An answer under any key at all.
    Raw(String, String),
    /// A repeat's item count.
    Count(u16, u8),
    /// A chosen file.
    File {
        at: u16,
        mime: u8,
        odd_mime: String,
        size: u64,
        name: String,
    },
}

#[derive(Arbitrary, Debug)]
struct Input {
    schema: u8,
    entries: Vec<Entry>,
    english: bool,
}

const MIMES: [&str; 4] = ["application/pdf", "image/jpeg", "image/png", "text/html"];

fuzz_target!(|input: Input| {
    let all = loaded();
    let l = &all[usize::from(input.schema) % all.len()];
    let form = &l.form;
    let pick = |i: u16| &l.paths[usize::from(i) % l.paths.len()];
    let mut a = Answers::default();
    for e in input.entries.iter().take(64) {
        match e {
            Entry::At(i, v) => {
                let text = match v {
                    Value::Text(s) => s.clone(),
                    Value::Word(w) => l.words[usize::from(*w) % l.words.len()].clone(),
                    Value::Int(n) => n.to_string(),
                    Value::Num(x) => x.to_string().replace('.', ","),
                    Value::Small(n) => n.to_string(),
                    Value::Padded(s, n) => format!("{}{s}{}", " ".repeat(usize::from(n % 3)), "\t"),
                };
                a.set(pick(*i), text);
            }
            Entry::Raw(k, v) => a.set(k, v.clone()),
            Entry::Count(i, n) => {
                a.counts.insert(pick(*i).clone(), usize::from(*n));
            }
            Entry::File {
                at,
                mime,
                odd_mime,
                size,
                name,
            } => {
                let mime = MIMES
                    .get(usize::from(*mime))
                    .map_or(odd_mime.clone(), |m| m.to_string());
                a.files.insert(
                    pick(*at).clone(),
                    FileRef {
                        id: format!("att-{at}"),
                        name: name.clone(),
                        mime,
                        size: *size,
                    },
                );
            }
        }
    }

    let re = Re::default();
    let issues = validate_all(form, &a, &re);
    let by_step: Vec<_> = (0..form.steps.len())
        .flat_map(|s| validate_step(form, s, &a, &re))
        .collect();
    assert_eq!(issues, by_step);
    for issue in &issues {
        let (_, step) = field_at(form, &issue.path)
            .unwrap_or_else(|| panic!("issue on {:?}, not a field", issue.path));
        assert_eq!(step, issue.step, "issue {:?} on the wrong step", issue.path);
        assert!(
            issue.target.starts_with(&issue.path) && field_at(form, &issue.target).is_some(),
            "target {:?} of {:?}",
            issue.target,
            issue.path
        );
    }

    let data = to_data(form, &a);
    // Only answers without issues must give data that fits the schema: the
    // app sends nothing else. (The first run asserted it for every answer and
    // stopped on an out-of-list choice that validate_all had reported.)
    if issues.is_empty() {
        assert_data_fits(&form.fields, &data, "");
    }
    for (path, _) in attachments(form, &a) {
        assert!(
            matches!(field_at(form, &path), Some((f, _)) if matches!(f.kind, Kind::Attachment { .. })),
            "attachment at {path:?}"
        );
    }
    for step in 0..form.steps.len() {
        for row in review(form, step, &a, input.english) {
            if let ReviewRow::Answer { target, .. } = row {
                assert!(field_at(form, &target).is_some(), "review row {target:?}");
            }
        }
    }

    if issues.is_empty() {
        let report = backends::fitconnect::forms::validate(&l.schema, &data);
        assert!(
            report.violations.is_empty(),
            "the app passed answers the authority refuses: {:?}\ndata: {data}",
            report.violations
        );
    }
});
