//! Build helper for the installable app (run by Trunk's hooks, see Trunk.toml).
//!
//! * `pwa-assets icons <dir>` renders `assets/icon.svg` into the PNG icons the
//!   manifest names: 192 and 512 px, and a 512 px maskable variant whose
//!   drawing is shrunk into the safe zone (the inner 80 % circle) on the
//!   brand colour, so launchers may cut any shape out of it.
//! * `pwa-assets precache <dir>` writes the list of files the service worker
//!   precaches, and a version derived from their contents, into `<dir>/sw.js`
//!   (replacing its two marker lines). A new build with other assets thus
//!   gives a byte-different `sw.js`, which is what makes browsers update.
//!
//! `<dir>` defaults to `$TRUNK_STAGING_DIR`.

use anyhow::{anyhow, bail, Context};
use resvg::{tiny_skia, usvg};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

const ICON_SVG: &str = "assets/icon.svg";
/// The brand blue behind the maskable icon (same as the SVG's background).
const BRAND: (u8, u8, u8) = (0x0b, 0x2a, 0x4a);
/// Share of the maskable icon the drawing may cover (the safe zone).
const MASKABLE_SCALE: f32 = 0.8;

const VERSION_MARKER: &str = "const VERSION = \"dev\";";
const PRECACHE_MARKER: &str = "const PRECACHE = [];";

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let cmd = args.next().unwrap_or_default();
    let dir = match args.next() {
        Some(d) => PathBuf::from(d),
        None => std::env::var_os("TRUNK_STAGING_DIR")
            .map(PathBuf::from)
            .ok_or_else(|| anyhow!("give a directory or set TRUNK_STAGING_DIR"))?,
    };
    match cmd.as_str() {
        "icons" => icons(&dir),
        "precache" => precache(&dir),
        _ => bail!("usage: pwa-assets icons|precache [dir]"),
    }
}

fn icons(dir: &Path) -> anyhow::Result<()> {
    let svg = std::fs::read(ICON_SVG).with_context(|| format!("reading {ICON_SVG}"))?;
    let tree = usvg::Tree::from_data(&svg, &usvg::Options::default())
        .with_context(|| format!("parsing {ICON_SVG}"))?;
    let out = dir.join("icons");
    std::fs::create_dir_all(&out)?;
    for (name, size, scale) in [
        ("icon-192.png", 192, 1.0),
        ("icon-512.png", 512, 1.0),
        ("icon-maskable-512.png", 512, MASKABLE_SCALE),
    ] {
        let png = render(&tree, size, scale)?;
        std::fs::write(out.join(name), png)?;
    }
    Ok(())
}

/// Renders the drawing into a `size`² PNG, scaled by `scale` around the centre
/// on the brand colour.
fn render(tree: &usvg::Tree, size: u32, scale: f32) -> anyhow::Result<Vec<u8>> {
    let mut pixmap =
        tiny_skia::Pixmap::new(size, size).ok_or_else(|| anyhow!("bad icon size {size}"))?;
    pixmap.fill(tiny_skia::Color::from_rgba8(BRAND.0, BRAND.1, BRAND.2, 255));
    let view = tree.size();
    let fit = size as f32 / view.width().max(view.height());
    let s = fit * scale;
    let offset = (size as f32 - view.width() * s) / 2.0;
    let transform = tiny_skia::Transform::from_row(s, 0.0, 0.0, s, offset, offset);
    resvg::render(tree, transform, &mut pixmap.as_mut());
    pixmap.encode_png().context("encoding PNG")
}

fn precache(dir: &Path) -> anyhow::Result<()> {
    let mut files = Vec::new();
    collect(dir, dir, &mut files)?;
    files.sort();
    let mut hasher = Sha256::new();
    let mut urls = Vec::new();
    for rel in &files {
        if !precached(rel) {
            continue;
        }
        hasher.update(rel.as_bytes());
        hasher.update(std::fs::read(dir.join(rel))?);
        urls.push(format!("/{rel}"));
    }
    let digest = hasher.finalize();
    let version: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();

    let sw_path = dir.join("sw.js");
    let sw = std::fs::read_to_string(&sw_path).with_context(|| "reading sw.js".to_string())?;
    if !sw.contains(VERSION_MARKER) || !sw.contains(PRECACHE_MARKER) {
        bail!("sw.js lacks the marker lines `{VERSION_MARKER}` and `{PRECACHE_MARKER}`");
    }
    let list = serde_json::to_string(&urls)?;
    let sw = sw
        .replace(VERSION_MARKER, &format!("const VERSION = \"{version}\";"))
        .replace(PRECACHE_MARKER, &format!("const PRECACHE = {list};"));
    std::fs::write(&sw_path, sw)?;
    println!("sw.js: version {version}, {} files precached", urls.len());
    Ok(())
}

/// The app shell and its assets. Fonts are cached when first used (the
/// stylesheet names many weights, a page needs few); the worker itself and
/// precompressed copies are never listed.
fn precached(rel: &str) -> bool {
    !(rel == "sw.js"
        || rel.ends_with(".br")
        || rel.ends_with(".gz")
        || rel.starts_with("fira-sans/")
        || rel.starts_with("fonts/"))
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<String>) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(root, &path, out)?;
        } else if path.is_file() {
            let rel = path
                .strip_prefix(root)?
                .to_string_lossy()
                .replace('\\', "/");
            out.push(rel);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fonts_and_the_worker_are_not_precached() {
        assert!(precached("index.html"));
        assert!(precached("buergeramt-1a2b_bg.wasm"));
        assert!(precached("icons/icon-192.png"));
        assert!(!precached("sw.js"));
        assert!(!precached("fira-sans/FiraSans-Bold.woff2"));
        assert!(!precached(
            "fonts/fonts-0123456789abcdef/FiraSans-400-latin.woff2"
        ));
        assert!(!precached("index.html.br"));
    }

    #[test]
    fn icons_render_from_the_committed_svg() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let svg = std::fs::read(root.join(ICON_SVG)).unwrap();
        let tree = usvg::Tree::from_data(&svg, &usvg::Options::default()).unwrap();
        let png = render(&tree, 192, 1.0).unwrap();
        assert_eq!(&png[1..4], b"PNG");
        // The maskable icon keeps a brand-coloured margin: its corner pixel
        // is the brand blue, the centre column is drawn on.
        let mask = render(&tree, 512, MASKABLE_SCALE).unwrap();
        let pixmap = tiny_skia::Pixmap::decode_png(&mask).unwrap();
        let corner = pixmap.pixel(5, 5).unwrap();
        assert_eq!((corner.red(), corner.green(), corner.blue()), BRAND);
        let roof = pixmap.pixel(256, 200).unwrap();
        assert_eq!((roof.red(), roof.green(), roof.blue()), (255, 255, 255));
    }
}
