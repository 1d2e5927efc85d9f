//! Serves the built app from `dist/`.
//!
//! * Files are loaded into memory at start, each with a brotli and a gzip
//!   variant (cached next to the file as `.br`/`.gz`, rebuilt when older than
//!   the file), and served by `Accept-Encoding`.
//! * Hashed assets (`name-<hash>.ext`) are immutable for a year; everything
//!   else, `index.html` first, is revalidated via ETag.
//! * Unknown paths outside the prefixes that are not the app ([`NotApp`])
//!   fall back to `index.html`, so the app's router can show the page (or
//!   its own 404 page).

use axum::{
    body::Body,
    http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri},
    response::{IntoResponse, Response},
};
use sha2::{Digest, Sha256};
use std::{
    collections::HashMap,
    io::Write,
    path::{Path, PathBuf},
};

/// One file of the site with its encodings.
pub struct Asset {
    pub content_type: &'static str,
    pub raw: Vec<u8>,
    pub br: Option<Vec<u8>>,
    pub gzip: Option<Vec<u8>>,
    pub etag: String,
    pub immutable: bool,
}

/// The whole built app, in memory.
pub struct Site {
    assets: HashMap<String, Asset>,
    index: Option<String>,
}

impl Site {
    /// Loads `dist/`. A missing `dist/` is not fatal: the API still works and
    /// pages answer with a hint to build the app first.
    pub fn load(dist: &Path) -> anyhow::Result<Self> {
        let mut assets = HashMap::new();
        if dist.is_dir() {
            let mut files = Vec::new();
            collect_files(dist, &mut files)?;
            for path in files {
                let rel = path
                    .strip_prefix(dist)?
                    .to_string_lossy()
                    .replace('\\', "/");
                if rel.ends_with(".br") || rel.ends_with(".gz") {
                    continue;
                }
                let asset = load_asset(&path, &rel)?;
                assets.insert(format!("/{rel}"), asset);
            }
        } else {
            tracing::warn!(dist = %dist.display(), "no built app found; run `make run` (or `trunk build`) first");
        }
        let index = assets
            .contains_key("/index.html")
            .then(|| "/index.html".to_string());
        Ok(Self { assets, index })
    }

    pub fn get(&self, path: &str) -> Option<&Asset> {
        self.assets.get(path)
    }

    pub fn index_html(&self) -> Option<&Asset> {
        self.index.as_deref().and_then(|p| self.assets.get(p))
    }

    /// Number of files served (without encodings).
    pub fn len(&self) -> usize {
        self.assets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.assets.is_empty()
    }

    /// `'sha256-…'` sources for every inline `<script>` in index.html, so the
    /// CSP can allow exactly those and nothing else inline.
    pub fn inline_script_hashes(&self) -> Vec<String> {
        let Some(index) = self.index_html() else {
            return Vec::new();
        };
        let html = String::from_utf8_lossy(&index.raw);
        inline_scripts(&html)
            .into_iter()
            .map(|s| {
                use base64::Engine;
                let digest = Sha256::digest(s.as_bytes());
                format!(
                    "'sha256-{}'",
                    base64::engine::general_purpose::STANDARD.encode(digest)
                )
            })
            .collect()
    }

    /// The stylesheets index.html links (hashed KERN + our CSS), so that
    /// server-rendered pages (login, authority console) look like the app.
    pub fn stylesheets(&self) -> Vec<String> {
        let Some(index) = self.index_html() else {
            return Vec::new();
        };
        let html = String::from_utf8_lossy(&index.raw);
        let mut out = Vec::new();
        for tag in html.split('<').filter(|t| t.starts_with("link ")) {
            if tag.contains("rel=\"stylesheet\"") {
                if let Some(href) = attr(tag, "href") {
                    out.push(href.to_string());
                }
            }
        }
        out
    }
}

fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let key = format!("{name}=\"");
    let start = tag.find(&key)? + key.len();
    let end = tag[start..].find('"')? + start;
    Some(&tag[start..end])
}

/// Contents of `<script>` elements without a `src` attribute.
pub fn inline_scripts(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        let after = &rest[start..];
        let Some(tag_end) = after.find('>') else {
            break;
        };
        let open_tag = &after[..tag_end];
        let body_start = tag_end + 1;
        let Some(close) = after[body_start..].find("</script>") else {
            break;
        };
        let body = &after[body_start..body_start + close];
        if !open_tag.contains(" src=") && !open_tag.contains("application/ld+json") {
            out.push(body.to_string());
        }
        rest = &after[body_start + close + "</script>".len()..];
    }
    out
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_files(&path, out)?;
        } else if path.is_file() {
            out.push(path);
        }
    }
    Ok(())
}

