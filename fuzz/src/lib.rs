//! Helpers shared by the fuzz targets: a regex-backed [`Patterns`] for the
//! form engine and the lookup of a field by its answer path.

use std::cell::RefCell;
use std::collections::HashMap;

use buergeramt::domain::form::{Field, Form, Kind, Patterns};

/// `pattern` checks with the `regex` crate, the engine the stand-in's
/// schema validator uses too; compiled patterns are cached per thread.
#[derive(Default)]
pub struct Re {
    cache: RefCell<HashMap<String, Option<regex::Regex>>>,
}

impl Patterns for Re {
    fn matches(&self, pattern: &str, text: &str) -> bool {
        let mut cache = self.cache.borrow_mut();
        let re = cache
            .entry(pattern.to_string())
            .or_insert_with(|| regex::Regex::new(pattern).ok());
        re.as_ref().is_some_and(|r| r.is_match(text))
    }
}

/// The field an answer path (`G1/F2`, `R1/0/F3`, a date part `F4#d`) names,
/// with the index of the step its top-level field is on; `None` when the
/// path does not lead to a field of the schema (or to a repeat item beyond
/// its maximum).
pub fn field_at<'a>(form: &'a Form, path: &str) -> Option<(&'a Field, usize)> {
    let (path, part) = match path.split_once('#') {
        Some((p, part)) => (p, Some(part)),
        None => (path, None),
    };
    let mut segs = path.split('/');
    let top = segs.next()?;
    let step = form.step_of(top)?;
    let mut field = form.field(top)?;
    while let Some(seg) = segs.next() {
        field = match &field.kind {
            Kind::Group(children) => children.iter().find(|f| f.id == seg)?,
            Kind::Repeat { fields, max, .. } => {
                let i: usize = seg.parse().ok()?;
                if i >= *max || seg != i.to_string() {
                    return None;
                }
                let id = segs.next()?;
                fields.iter().find(|f| f.id == id)?
            }
            _ => return None,
        };
    }
    match part {
        None => Some((field, step)),
        Some("d" | "m" | "y") if field.kind == Kind::Date => Some((field, step)),
        Some(_) => None,
    }
}

/// Every input path of a form (repeat items up to `items` each), so a
/// fuzzer can aim its answers at real fields instead of guessing ids.
pub fn input_paths(form: &Form, items: usize) -> Vec<String> {
    fn walk(fields: &[Field], parent: &str, items: usize, out: &mut Vec<String>) {
        for f in fields {
            let path = if parent.is_empty() {
                f.id.clone()
            } else {
                format!("{parent}/{}", f.id)
            };
            match &f.kind {
                Kind::Group(children) => walk(children, &path, items, out),
                Kind::Repeat { fields, max, .. } => {
                    for i in 0..items.min(*max) {
                        walk(fields, &format!("{path}/{i}"), items, out);
                    }
                    out.push(path);
                }
                Kind::Date => {
                    for p in ["d", "m", "y"] {
                        out.push(format!("{path}#{p}"));
                    }
                }
                _ => out.push(path),
            }
        }
    }
    let mut out = Vec::new();
    walk(&form.fields, "", items, &mut out);
    out
}

/// Checks that `data` (from `to_data`) only carries fields of the schema,
/// each with the JSON type of its kind. Panics (a finding) otherwise.
pub fn assert_data_fits(fields: &[Field], data: &serde_json::Value, at: &str) {
    let obj = data
        .as_object()
        .unwrap_or_else(|| panic!("{at}: data is not an object: {data}"));
    for (k, v) in obj {
        let f = fields
            .iter()
            .find(|f| &f.id == k)
            .unwrap_or_else(|| panic!("{at}/{k}: not a field of the schema"));
        let ok = match &f.kind {
            Kind::Text(_) | Kind::Attachment { .. } => v.is_string(),
            Kind::Choice(choices) => v
                .as_str()
                .is_some_and(|s| choices.iter().any(|c| c.value == s)),
            Kind::Date => v.as_str().is_some_and(|s| {
                s.len() == 10 && s.as_bytes()[4] == b'-' && s.as_bytes()[7] == b'-'
            }),
            Kind::YesNo => v.is_boolean(),
            Kind::Declaration => v == &serde_json::Value::Bool(true),
            Kind::Integer { .. } => v.as_i64().is_some(),
            Kind::Number { .. } => v.as_f64().is_some_and(f64::is_finite),
            Kind::Group(children) => {
                assert_data_fits(children, v, &format!("{at}/{k}"));
                true
            }
            Kind::Repeat { fields, max, .. } => {
                let items = v
                    .as_array()
                    .unwrap_or_else(|| panic!("{at}/{k}: a repeat is not an array"));
                assert!(items.len() <= *max, "{at}/{k}: more items than maxItems");
                for (i, item) in items.iter().enumerate() {
                    assert_data_fits(fields, item, &format!("{at}/{k}/{i}"));
                }
                true
            }
        };
        assert!(ok, "{at}/{k}: {v} does not fit {:?}", f.kind);
    }
}
