//! Reading a form schema (JSON Schema 2020-12 with FIM ids and our `x-`
//! UI layer, docs/backends.md "Form schemas") into a [`Form`] the renderer
//! walks. Anything the renderer would not know how to show or check is a
//! [`SchemaError`], so a form is never shown with a field silently missing.

use serde_json::{Map, Value};

use crate::domain::trust::TrustLevel;

/// A text in German with an optional English version.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Text {
    pub de: String,
    pub en: Option<String>,
}

impl Text {
    pub fn new(de: impl Into<String>) -> Self {
        Text {
            de: de.into(),
            en: None,
        }
    }

    /// The English text when asked for and present, else the German one.
    pub fn get(&self, english: bool) -> &str {
        match (&self.en, english) {
            (Some(en), true) if !en.trim().is_empty() => en,
            _ => &self.de,
        }
    }
}

/// A fee shown before starting (`x-fee`).
#[derive(Debug, Clone, PartialEq)]
pub struct Fee {
    /// Decimal text as in the schema, e.g. "13.00".
    pub amount: String,
    pub currency: String,
    pub title: Text,
}

/// One page of the form (`x-steps`).
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub id: String,
    pub title: Text,
    /// Ids of top-level fields, in order.
    pub fields: Vec<String>,
}

/// `x-show-if`: shown only when the sibling `field` has the value `equals`.
#[derive(Debug, Clone, PartialEq)]
pub struct ShowIf {
    pub field: String,
    pub equals: Value,
}

/// Rules of a text field.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TextRules {
    pub min_len: Option<usize>,
    pub max_len: Option<usize>,
    pub pattern: Option<String>,
}

/// One option of a choice; the value is what the data carries.
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    pub value: String,
    pub label: Text,
}

/// What kind of input a field is and its rules.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Text(TextRules),
    /// `format: "date"`, entered as day, month, year.
    Date,
    /// A boolean the citizen answers with Ja or Nein.
    YesNo,
    /// A boolean with `enum: [true]`: a declaration to tick.
    Declaration,
    /// A string with `enum`.
    Choice(Vec<Choice>),
    Integer {
        min: Option<i64>,
        max: Option<i64>,
    },
    Number {
        min: Option<f64>,
        max: Option<f64>,
    },
    /// `x-attachment`: a file, the data holds its attachment id.
    Attachment {
        accept: Vec<String>,
        max_bytes: u64,
    },
    /// An object: a fieldset of fields.
    Group(Vec<Field>),
    /// An array of objects: "Hund 1", "Hund 2", …
    Repeat {
        fields: Vec<Field>,
        min: usize,
        max: usize,
        item_label: Text,
    },
}

/// One field (property) of the schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// The FIM id, the property name.
    pub id: String,
    pub label: Text,
    pub hint: Option<Text>,
    pub required: bool,
    pub show_if: Option<ShowIf>,
    /// `x-prefill`: the identity attribute that fills it.
    pub prefill: Option<String>,
    pub kind: Kind,
}

/// A whole form.
#[derive(Debug, Clone, PartialEq)]
pub struct Form {
    /// `$id`, e.g. `urn:buergeramt:form:hundesteuer-anmelden`.
    pub id: String,
    pub title: Text,
    pub leika: String,
    pub level: TrustLevel,
    pub fee: Option<Fee>,
    /// The fee with its rules (`contract::fee`): what is due for the
    /// answers, the same computation as the relay's.
    pub fee_schedule: Option<contract::fee::FeeSchedule>,
    pub steps: Vec<Step>,
    /// Top-level fields in schema order.
    pub fields: Vec<Field>,
}

/// Why a schema cannot be shown.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SchemaError {
    #[error("the schema is not valid JSON: {0}")]
    Json(String),
    #[error("missing or wrong member {0}")]
    Missing(String),
    #[error("field {field}: {problem}")]
    Field { field: String, problem: String },
    #[error("step {0} names an unknown field {1}")]
    UnknownStepField(String, String),
    #[error("field {0} is on no step")]
    Unplaced(String),
}

/// Texts in the schema must not be misused as markup: they are shown as
/// text anyway, but a schema full of control characters is broken.
fn text_of(obj: &Map<String, Value>, de_key: &str, en_key: &str) -> Option<Text> {
    let de = obj.get(de_key)?.as_str()?.trim().to_string();
    if de.is_empty() {
        return None;
    }
    let en = obj
        .get(en_key)
        .and_then(Value::as_str)
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    Some(Text { de, en })
}

fn field_err(field: &str, problem: impl Into<String>) -> SchemaError {
    SchemaError::Field {
        field: field.to_string(),
        problem: problem.into(),
    }
}

fn usize_of(v: Option<&Value>) -> Option<usize> {
    v.and_then(Value::as_u64)
        .and_then(|n| usize::try_from(n).ok())
}

/// Parses schema text.
pub fn parse_form(text: &str) -> Result<Form, SchemaError> {
    let v: Value =
        crate::domain::json::from_text(text).map_err(|e| SchemaError::Json(e.to_string()))?;
    form_from_value(&v)
}