fn content_type(rel: &str) -> &'static str {
    match rel.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "wasm" => "application/wasm",
        "json" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "txt" => "text/plain; charset=utf-8",
        "pdf" => "application/pdf",
        _ => "application/octet-stream",
    }
}

fn compressible(ct: &str) -> bool {
    ct.starts_with("text/")
        || ct.starts_with("application/wasm")
        || ct.starts_with("application/json")
        || ct.starts_with("application/manifest")
        || ct.starts_with("image/svg")
}

/// `kern-1a2b3c4d5e6f7a8b.css`, `buergeramt-…_bg.wasm`: Trunk's content hashes.
pub fn is_hashed(rel: &str) -> bool {
    let mut parts = rel.split('/');
    let file = parts.next_back().unwrap_or(rel);
    // The wasm bundle (scripts/wasm-bundle.sh) keeps its files in one
    // content-hashed directory, `app-<hash>/`.
    parts.any(has_hash_suffix) || {
        let stem = file.split('.').next().unwrap_or(file);
        has_hash_suffix(stem.strip_suffix("_bg").unwrap_or(stem))
    }
}

fn has_hash_suffix(name: &str) -> bool {
    match name.rsplit_once('-') {
        Some((_, hash)) => hash.len() >= 16 && hash.chars().all(|c| c.is_ascii_hexdigit()),
        None => false,
    }
}

fn load_asset(path: &Path, rel: &str) -> anyhow::Result<Asset> {
    let raw = std::fs::read(path)?;
    let ct = content_type(rel);
    let etag = {
        let d = Sha256::digest(&raw);
        format!("\"{}\"", hex16(&d))
    };
    let (br, gzip) = if compressible(ct) && raw.len() > 256 {
        (
            Some(cached_variant(path, "br", &raw, brotli_bytes)?),
            Some(cached_variant(path, "gz", &raw, gzip_bytes)?),
        )
    } else {
        (None, None)
    };
    Ok(Asset {
        content_type: ct,
        raw,
        br,
        gzip,
        etag,
        immutable: is_hashed(rel),
    })
}

fn hex16(d: &[u8]) -> String {
    d.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// Reads `file.<ext>` if it is at least as new as `file`, else makes and writes it.
fn cached_variant(
    path: &Path,
    ext: &str,
    raw: &[u8],
    make: fn(&[u8]) -> std::io::Result<Vec<u8>>,
) -> anyhow::Result<Vec<u8>> {
    let mut side = path.as_os_str().to_owned();
    side.push(".");
    side.push(ext);
    let side = PathBuf::from(side);
    let fresh = match (std::fs::metadata(path), std::fs::metadata(&side)) {
        (Ok(a), Ok(b)) => match (a.modified(), b.modified()) {
            (Ok(ma), Ok(mb)) => mb >= ma,
            _ => false,
        },
        _ => false,
    };
    if fresh {
        if let Ok(bytes) = std::fs::read(&side) {
            return Ok(bytes);
        }
    }
    let bytes = make(raw)?;
    // Caching on disk is an optimisation; a read-only dist still works.
    let _ = std::fs::write(&side, &bytes);
    Ok(bytes)
}

/// Brotli at the highest quality (assets are compressed once, served often).
pub fn brotli_bytes(raw: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    {
        let mut w = brotli::CompressorWriter::new(&mut out, 4096, 11, 22);
        w.write_all(raw)?;
        w.flush()?;
    }
    Ok(out)
}

/// Gzip at level 9.
pub fn gzip_bytes(raw: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(raw)?;
    enc.finish()
}

fn accepts(headers: &HeaderMap, coding: &str) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|part| {
            let mut it = part.trim().split(';');
            let name = it.next().unwrap_or("").trim();
            let q_zero = it.any(|p| {
                let p = p.trim();
                p == "q=0" || p == "q=0.0" || p == "q=0.00" || p == "q=0.000"
            });
            name.eq_ignore_ascii_case(coding) && !q_zero
        })
}

