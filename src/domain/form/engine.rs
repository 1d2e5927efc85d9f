//! Walking a [`Form`] over [`Answers`]: which fields are shown, what is
//! wrong with them ([`validate_step`], [`validate_all`]), the JSON data
//! that is encrypted and sent ([`to_data`]) and the rows of "Angaben
//! prüfen" ([`review`]). All of it follows the schema; nothing here knows a
//! particular service.

use serde_json::{Map, Number, Value};

use super::answers::{date_part, item, join, Answers, FileRef};
use super::schema::{Field, Form, Kind, ShowIf, Text};

/// Checks a `pattern` against a value. The browser passes JavaScript's
/// `RegExp` (the dialect JSON Schema names), native tests a Rust engine;
/// this keeps a regex engine out of the wasm.
pub trait Patterns {
    /// Whether `text` matches; a pattern that cannot be compiled counts as
    /// no match, so a broken schema blocks instead of letting data through.
    fn matches(&self, pattern: &str, text: &str) -> bool;
}

/// What is wrong with an answer. The UI words each one with the field's
/// label so the message says what to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    /// A required text, number or date is empty.
    Required,
    /// A required choice (or Ja/Nein) has no answer.
    ChooseOne,
    /// Some of day, month, year are missing (which ones).
    DateParts {
        day: bool,
        month: bool,
        year: bool,
    },
    /// Day, month and year do not make a real date.
    DateNotReal,
    TooShort(usize),
    TooLong(usize),
    /// Does not have the required form; the field's hint explains it.
    Pattern,
    NotWhole,
    NotNumber,
    BelowMin(String),
    AboveMax(String),
    /// A required declaration is not ticked.
    MustAccept,
    /// A required file is missing.
    FileMissing,
    /// The file's type is not accepted (list of accepted types).
    FileType(Vec<String>),
    /// The file is larger than allowed (limit in bytes).
    FileTooBig(u64),
    TooFewItems(usize),
    TooManyItems(usize),
}

/// One problem, where it is and how to name it.
#[derive(Debug, Clone, PartialEq)]
pub struct Issue {
    /// Path of the input to focus (a date points at its first missing part).
    pub target: String,
    /// Path of the field.
    pub path: String,
    pub label: Text,
    /// The field's hint: for a wrong format it says what is expected.
    pub hint: Option<Text>,
    /// Inside a repeat: its item label and the item number from 1.
    pub item: Option<(Text, usize)>,
    pub problem: Problem,
    /// Index of the step the field is on.
    pub step: usize,
}

/// Whether a field with `x-show-if` is shown, given the answers of its
/// siblings under `parent`.
pub fn is_shown(field: &Field, parent: &str, a: &Answers) -> bool {
    match &field.show_if {
        None => true,
        Some(c) => condition_holds(c, parent, a),
    }
}

fn condition_holds(c: &ShowIf, parent: &str, a: &Answers) -> bool {
    let raw = a.get(&join(parent, &c.field)).trim();
    match &c.equals {
        Value::Bool(b) => raw == if *b { "true" } else { "false" },
        Value::String(s) => raw == s,
        Value::Number(n) => raw.parse::<f64>().ok() == n.as_f64(),
        _ => false,
    }
}

