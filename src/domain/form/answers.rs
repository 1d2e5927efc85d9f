//! What the citizen typed, exactly as typed: a flat map from a field path
//! to the raw text of its input. Keeping the raw text (not parsed values)
//! means nothing typed is ever lost or rewritten while it is still wrong,
//! and the map serialises straight into a draft.
//!
//! Paths join FIM ids and item numbers with `/`: `F60000228`,
//! `G60000086/F60000243`, `G99100001/1/F99100002`. A date keeps its three
//! parts under `<path>#d`, `<path>#m` and `<path>#y`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The three parts of a date input.
pub const DATE_PARTS: [&str; 3] = ["d", "m", "y"];

/// A file chosen for an attachment field; the bytes live in the draft
/// store under `id`, which is also the FIT-Connect attachment id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRef {
    pub id: String,
    pub name: String,
    pub mime: String,
    pub size: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Answers {
    /// Raw input per path.
    #[serde(default)]
    pub values: BTreeMap<String, String>,
    /// Number of items of each repeat, by path.
    #[serde(default)]
    pub counts: BTreeMap<String, usize>,
    /// Chosen files by the path of their field.
    #[serde(default)]
    pub files: BTreeMap<String, FileRef>,
}

/// `parent/child`, or `child` at the top.
pub fn join(parent: &str, child: &str) -> String {
    if parent.is_empty() {
        child.to_string()
    } else {
        format!("{parent}/{child}")
    }
}

/// Path of item `i` of the repeat at `path`.
pub fn item(path: &str, i: usize) -> String {
    format!("{path}/{i}")
}

/// Key of one date part (`d`, `m`, `y`).
pub fn date_part(path: &str, part: &str) -> String {
    format!("{path}#{part}")
}

/// An HTML id for the input of a path (`f-G60000086-F60000243`), stable
/// and valid as a fragment; a date part gets its own suffix.
pub fn element_id(path: &str) -> String {
    let mut s = String::with_capacity(path.len() + 2);
    s.push_str("f-");
    for c in path.chars() {
        match c {
            '/' | '#' => s.push('-'),
            c if c.is_ascii_alphanumeric() || c == '_' => s.push(c),
            _ => s.push('_'),
        }
    }
    s
}

impl Answers {
    /// The raw value, "" when never typed.
    pub fn get(&self, path: &str) -> &str {
        self.values.get(path).map(String::as_str).unwrap_or("")
    }

    /// Sets a raw value; an empty value is removed so the draft stays small.
    pub fn set(&mut self, path: &str, value: impl Into<String>) {
        let value = value.into();
        if value.is_empty() {
            self.values.remove(path);
        } else {
            self.values.insert(path.to_string(), value);
        }
    }

    /// Items of a repeat: what was added, but never fewer than `min`.
    pub fn count(&self, path: &str, min: usize) -> usize {
        self.counts.get(path).copied().unwrap_or(0).max(min)
    }

    /// Adds an item to a repeat (up to `max`); returns the new item index.
    pub fn add_item(&mut self, path: &str, min: usize, max: usize) -> Option<usize> {
        let n = self.count(path, min);
        if n >= max {
            return None;
        }
        self.counts.insert(path.to_string(), n + 1);
        Some(n)
    }

    /// Removes item `i` of a repeat; later items move up so nothing typed
    /// in them is lost. Returns the removed item's files (to delete their
    /// bytes) or None when the repeat cannot shrink below `min`.
    pub fn remove_item(&mut self, path: &str, i: usize, min: usize) -> Option<Vec<FileRef>> {
        let n = self.count(path, min);
        if n <= min || i >= n {
            return None;
        }
        let removed_prefix = format!("{}/", item(path, i));
        let mut dropped_files = Vec::new();
        self.values.retain(|k, _| !k.starts_with(&removed_prefix));
        self.counts.retain(|k, _| !k.starts_with(&removed_prefix));
        let files = std::mem::take(&mut self.files);
        for (k, f) in files {
            if k.starts_with(&removed_prefix) {
                dropped_files.push(f);
            } else {
                self.files.insert(k, f);
            }
        }
        for j in (i + 1)..n {
            let from = format!("{}/", item(path, j));
            let to = format!("{}/", item(path, j - 1));
            self.values = rename_prefix(std::mem::take(&mut self.values), &from, &to);
            self.counts = rename_prefix(std::mem::take(&mut self.counts), &from, &to);
            self.files = rename_prefix(std::mem::take(&mut self.files), &from, &to);
        }
        self.counts.insert(path.to_string(), n - 1);
        Some(dropped_files)
    }
}

fn rename_prefix<V>(map: BTreeMap<String, V>, from: &str, to: &str) -> BTreeMap<String, V> {
    map.into_iter()
        .map(|(k, v)| match k.strip_prefix(from) {
            Some(rest) => (format!("{to}{rest}"), v),
            None => (k, v),
        })
        .collect()
}