fn respond(asset: &Asset, headers: &HeaderMap, method: &Method) -> Response {
    let not_modified = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == asset.etag));
    let cache = if asset.immutable {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let mut builder = Response::builder()
        .header(header::CONTENT_TYPE, asset.content_type)
        .header(header::CACHE_CONTROL, cache)
        .header(header::ETAG, asset.etag.as_str())
        .header(header::VARY, "Accept-Encoding");
    if not_modified {
        return builder
            .status(StatusCode::NOT_MODIFIED)
            .body(Body::empty())
            .unwrap_or_else(|_| StatusCode::NOT_MODIFIED.into_response());
    }
    let body: &[u8] = match (&asset.br, &asset.gzip) {
        (Some(br), _) if accepts(headers, "br") => {
            builder = builder.header(header::CONTENT_ENCODING, "br");
            br
        }
        (_, Some(gz)) if accepts(headers, "gzip") => {
            builder = builder.header(header::CONTENT_ENCODING, "gzip");
            gz
        }
        _ => &asset.raw,
    };
    builder = builder.header(header::CONTENT_LENGTH, body.len());
    let body = if method == Method::HEAD {
        Body::empty()
    } else {
        Body::from(body.to_vec())
    };
    builder
        .body(body)
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

/// The paths that are not the app (a server's own APIs) and what they
/// answer when no route of theirs did: they never fall back to index.html.
#[derive(Clone, Debug)]
pub struct NotApp {
    prefixes: Vec<String>,
    answer: fn() -> Response,
}

impl NotApp {
    /// `prefixes` without a trailing slash (`"/api"`); each covers itself and
    /// everything below it (`/api`, `/api/…`, not `/apix`).
    pub fn new(prefixes: &[&str], answer: fn() -> Response) -> Self {
        Self {
            prefixes: prefixes.iter().map(|p| p.to_string()).collect(),
            answer,
        }
    }

    /// Is `path` one of these prefixes or below one?
    pub fn contains(&self, path: &str) -> bool {
        self.prefixes.iter().any(|p| {
            path == p
                || path
                    .strip_prefix(p.as_str())
                    .is_some_and(|rest| rest.starts_with('/'))
        })
    }

    /// The answer for such a path.
    pub fn answer(&self) -> Response {
        (self.answer)()
    }
}

impl Site {
    /// The fallback's answer: paths that are not the app get
    /// [`NotApp::answer`], files are served, every other path gets the
    /// app's index.html.
    pub fn serve(
        &self,
        not_app: &NotApp,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
    ) -> Response {
        let path = uri.path();
        if not_app.contains(path) {
            return not_app.answer();
        }
        if method != Method::GET && method != Method::HEAD {
            let mut r = (
                StatusCode::METHOD_NOT_ALLOWED,
                axum::Json(serde_json::json!({"error": "method_not_allowed", "message": "only GET and HEAD are allowed here"})),
            )
                .into_response();
            r.headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
            return r;
        }
        if let Some(asset) = self.get(path) {
            return respond(asset, headers, method);
        }
        // A missing file with an extension (a stale hashed asset, a typo) is a real 404.
        let last = path.rsplit('/').next().unwrap_or("");
        if last.contains('.') && !last.ends_with(".html") {
            return (StatusCode::NOT_FOUND, "Not found").into_response();
        }
        match self.index_html() {
            Some(index) => respond(index, headers, method),
            None => (
                StatusCode::SERVICE_UNAVAILABLE,
                "The app has not been built yet. Run `make run`.",
            )
                .into_response(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_inline_scripts_only() {
        let html = r#"<script src="/a.js"></script><script type="module">import x from '/x.js';</script><script>1</script>"#;
        assert_eq!(
            inline_scripts(html),
            vec!["import x from '/x.js';".to_string(), "1".to_string()]
        );
    }

    #[test]
    fn recognises_trunk_hashes() {
        assert!(is_hashed("buergeramt-8f3a9c1d2e4b5a6f_bg.wasm"));
        assert!(is_hashed("kern-0123456789abcdef.css"));
        assert!(!is_hashed("index.html"));
        assert!(!is_hashed("fira-sans/FiraSans-Regular.woff2"));
        assert!(is_hashed("app-0123456789abcdef/__wasm_split.js"));
        assert!(is_hashed("app-0123456789abcdef/split_apply.wasm"));
        assert!(!is_hashed("app/buergeramt.js"));
    }

    #[test]
    fn accept_encoding_respects_q_zero() {
        let mut h = HeaderMap::new();
        h.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("gzip, br;q=0"),
        );
        assert!(accepts(&h, "gzip"));
        assert!(!accepts(&h, "br"));
    }

    #[test]
    fn not_app_covers_a_prefix_and_below_only() {
        let n = NotApp::new(&["/api", "/healthz"], || {
            StatusCode::IM_A_TEAPOT.into_response()
        });
        for p in ["/api", "/api/", "/api/v1/x", "/healthz", "/healthz/x"] {
            assert!(n.contains(p), "{p}");
        }
        for p in ["/", "/apis", "/antrag/api", "/healthzz", "/index.html"] {
            assert!(!n.contains(p), "{p}");
        }
        assert_eq!(n.answer().status(), StatusCode::IM_A_TEAPOT);
    }

    #[test]
    fn compression_round_trips() {
        let data = b"Buergeramt ".repeat(200);
        let br = brotli_bytes(&data).unwrap();
        assert!(br.len() < data.len());
        let mut out = Vec::new();
        brotli::BrotliDecompress(&mut &br[..], &mut out).unwrap();
        assert_eq!(out, data);
    }
}