/// A date from its raw parts: `Ok(None)` when all are empty.
pub fn date_value(a: &Answers, path: &str) -> Result<Option<String>, Problem> {
    let [d, m, y] = [0, 1, 2].map(|i| {
        a.get(&date_part(path, super::answers::DATE_PARTS[i]))
            .trim()
    });
    if d.is_empty() && m.is_empty() && y.is_empty() {
        return Ok(None);
    }
    if d.is_empty() || m.is_empty() || y.is_empty() {
        return Err(Problem::DateParts {
            day: d.is_empty(),
            month: m.is_empty(),
            year: y.is_empty(),
        });
    }
    let num = |s: &str, max_len: usize| -> Option<u32> {
        (s.len() <= max_len && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let (Some(d), Some(m), Some(y)) = (num(d, 2), num(m, 2), num(y, 4)) else {
        return Err(Problem::DateNotReal);
    };
    if !(1000..=9999).contains(&y) || !(1..=12).contains(&m) || d == 0 || d > days_in(m, y) {
        return Err(Problem::DateNotReal);
    }
    Ok(Some(format!("{y:04}-{m:02}-{d:02}")))
}

fn days_in(m: u32, y: u32) -> u32 {
    match m {
        4 | 6 | 9 | 11 => 30,
        2 if (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400) => 29,
        2 => 28,
        _ => 31,
    }
}

/// Whether a file's type and size fit an attachment field.
pub fn check_file(accept: &[String], max_bytes: u64, mime: &str, size: u64) -> Result<(), Problem> {
    if !accept.iter().any(|t| t.eq_ignore_ascii_case(mime)) {
        return Err(Problem::FileType(accept.to_vec()));
    }
    if size > max_bytes {
        return Err(Problem::FileTooBig(max_bytes));
    }
    Ok(())
}

/// Whether the citizen put anything into a field (or its children).
fn touched(field: &Field, path: &str, a: &Answers) -> bool {
    let prefix = format!("{path}/");
    let date = format!("{path}#");
    a.values
        .keys()
        .any(|k| k == path || k.starts_with(&prefix) || k.starts_with(&date))
        || a.files.keys().any(|k| k == path || k.starts_with(&prefix))
        || matches!(field.kind, Kind::Repeat { .. }) && a.counts.get(path).is_some_and(|n| *n > 0)
}

struct Ctx<'a> {
    a: &'a Answers,
    patterns: &'a dyn Patterns,
    step: usize,
    out: Vec<Issue>,
}

impl Ctx<'_> {
    fn push(
        &mut self,
        f: &Field,
        path: &str,
        target: String,
        item: &Option<(Text, usize)>,
        problem: Problem,
    ) {
        self.out.push(Issue {
            target,
            path: path.to_string(),
            label: f.label.clone(),
            hint: f.hint.clone(),
            item: item.clone(),
            problem,
            step: self.step,
        });
    }

    fn fields(&mut self, fields: &[Field], parent: &str, item_ctx: &Option<(Text, usize)>) {
        for f in fields {
            if is_shown(f, parent, self.a) {
                self.field(f, &join(parent, &f.id), item_ctx);
            }
        }
    }

    fn field(&mut self, f: &Field, path: &str, item_ctx: &Option<(Text, usize)>) {
        let raw = self.a.get(path).trim();
        let p = path.to_string();
        match &f.kind {
            Kind::Text(rules) => {
                if raw.is_empty() {
                    if f.required {
                        self.push(f, path, p, item_ctx, Problem::Required);
                    }
                    return;
                }
                let n = raw.chars().count();
                let problem = if rules.min_len.is_some_and(|m| n < m) {
                    Some(Problem::TooShort(rules.min_len.unwrap_or(0)))
                } else if rules.max_len.is_some_and(|m| n > m) {
                    Some(Problem::TooLong(rules.max_len.unwrap_or(0)))
                } else if rules
                    .pattern
                    .as_deref()
                    .is_some_and(|pat| !self.patterns.matches(pat, raw))
                {
                    Some(Problem::Pattern)
                } else {
                    None
                };
                if let Some(problem) = problem {
                    self.push(f, path, p, item_ctx, problem);
                }
            }
            Kind::Date => match date_value(self.a, path) {
                Ok(None) if f.required => {
                    self.push(f, path, date_part(path, "d"), item_ctx, Problem::Required)
                }
                Ok(_) => {}
                Err(problem) => {
                    let first = match &problem {
                        Problem::DateParts {
                            day: false,
                            month: true,
                            ..
                        } => "m",
                        Problem::DateParts {
                            day: false,
                            month: false,
                            ..
                        } => "y",
                        _ => "d",
                    };
                    self.push(f, path, date_part(path, first), item_ctx, problem)
                }
            },
            Kind::YesNo => {
                if raw != "true" && raw != "false" && (f.required || !raw.is_empty()) {
                    self.push(f, path, p, item_ctx, Problem::ChooseOne);
                }
            }
            Kind::Declaration => {
                if raw != "true" && f.required {
                    self.push(f, path, p, item_ctx, Problem::MustAccept);
                }
            }
            Kind::Choice(choices) => {
                let known = choices.iter().any(|c| c.value == raw);
                if (raw.is_empty() && f.required) || (!raw.is_empty() && !known) {
                    self.push(f, path, p, item_ctx, Problem::ChooseOne);
                }
            }
            Kind::Integer { min, max } => {
                if raw.is_empty() {
                    if f.required {
                        self.push(f, path, p, item_ctx, Problem::Required);
                    }
                    return;
                }
                match parse_integer(raw) {
                    None => self.push(f, path, p, item_ctx, Problem::NotWhole),
                    Some(v) if min.is_some_and(|m| v < m) => self.push(
                        f,
                        path,
                        p,
                        item_ctx,
                        Problem::BelowMin(min.unwrap_or(0).to_string()),
                    ),
                    Some(v) if max.is_some_and(|m| v > m) => self.push(
                        f,
                        path,
                        p,
                        item_ctx,
                        Problem::AboveMax(max.unwrap_or(0).to_string()),
                    ),
                    Some(_) => {}
                }
            }
            Kind::Number { min, max } => {
                if raw.is_empty() {
                    if f.required {
                        self.push(f, path, p, item_ctx, Problem::Required);
                    }
                    return;
                }
                match parse_number(raw) {
                    None => self.push(f, path, p, item_ctx, Problem::NotNumber),
                    Some(v) if min.is_some_and(|m| v < m) => self.push(
                        f,
                        path,
                        p,
                        item_ctx,
                        Problem::BelowMin(german_number(min.unwrap_or(0.0))),
                    ),
                    Some(v) if max.is_some_and(|m| v > m) => self.push(
                        f,
                        path,
                        p,
                        item_ctx,
                        Problem::AboveMax(german_number(max.unwrap_or(0.0))),
                    ),
                    Some(_) => {}
                }
            }
            Kind::Attachment { accept, max_bytes } => match self.a.files.get(path) {
                None if f.required => self.push(f, path, p, item_ctx, Problem::FileMissing),
                None => {}
                Some(file) => {
                    if let Err(problem) = check_file(accept, *max_bytes, &file.mime, file.size) {
                        self.push(f, path, p, item_ctx, problem);
                    }
                }
            },
            Kind::Group(children) => {
                if f.required || touched(f, path, self.a) {
                    self.fields(children, path, item_ctx);
                }
            }
            Kind::Repeat {
                fields,
                min,
                max,
                item_label,
            } => {
                let n = self.a.count(path, *min);
                if n < *min {
                    self.push(f, path, p.clone(), item_ctx, Problem::TooFewItems(*min));
                }
                if n > *max {
                    self.push(f, path, p.clone(), item_ctx, Problem::TooManyItems(*max));
                }
                if n == 0 && f.required && *min > 0 {
                    self.push(f, path, p, item_ctx, Problem::TooFewItems(*min));
                }
                for i in 0..n.min(*max) {
                    // "Hund 1:" only where there is a Hund 2: with one item
                    // the message names the field alone.
                    let ctx = if n > 1 {
                        Some((item_label.clone(), i + 1))
                    } else {
                        item_ctx.clone()
                    };
                    self.fields(fields, &item(path, i), &ctx);
                }
            }
        }
    }
}

