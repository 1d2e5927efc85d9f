//! Generates the typed i18n module from `locales/` (compile-time checked keys).
use leptos_i18n_build::{Config, TranslationsInfos};
use std::path::PathBuf;

/// One JSON file per namespace and language: `locales/<lang>/<namespace>.json`.
const NAMESPACES: [&str; 13] = [
    "common",
    "pages",
    "help",
    "glossary",
    "easy",
    "sign",
    "legal",
    "search",
    "auth",
    "applications",
    "apply",
    "postbox",
    "pwa",
];

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=Cargo.toml");
    // The wasm splitter (feature `split`, scripts/wasm-bundle.sh) needs the
    // linker's relocations to move functions into chunks.
    if std::env::var_os("CARGO_FEATURE_SPLIT").is_some() {
        println!("cargo::rustc-link-arg-bins=--emit-relocs");
    }
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default()).join("i18n");
    let cfg = Config::new("de")
        .and_then(|c| c.add_locale("en"))
        .and_then(|c| c.add_namespaces(NAMESPACES));
    let cfg = match cfg {
        Ok(c) => c,
        Err(e) => panic!("i18n config: {e}"),
    };
    let infos = match TranslationsInfos::parse(cfg) {
        Ok(i) => i,
        Err(e) => panic!("locales: {e}"),
    };
    infos.rerun_if_locales_changed();
    infos.emit_diagnostics();
    if let Err(e) = infos.generate_i18n_module(out) {
        panic!("i18n codegen: {e}");
    }
}