/// Reads a parsed schema.
pub fn form_from_value(v: &Value) -> Result<Form, SchemaError> {
    let root = v
        .as_object()
        .ok_or_else(|| SchemaError::Missing("root object".into()))?;
    let s = |k: &str| {
        root.get(k)
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| SchemaError::Missing(k.into()))
    };
    let id = s("$id")?;
    let leika = s("x-leika")?;
    let level = TrustLevel::parse(&s("x-level")?)
        .map_err(|_| SchemaError::Missing("x-level (a STORK level)".into()))?;
    let title = text_of(root, "title", "x-title-en").ok_or(SchemaError::Missing("title".into()))?;
    let fee = match root.get("x-fee") {
        None => None,
        Some(f) => {
            let o = f
                .as_object()
                .ok_or_else(|| SchemaError::Missing("x-fee object".into()))?;
            let amount = o
                .get("amount")
                .and_then(Value::as_str)
                .filter(|a| a.parse::<f64>().is_ok())
                .ok_or_else(|| SchemaError::Missing("x-fee.amount".into()))?;
            Some(Fee {
                amount: amount.to_string(),
                currency: o
                    .get("currency")
                    .and_then(Value::as_str)
                    .unwrap_or("EUR")
                    .to_string(),
                title: text_of(o, "title", "title_en").unwrap_or_else(|| title.clone()),
            })
        }
    };
    let fee_schedule = contract::fee::FeeSchedule::from_schema(
        v,
        &contract::fee::FeeText {
            de: title.de.clone(),
            en: title.en.clone(),
        },
    )
    .map_err(|e| SchemaError::Missing(e.to_string()))?;
    let fields = object_fields(root, "")?;
    let steps_v = root
        .get("x-steps")
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty())
        .ok_or_else(|| SchemaError::Missing("x-steps".into()))?;
    let mut steps = Vec::with_capacity(steps_v.len());
    for st in steps_v {
        let o = st
            .as_object()
            .ok_or_else(|| SchemaError::Missing("x-steps[] object".into()))?;
        let sid = o
            .get("id")
            .and_then(Value::as_str)
            .filter(|i| is_slug(i))
            .ok_or_else(|| SchemaError::Missing("x-steps[].id".into()))?
            .to_string();
        let stitle = text_of(o, "title", "title_en")
            .ok_or_else(|| SchemaError::Missing(format!("x-steps[{sid}].title")))?;
        let mut ids = Vec::new();
        for f in o
            .get("fields")
            .and_then(Value::as_array)
            .ok_or_else(|| SchemaError::Missing(format!("x-steps[{sid}].fields")))?
        {
            let fid = f
                .as_str()
                .ok_or_else(|| SchemaError::Missing(format!("x-steps[{sid}].fields[]")))?;
            if !fields.iter().any(|x| x.id == fid) {
                return Err(SchemaError::UnknownStepField(sid, fid.to_string()));
            }
            ids.push(fid.to_string());
        }
        steps.push(Step {
            id: sid,
            title: stitle,
            fields: ids,
        });
    }
    for f in &fields {
        let placed = steps.iter().filter(|s| s.fields.contains(&f.id)).count();
        if placed != 1 {
            return Err(SchemaError::Unplaced(f.id.clone()));
        }
    }
    Ok(Form {
        id,
        title,
        leika,
        level,
        fee,
        fee_schedule,
        steps,
        fields,
    })
}