/// A whole number as typed ("12", "-3"; no thousands separators).
pub fn parse_integer(raw: &str) -> Option<i64> {
    let t = raw.trim();
    let digits = t.strip_prefix('-').unwrap_or(t);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    t.parse().ok()
}

/// A number as typed, with a decimal comma or point.
pub fn parse_number(raw: &str) -> Option<f64> {
    let t = raw.trim().replace(',', ".");
    let ok = !t.is_empty()
        && t.bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-');
    ok.then(|| t.parse::<f64>().ok())
        .flatten()
        .filter(|v| v.is_finite())
}

fn german_number(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        v.to_string().replace('.', ",")
    }
}

/// The problems on one step, in the order of the page.
pub fn validate_step(form: &Form, step: usize, a: &Answers, patterns: &dyn Patterns) -> Vec<Issue> {
    let mut ctx = Ctx {
        a,
        patterns,
        step,
        out: Vec::new(),
    };
    let fields: Vec<Field> = form.step_fields(step).into_iter().cloned().collect();
    ctx.fields(&fields, "", &None);
    ctx.out
}

/// The problems on all steps, step by step.
pub fn validate_all(form: &Form, a: &Answers, patterns: &dyn Patterns) -> Vec<Issue> {
    (0..form.steps.len())
        .flat_map(|s| validate_step(form, s, a, patterns))
        .collect()
}

