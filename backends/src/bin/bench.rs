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

/// Paths referenced from index.html by `href="/…"` or `src="/…"` (also
/// inside its inline scripts, which add links), plus the module the inline
/// loader imports and the wasm it fetches.
fn first_load_paths(index: &str) -> Vec<String> {
    let mut out = vec!["index.html".to_string()];
    for marker in [
        "href=\"/",
        "src=\"/",
        "from '/",
        "import('/",
        "module_or_path: '/",
    ] {
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

/// A wasm chunk of the split bundle (scripts/wasm-bundle.sh), loaded on demand.
fn is_chunk(rel: &str) -> bool {
    let file = rel.rsplit('/').next().unwrap_or(rel);
    rel.contains('/')
        && file.ends_with(".wasm")
        && (file.starts_with("split_") || file.starts_with("chunk_"))
}

/// One loader in the splitter's `__wasm_split.js`: a split point
/// (`__wasm_split_load_<name>`) or a shared chunk (`__chunk_<n>`), its wasm
/// file and the shared chunks it needs first.
#[derive(Debug, PartialEq)]
struct Loader {
    name: String,
    file: String,
    deps: Vec<String>,
}

fn parse_split_loader(js: &str) -> Vec<Loader> {
    // One loader per top-level statement (a line each once minified with
    // `semicolons=false`, several lines unminified): its name, the first
    // `new URL("./…")` in it, and the last `[…]` list, its dependencies.
    let mut statements: Vec<(String, String)> = Vec::new();
    for line in js.lines() {
        let line = line.trim();
        let name = line
            .strip_prefix("export const __wasm_split_load_")
            .or_else(|| line.strip_prefix("const "))
            .and_then(|rest| rest.split_once('='))
            .filter(|(_, rhs)| rhs.contains("makeLoad("))
            .map(|(name, _)| name.trim().to_string());
        match (name, statements.last_mut()) {
            (Some(name), _) => statements.push((name, line.to_string())),
            (None, Some((_, text))) => text.push_str(line),
            (None, None) => {}
        }
    }
    statements
        .into_iter()
        .map(|(name, text)| {
            let file = text
                .split_once("new URL(\"./")
                .and_then(|(_, rest)| rest.split('"').next())
                .unwrap_or_default()
                .to_string();
            let deps = text
                .rfind('[')
                .map(|i| &text[i + 1..])
                .and_then(|rest| rest.split(']').next())
                .unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|d| !d.is_empty())
                .map(str::to_string)
                .collect();
            Loader { name, file, deps }
        })
        .collect()
}

/// What each lazily loaded part of the app costs when first used: its own
/// chunk plus every shared chunk it needs, brotli.
fn on_demand(
    dist: &Path,
    rows: &[Row],
    chunks: &[(String, (usize, usize, usize))],
) -> anyhow::Result<()> {
    if chunks.is_empty() {
        return Ok(());
    }
    let Some(loader) = rows.iter().find(|r| r.name.ends_with("/__wasm_split.js")) else {
        return Ok(());
    };
    let js = std::fs::read_to_string(dist.join(&loader.name))?;
    let loaders = parse_split_loader(&js);
    // Brotli size per chunk file name (all chunks sit next to the loader).
    let brotli: std::collections::HashMap<&str, usize> = chunks
        .iter()
        .map(|(rel, s)| (rel.rsplit('/').next().unwrap_or(rel), s.2))
        .collect();
    let size_of = |file: &str| brotli.get(file).copied().unwrap_or(0);
    let by_name: std::collections::HashMap<&str, &Loader> =
        loaders.iter().map(|l| (l.name.as_str(), l)).collect();
    let mut points: Vec<(String, usize)> = loaders
        .iter()
        .filter(|l| !l.name.starts_with("__chunk_"))
        .map(|l| {
            let mut seen = std::collections::BTreeSet::new();
            let mut todo = vec![l.name.as_str()];
            while let Some(n) = todo.pop() {
                if let Some(l) = by_name.get(n) {
                    if seen.insert(l.file.as_str()) {
                        todo.extend(l.deps.iter().map(String::as_str));
                    }
                }
            }
            (l.name.clone(), seen.iter().map(|f| size_of(f)).sum())
        })
        .collect();
    points.sort_by_key(|p| std::cmp::Reverse(p.1));
    let total: (usize, usize, usize) = chunks
        .iter()
        .fold((0, 0, 0), |a, (_, s)| (a.0 + s.0, a.1 + s.1, a.2 + s.2));
    println!(
        "{:<48} {:>11} {:>11} {:>11}  on demand",
        format!("{} wasm chunks (all lazily loaded parts)", chunks.len()),
        kb(total.0),
        kb(total.1),
        kb(total.2)
    );
    for (name, br) in points {
        println!("  {:<46} {:>35}  when first used", name, kb(br));
    }
    Ok(())
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
    let mut chunks: Vec<(String, (usize, usize, usize))> = Vec::new();
    for path in files {
        let rel = path
            .strip_prefix(&dist)?
            .to_string_lossy()
            .replace('\\', "/");
        if rel.ends_with(".woff2") || rel.ends_with(".woff") {
            continue; // fonts: excluded from the budget, listed as one line below
        }
        let raw = std::fs::read(&path)?;
        if is_chunk(&rel) {
            let r = (
                raw.len(),
                gzip_bytes(&raw)?.len(),
                brotli_bytes(&raw)?.len(),
            );
            chunks.push((rel, r));
            continue;
        }
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
    on_demand(&dist, &rows, &chunks)?;
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
    fn reads_the_split_loader() {
        let js = r#"import { initSync } from "./buergeramt.js";
const __chunk_0 = makeLoad(() => {
    const src = fetch(new URL("./chunk_0.wasm", import.meta.url));
    return async (imports) => (WebAssembly.instantiateStreaming(src, imports));
}
, []);
export const __wasm_split_load_help_page = wrapAsyncCb(makeLoad(() => {
    const src = fetch(new URL("./split_help_page.wasm", import.meta.url));
}
, [__chunk_0, __chunk_3]));"#;
        let l = parse_split_loader(js);
        assert_eq!(l.len(), 2);
        assert_eq!(l[0].name, "__chunk_0");
        assert_eq!(l[0].file, "chunk_0.wasm");
        assert!(l[0].deps.is_empty());
        assert_eq!(l[1].name, "help_page");
        assert_eq!(l[1].file, "split_help_page.wasm");
        assert_eq!(l[1].deps, vec!["__chunk_0", "__chunk_3"]);
        // Minified (terser, semicolons=false): one statement per line.
        let min = "const __chunk_0=makeLoad(()=>{const t=fetch(new URL(\"./chunk_0.wasm\",import.meta.url));return 1},[])\nexport const __wasm_split_load_help_page=wrapAsyncCb(makeLoad(()=>{const t=fetch(new URL(\"./split_help_page.wasm\",import.meta.url))},[__chunk_0,__chunk_3]))";
        assert_eq!(parse_split_loader(min), l);
        assert!(is_chunk("app-0123456789abcdef/chunk_0.wasm"));
        assert!(!is_chunk("app-0123456789abcdef/buergeramt_bg.wasm"));
    }

    #[test]
    fn finds_the_assets_of_the_first_load() {
        let html = r#"<link rel="stylesheet" href="/kern-1.css"/><script type="module">import init from '/app-1.js';await init({ module_or_path: '/app-1_bg.wasm' });</script><link rel="icon" href="/favicon.svg">"#;
        assert_eq!(
            first_load_paths(html),
            vec!["app-1.js", "app-1_bg.wasm", "index.html", "kern-1.css"]
        );
        // Links an inline script adds, and a dynamic import.
        let html = r#"<script>l.rel="stylesheet";l.href="/fonts-1.css";</script><script type="module">const{default:init}=await import('/app-2.js');</script>"#;
        assert_eq!(
            first_load_paths(html),
            vec!["app-2.js", "fonts-1.css", "index.html"]
        );
    }
}
