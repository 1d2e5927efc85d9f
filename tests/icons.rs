//! Every icon the app names (`kern-icon--<name>`) must be drawn by KERN or by
//! our own CSS in `style/`. An unknown name renders as a solid square (the
//! icon is a mask over a coloured box), which is what "Senden" and "Drucken"
//! once showed.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use regex::Regex;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn files(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()));
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, ext, out);
        } else if path.extension().is_some_and(|e| e == ext) {
            out.push(path);
        }
    }
}

/// The modifiers a stylesheet gives a rule of its own (`.kern-icon--x {`, or
/// `.kern-icon--x,` in a selector list).
fn defined_in(css: &str, out: &mut BTreeSet<String>) {
    let rule = Regex::new(r"\.kern-icon--([a-z0-9-]+)\s*[{,]").unwrap();
    for c in rule.captures_iter(css) {
        out.insert(c[1].to_string());
    }
}

#[test]
fn every_icon_the_app_uses_is_drawn() {
    let kern = root().join("node_modules/@kern-ux/native/dist/kern.css");
    let kern = std::fs::read_to_string(&kern)
        .unwrap_or_else(|e| panic!("cannot read {} (run `make setup`): {e}", kern.display()));
    let mut drawn = BTreeSet::new();
    defined_in(&kern, &mut drawn);
    assert!(
        drawn.contains("check"),
        "KERN's icons were not found in kern.css"
    );
    let mut css = Vec::new();
    files(&root().join("style"), "css", &mut css);
    for f in &css {
        defined_in(&std::fs::read_to_string(f).unwrap(), &mut drawn);
    }

    let used_re = Regex::new(r"kern-icon--([a-z0-9-]+)").unwrap();
    let mut sources = Vec::new();
    files(&root().join("src"), "rs", &mut sources);
    let mut missing = BTreeSet::new();
    for f in &sources {
        let text = std::fs::read_to_string(f).unwrap();
        for c in used_re.captures_iter(&text) {
            let name = &c[1];
            // Size modifiers, not icons.
            if matches!(name, "small" | "large" | "x-large" | "default") {
                continue;
            }
            if !drawn.contains(name) {
                missing.insert(format!(
                    "{name} ({})",
                    f.strip_prefix(root()).unwrap().display()
                ));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "icons that neither KERN nor style/ draws: {missing:?}"
    );
}