/// The Fachdaten to encrypt: typed JSON keyed by FIM ids, with only the
/// shown fields that have an answer. Call it on answers without issues.
pub fn to_data(form: &Form, a: &Answers) -> Value {
    Value::Object(object_data(&form.fields, "", a))
}

fn object_data(fields: &[Field], parent: &str, a: &Answers) -> Map<String, Value> {
    let mut out = Map::new();
    for f in fields {
        if !is_shown(f, parent, a) {
            continue;
        }
        let path = join(parent, &f.id);
        let raw = a.get(&path).trim();
        let value = match &f.kind {
            Kind::Text(_) | Kind::Choice(_) => {
                (!raw.is_empty()).then(|| Value::String(raw.to_string()))
            }
            Kind::Date => date_value(a, &path).ok().flatten().map(Value::String),
            Kind::YesNo => match raw {
                "true" => Some(Value::Bool(true)),
                "false" => Some(Value::Bool(false)),
                _ => None,
            },
            Kind::Declaration => (raw == "true").then_some(Value::Bool(true)),
            Kind::Integer { .. } => parse_integer(raw).map(|v| Value::Number(v.into())),
            Kind::Number { .. } => parse_number(raw)
                .and_then(Number::from_f64)
                .map(Value::Number),
            Kind::Attachment { .. } => a
                .files
                .get(&path)
                .map(|file| Value::String(file.id.clone())),
            Kind::Group(children) => {
                let inner = object_data(children, &path, a);
                (f.required || !inner.is_empty()).then_some(Value::Object(inner))
            }
            Kind::Repeat {
                fields, min, max, ..
            } => {
                let n = a.count(&path, *min).min(*max);
                let items: Vec<Value> = (0..n)
                    .map(|i| Value::Object(object_data(fields, &item(&path, i), a)))
                    .collect();
                (f.required || !items.is_empty()).then_some(Value::Array(items))
            }
        };
        if let Some(v) = value {
            out.insert(f.id.clone(), v);
        }
    }
    out
}

