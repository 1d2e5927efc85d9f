//! `make bench`: sizes of every dist asset (raw, gzip, brotli) and the
//! first-load total (index.html plus every script, wasm and stylesheet it
//! references; fonts excluded, they load on demand).
//!
//! `bench dist --check budget.json` exits non-zero when the first-load brotli
//! total exceeds the committed budget (used by `make test`).

use backends::static_files::{brotli_bytes, gzip_bytes};
use std::path::{Path, PathBuf};

struct Row {
    name: String,
    raw: usize,
    gzip: usize,
    brotli: usize,
    first_load: bool,
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for e in std::fs::read_dir(dir)? {
        let p = e?.path();
        if p.is_dir() {
            collect(&p, out)?;
        } else {
            let name = p.to_string_lossy();
            if !name.ends_with(".br") && !name.ends_with(".gz") {
                out.push(p);
            }
        }
    }
    Ok(())
}

/// Paths referenced from index.html by `href="/…"` or `src="/…"`, plus the
/// module the inline loader imports and the wasm it fetches.
fn first_load_paths(index: &str) -> Vec<String> {
    let mut out = vec!["index.html".to_string()];
    for marker in ["href=\"/", "src=\"/", "from '/", "module_or_path: '/"] {
        let mut rest = index;
        while let Some(i) = rest.find(marker) {
            let after = &rest[i + marker.len()..];
            let end = after.find(['"', '\'']).unwrap_or(after.len());
            out.push(after[..end].to_string());
            rest = &after[end..];
        }
    }
    out.sort();
    out.dedup();
    out.retain(|p| !p.ends_with(".svg") && !p.ends_with(".png") && !p.ends_with(".woff2"));
    out
}

fn kb(n: usize) -> String {
    format!("{:.1} KB", n as f64 / 1024.0)
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let dist = PathBuf::from(args.next().unwrap_or_else(|| "dist".into()));
    let check = match (args.next().as_deref(), args.next()) {
        (Some("--check"), Some(file)) => Some(file),
        _ => None,
    };
    let index = std::fs::read_to_string(dist.join("index.html")).map_err(|e| {
        anyhow::anyhow!("{}: {e} (build the app first: make build)", dist.display())
    })?;
    let first = first_load_paths(&index);

    let mut files = Vec::new();
    collect(&dist, &mut files)?;
    let mut rows = Vec::new();
    for path in files {
        let rel = path
            .strip_prefix(&dist)?
            .to_string_lossy()
            .replace('\\', "/");
        if rel.ends_with(".woff2") || rel.ends_with(".woff") {
            continue; // fonts: excluded from the budget, listed as one line below
        }
        let raw = std::fs::read(&path)?;
        rows.push(Row {
            first_load: first.contains(&rel),
            gzip: gzip_bytes(&raw)?.len(),
            brotli: brotli_bytes(&raw)?.len(),
            raw: raw.len(),
            name: rel,
        });
    }
    rows.sort_by_key(|r| std::cmp::Reverse(r.brotli));

    println!(
        "{:<48} {:>11} {:>11} {:>11}  first load",
        "asset", "raw", "gzip", "brotli"
    );
    for r in &rows {
        println!(
            "{:<48} {:>11} {:>11} {:>11}  {}",
            r.name,
            kb(r.raw),
            kb(r.gzip),
            kb(r.brotli),
            if r.first_load { "yes" } else { "" }
        );
    }
    let sum = |f: fn(&Row) -> usize| rows.iter().filter(|r| r.first_load).map(f).sum::<usize>();
    let (raw, gz, br) = (sum(|r| r.raw), sum(|r| r.gzip), sum(|r| r.brotli));
    println!(
        "{:<48} {:>11} {:>11} {:>11}",
        "FIRST LOAD (html+js+wasm+css)",
        kb(raw),
        kb(gz),
        kb(br)
    );

    if let Some(file) = check {
        let text = std::fs::read_to_string(&file)?;
        let budget: serde_json::Value = serde_json::from_str(&text)?;
        let limit = budget["firstLoadBrotliBytes"]
            .as_u64()
            .ok_or_else(|| anyhow::anyhow!("{file}: firstLoadBrotliBytes missing"))?
            as usize;
        if br > limit {
            anyhow::bail!(
                "first load is {} brotli, over the budget of {} in {file}",
                kb(br),
                kb(limit)
            );
        }
        println!(
            "size budget: {} of {} brotli ({:.0}%)",
            kb(br),
            kb(limit),
            br as f64 * 100.0 / limit as f64
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_assets_of_the_first_load() {
        let html = r#"<link rel="stylesheet" href="/kern-1.css"/><script type="module">import init from '/app-1.js';await init({ module_or_path: '/app-1_bg.wasm' });</script><link rel="icon" href="/favicon.svg">"#;
        assert_eq!(
            first_load_paths(html),
            vec!["app-1.js", "app-1_bg.wasm", "index.html", "kern-1.css"]
        );
    }
}
