//! Generates the typed i18n module from `locales/` (compile-time checked keys).
use leptos_i18n_build::{Config, TranslationsInfos};
use std::path::PathBuf;

/// One JSON file per namespace and language: `locales/<lang>/<namespace>.json`.
const NAMESPACES: [&str; 16] = [
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
    "reply",
    "notify",
    "mandates",
];

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=Cargo.toml");
    // The wasm splitter (feature `split`, scripts/wasm-bundle.sh) needs the
    // linker's relocations to move functions into chunks.
    if std::env::var_os("CARGO_FEATURE_SPLIT").is_some() {
        println!("cargo::rustc-link-arg-bins=--emit-relocs");
    }
    trusted_root();
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

/// The root certificate the app trusts for destination keys
/// (`src/domain/x509.rs`, docs/security.md): the stand-in's test root
/// `backends/pki/test-root.crt.pem`, or the file (PEM or DER) named by
/// `BUERGERAMT_PKI_ROOT` for a production build. Written as DER to
/// `$OUT_DIR/pki-root.der`.
fn trusted_root() {
    println!("cargo::rerun-if-env-changed=BUERGERAMT_PKI_ROOT");
    let path = match std::env::var_os("BUERGERAMT_PKI_ROOT") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => PathBuf::from("backends/pki/test-root.crt.pem"),
    };
    println!("cargo::rerun-if-changed={}", path.display());
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) => panic!("PKI root {}: {e}", path.display()),
    };
    let der = match std::str::from_utf8(&bytes) {
        Ok(text) if text.contains("-----BEGIN CERTIFICATE-----") => pem_body(text)
            .unwrap_or_else(|| panic!("PKI root {}: not a PEM certificate", path.display())),
        _ => bytes,
    };
    if der.first() != Some(&0x30) {
        panic!("PKI root {}: not a DER certificate", path.display());
    }
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default()).join("pki-root.der");
    if let Err(e) = std::fs::write(&out, der) {
        panic!("{}: {e}", out.display());
    }
}

/// The base64 body of the first PEM certificate.
fn pem_body(text: &str) -> Option<Vec<u8>> {
    let start = text.find("-----BEGIN CERTIFICATE-----")? + 27;
    let end = start + text[start..].find("-----END CERTIFICATE-----")?;
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for c in text[start..end]
        .bytes()
        .filter(|c| !c.is_ascii_whitespace())
    {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}