/// Every file the data refers to (shown fields only), with its field path.
pub fn attachments(form: &Form, a: &Answers) -> Vec<(String, FileRef)> {
    fn walk(fields: &[Field], parent: &str, a: &Answers, out: &mut Vec<(String, FileRef)>) {
        for f in fields {
            if !is_shown(f, parent, a) {
                continue;
            }
            let path = join(parent, &f.id);
            match &f.kind {
                Kind::Attachment { .. } => {
                    if let Some(file) = a.files.get(&path) {
                        out.push((path, file.clone()));
                    }
                }
                Kind::Group(children) => walk(children, &path, a, out),
                Kind::Repeat {
                    fields, min, max, ..
                } => {
                    for i in 0..a.count(&path, *min).min(*max) {
                        walk(fields, &item(&path, i), a, out);
                    }
                }
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    walk(&form.fields, "", a, &mut out);
    out
}

/// How an answer is shown on "Angaben prüfen".
#[derive(Debug, Clone, PartialEq)]
pub enum Shown {
    Text(String),
    Yes,
    No,
    Accepted,
    File {
        name: String,
        size: u64,
    },
    /// "Nicht angegeben".
    NotGiven,
}

/// One line of "Angaben prüfen".
#[derive(Debug, Clone, PartialEq)]
pub enum ReviewRow {
    /// A group or repeat item heading ("Anschrift", "Hund 2").
    Heading {
        label: Text,
        number: Option<usize>,
        depth: usize,
    },
    Answer {
        label: Text,
        value: Shown,
        /// The input to return to with "Ändern".
        target: String,
        depth: usize,
    },
}

/// The rows of one step.
pub fn review(form: &Form, step: usize, a: &Answers, english: bool) -> Vec<ReviewRow> {
    let mut out = Vec::new();
    let fields: Vec<Field> = form.step_fields(step).into_iter().cloned().collect();
    review_fields(&fields, "", a, 0, english, &mut out);
    out
}

fn review_fields(
    fields: &[Field],
    parent: &str,
    a: &Answers,
    depth: usize,
    english: bool,
    out: &mut Vec<ReviewRow>,
) {
    for f in fields {
        if !is_shown(f, parent, a) {
            continue;
        }
        let path = join(parent, &f.id);
        let raw = a.get(&path).trim();
        let text_or_none = |s: &str| {
            if s.is_empty() {
                Shown::NotGiven
            } else {
                Shown::Text(s.to_string())
            }
        };
        let (value, target) = match &f.kind {
            Kind::Text(_) | Kind::Integer { .. } | Kind::Number { .. } => {
                (text_or_none(raw), path.clone())
            }
            Kind::Choice(choices) => {
                let label = choices
                    .iter()
                    .find(|c| c.value == raw)
                    .map(|c| c.label.get(english).to_string())
                    .unwrap_or_default();
                (text_or_none(&label), path.clone())
            }
            Kind::Date => {
                let shown = match date_value(a, &path) {
                    Ok(Some(iso)) => Shown::Text(german_date(&iso)),
                    _ => Shown::NotGiven,
                };
                (shown, date_part(&path, "d"))
            }
            Kind::YesNo => (
                match raw {
                    "true" => Shown::Yes,
                    "false" => Shown::No,
                    _ => Shown::NotGiven,
                },
                path.clone(),
            ),
            Kind::Declaration => (
                if raw == "true" {
                    Shown::Accepted
                } else {
                    Shown::NotGiven
                },
                path.clone(),
            ),
            Kind::Attachment { .. } => (
                match a.files.get(&path) {
                    Some(file) => Shown::File {
                        name: file.name.clone(),
                        size: file.size,
                    },
                    None => Shown::NotGiven,
                },
                path.clone(),
            ),
            Kind::Group(children) => {
                out.push(ReviewRow::Heading {
                    label: f.label.clone(),
                    number: None,
                    depth,
                });
                review_fields(children, &path, a, depth + 1, english, out);
                continue;
            }
            Kind::Repeat {
                fields: item_fields,
                min,
                max,
                item_label,
            } => {
                let n = a.count(&path, *min).min(*max);
                if n == 0 {
                    out.push(ReviewRow::Answer {
                        label: f.label.clone(),
                        value: Shown::NotGiven,
                        target: path.clone(),
                        depth,
                    });
                }
                for i in 0..n {
                    out.push(ReviewRow::Heading {
                        label: item_label.clone(),
                        number: Some(i + 1),
                        depth,
                    });
                    review_fields(item_fields, &item(&path, i), a, depth + 1, english, out);
                }
                continue;
            }
        };
        out.push(ReviewRow::Answer {
            label: f.label.clone(),
            value,
            target,
            depth,
        });
    }
}

/// `2026-01-31` → `31.01.2026`.
pub fn german_date(iso: &str) -> String {
    let mut parts = iso.splitn(3, '-');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(y), Some(m), Some(d)) => format!("{d}.{m}.{y}"),
        _ => iso.to_string(),
    }
}