/// Step ids appear in URLs: lower-case letters, digits and hyphens only.
pub fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 40
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Field ids become parts of element ids and storage paths.
fn is_field_id(s: &str) -> bool {
    !s.is_empty() && s.len() <= 40 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

fn object_fields(obj: &Map<String, Value>, at: &str) -> Result<Vec<Field>, SchemaError> {
    let props = obj
        .get("properties")
        .and_then(Value::as_object)
        .ok_or_else(|| SchemaError::Missing(format!("{at}properties")))?;
    let required: Vec<&str> = obj
        .get("required")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut out = Vec::with_capacity(props.len());
    for (id, p) in props {
        if !is_field_id(id) {
            return Err(field_err(id, "id must be letters, digits or _"));
        }
        let po = p
            .as_object()
            .ok_or_else(|| field_err(id, "not an object"))?;
        out.push(field(id, po, required.contains(&id.as_str()))?);
    }
    // Conditions name siblings that exist.
    for f in &out {
        if let Some(c) = &f.show_if {
            if !out.iter().any(|x| x.id == c.field) {
                return Err(field_err(&f.id, "x-show-if names an unknown sibling"));
            }
        }
    }
    Ok(out)
}

fn field(id: &str, p: &Map<String, Value>, required: bool) -> Result<Field, SchemaError> {
    let label = text_of(p, "title", "x-title-en").ok_or_else(|| field_err(id, "no title"))?;
    let hint = text_of(p, "x-hint", "x-hint-en");
    let show_if = match p.get("x-show-if") {
        None => None,
        Some(c) => {
            let field = c
                .get("field")
                .and_then(Value::as_str)
                .ok_or_else(|| field_err(id, "x-show-if.field"))?;
            let equals = c
                .get("equals")
                .cloned()
                .ok_or_else(|| field_err(id, "x-show-if.equals"))?;
            Some(ShowIf {
                field: field.to_string(),
                equals,
            })
        }
    };
    let prefill = p
        .get("x-prefill")
        .and_then(Value::as_str)
        .map(str::to_string);
    let ty = p
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| field_err(id, "no type"))?;
    let kind = match ty {
        "string" => string_kind(id, p)?,
        "boolean" => match p.get("enum").and_then(Value::as_array) {
            Some(e) if e.as_slice() == [Value::Bool(true)] => Kind::Declaration,
            Some(_) => return Err(field_err(id, "boolean enum other than [true]")),
            None => Kind::YesNo,
        },
        "integer" => Kind::Integer {
            min: p.get("minimum").and_then(Value::as_i64),
            max: p.get("maximum").and_then(Value::as_i64),
        },
        "number" => Kind::Number {
            min: p.get("minimum").and_then(Value::as_f64),
            max: p.get("maximum").and_then(Value::as_f64),
        },
        "object" => Kind::Group(object_fields(p, &format!("{id}."))?),
        "array" => {
            let items = p
                .get("items")
                .and_then(Value::as_object)
                .filter(|i| i.get("type").and_then(Value::as_str) == Some("object"))
                .ok_or_else(|| field_err(id, "array items must be objects"))?;
            let min = usize_of(p.get("minItems")).unwrap_or(0);
            let max = usize_of(p.get("maxItems")).unwrap_or(50).min(50);
            if max == 0 || min > max {
                return Err(field_err(id, "minItems/maxItems"));
            }
            let item_label = text_of(p, "x-repeat-label", "x-repeat-label-en")
                .or_else(|| text_of(items, "title", "x-title-en"))
                .unwrap_or_else(|| label.clone());
            Kind::Repeat {
                fields: object_fields(items, &format!("{id}[]."))?,
                min,
                max,
                item_label,
            }
        }
        other => return Err(field_err(id, format!("unsupported type {other}"))),
    };
    Ok(Field {
        id: id.to_string(),
        label,
        hint,
        required,
        show_if,
        prefill,
        kind,
    })
}

fn string_kind(id: &str, p: &Map<String, Value>) -> Result<Kind, SchemaError> {
    if let Some(att) = p.get("x-attachment") {
        let accept: Vec<String> = att
            .get("accept")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        let max_bytes = att
            .get("maxBytes")
            .and_then(Value::as_u64)
            .ok_or_else(|| field_err(id, "x-attachment.maxBytes"))?;
        if accept.is_empty() {
            return Err(field_err(id, "x-attachment.accept"));
        }
        return Ok(Kind::Attachment { accept, max_bytes });
    }
    if let Some(e) = p.get("enum") {
        let values: Vec<&str> = e
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if values.is_empty() {
            return Err(field_err(id, "enum must list strings"));
        }
        let en: Vec<&str> = p
            .get("x-enum-en")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let choices = values
            .iter()
            .enumerate()
            .map(|(i, v)| Choice {
                value: v.to_string(),
                label: Text {
                    de: v.to_string(),
                    en: en.get(i).map(|s| s.to_string()),
                },
            })
            .collect();
        return Ok(Kind::Choice(choices));
    }
    if p.get("format").and_then(Value::as_str) == Some("date") {
        return Ok(Kind::Date);
    }
    Ok(Kind::Text(TextRules {
        min_len: usize_of(p.get("minLength")),
        max_len: usize_of(p.get("maxLength")),
        pattern: p.get("pattern").and_then(Value::as_str).map(str::to_string),
    }))
}

impl Form {
    /// The schema's slug, the last part of `$id` (`…:form:<slug>`).
    pub fn slug(&self) -> &str {
        self.id.rsplit(':').next().unwrap_or(&self.id)
    }

    pub fn field(&self, id: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.id == id)
    }

    /// The step index of a top-level field.
    pub fn step_of(&self, top_field: &str) -> Option<usize> {
        self.steps
            .iter()
            .position(|s| s.fields.iter().any(|f| f == top_field))
    }

    pub fn step_index(&self, step_id: &str) -> Option<usize> {
        self.steps.iter().position(|s| s.id == step_id)
    }

    /// The fields of a step, in step order.
    pub fn step_fields(&self, index: usize) -> Vec<&Field> {
        self.steps
            .get(index)
            .map(|s| s.fields.iter().filter_map(|id| self.field(id)).collect())
            .unwrap_or_default()
    }

    /// Whether any field (at any depth) takes a file.
    pub fn has_attachments(&self) -> bool {
        fn any(fields: &[Field]) -> bool {
            fields.iter().any(|f| match &f.kind {
                Kind::Attachment { .. } => true,
                Kind::Group(fs) | Kind::Repeat { fields: fs, .. } => any(fs),
                _ => false,
            })
        }
        any(&self.fields)
    }
}
