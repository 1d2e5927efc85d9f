// Trunk pre_build hook (see Trunk.toml): the Fira Sans faces KERN uses
// (SIL OFL 1.1, shipped by @kern-ux/native), made light for the first load.
//
// KERN's own fira-sans.css points at the whole fonts: about 135 KB each, and
// the start page needs four weights (400, 500, 600, 700). On a slow
// connection those 540 KB share the line with the app's wasm and delay it by
// seconds. So, for every face of KERN's stylesheet:
//
// 1. a Latin subset (German, Western European names, typographic quotes and
//    dashes, €) goes to style/generated/fonts/ (about a fifth of the size);
// 2. style/generated/fonts.css declares the subset for its characters and
//    the whole font for all others (`unicode-range`), so the whole font is
//    fetched only for a page that shows a character outside the subset (a
//    Polish or Turkish name, say);
// 3. `font-display`: the preloaded faces (PRELOAD) `block`: they arrive
//    with the stylesheets, and the first paint (index.html's static shell)
//    is then already in Fira Sans. With `swap` it was drawn in a system
//    font, and the app's own copy of the same paragraph, drawn in Fira Sans
//    a little larger, became a late "largest contentful paint". The browser
//    waits at most 3 s for a blocking font, then draws the system font.
//    Every other face `swap`: text is never held back for it.
//
// The subsets live in one directory named by a hash of their contents,
// `fonts/fonts-<hash>/`, which the server and the service worker treat as
// immutable. scripts/wasm-bundle.sh preloads the faces the first screen uses
// (PRELOAD, listed in style/generated/fonts-preload.txt).
import subsetFont from "subset-font";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync, rmSync, statSync, utimesSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const kern = join(root, "node_modules/@kern-ux/native/dist/fonts");
const outRoot = join(root, "style/generated/fonts");
const outCss = join(root, "style/generated/fonts.css");
const outPreload = join(root, "style/generated/fonts-preload.txt");

// Trunk runs this before every build (`trunk serve`: on every save). The
// subsets depend only on KERN's fonts and this script: when the output is
// newer than both, there is nothing to do.
const mtime = (f) => statSync(f).mtimeMs;
if (
  [outCss, outPreload, outRoot].every(existsSync) &&
  mtime(outCss) > Math.max(mtime(fileURLToPath(import.meta.url)), mtime(join(kern, "fira-sans.css")))
) {
  process.exit(0);
}

// What the subset covers: Basic Latin and Latin-1 (German and most Western
// European languages), the ligature/quote/dash/ellipsis block, € and ™,
// arrows and the minus sign.
const RANGES = [
  [0x0020, 0x007e],
  [0x00a0, 0x00ff],
  [0x0131, 0x0131],
  [0x0152, 0x0153],
  [0x02c6, 0x02c6],
  [0x02da, 0x02da],
  [0x02dc, 0x02dc],
  [0x2000, 0x206f],
  [0x20ac, 0x20ac],
  [0x2122, 0x2122],
  [0x2190, 0x2193],
  [0x2212, 0x2212],
  [0xfeff, 0xfeff],
  [0xfffd, 0xfffd],
];
// Body text (400), the start page heading (500), labels, links and buttons
// (600); 700 is only the site name.
const PRELOAD = ["400", "500", "600"];
const preloaded = (f) => f.style === "normal" && PRELOAD.includes(f.weight);
const hex = (n) => n.toString(16).toUpperCase().padStart(4, "0");
const span = ([a, b]) => (a === b ? `U+${hex(a)}` : `U+${hex(a)}-${hex(b)}`);
const unicodeRange = RANGES.map(span).join(", ");
// The whole font covers exactly the rest, so that nothing (not even
// `document.fonts.load()` in index.html) fetches it for a Latin text.
const rest = [];
let next = 0;
for (const [a, b] of RANGES) {
  if (a > next) rest.push([next, a - 1]);
  next = b + 1;
}
rest.push([next, 0x10ffff]);
const restRange = rest.map(span).join(", ");
const text = RANGES.map(([a, b]) => String.fromCodePoint(...Array.from({ length: b - a + 1 }, (_, i) => a + i))).join("");

// The faces of KERN's stylesheet: file, weight, style.
const kernCss = readFileSync(join(kern, "fira-sans.css"), "utf8");
const faces = [...kernCss.matchAll(/@font-face\s*{([^}]*)}/g)].map(([, body]) => {
  const file = body.match(/url\(["']?\.\/fira-sans\/([^"')]+)["']?\)/)?.[1];
  const weight = body.match(/font-weight:\s*(\d+)/)?.[1];
  const style = body.match(/font-style:\s*(\w+)/)?.[1] ?? "normal";
  if (!file || !weight) {
    console.error(`fonts: cannot read a face of KERN's fira-sans.css: ${body.trim()}`);
    process.exit(1);
  }
  return { file, weight, style };
});
if (faces.length === 0) {
  console.error("fonts: no @font-face in KERN's fira-sans.css");
  process.exit(1);
}

const subsets = [];
let before = 0;
for (const f of faces) {
  const whole = readFileSync(join(kern, "fira-sans", f.file));
  before += whole.length;
  const name = `FiraSans-${f.weight}${f.style === "italic" ? "i" : ""}-latin.woff2`;
  subsets.push({ ...f, name, bytes: await subsetFont(whole, text, { targetFormat: "woff2" }) });
}
const hash = createHash("sha256");
for (const s of subsets) hash.update(s.name).update(s.bytes);
const dir = `fonts-${hash.digest("hex").slice(0, 16)}`;

let css = "/* Generated by scripts/fonts.mjs from @kern-ux/native's fira-sans.css (Fira Sans, SIL OFL 1.1). Do not edit. */\n";
for (const f of subsets) {
  const face = `font-family:"Fira Sans";font-weight:${f.weight};font-style:${f.style}`;
  const display = preloaded(f) ? "block" : "swap";
  css += `@font-face{${face};font-display:swap;src:url("./fira-sans/${f.file}") format("woff2");unicode-range:${restRange}}\n`;
  css += `@font-face{${face};font-display:${display};src:url("./fonts/${dir}/${f.name}") format("woff2");unicode-range:${unicodeRange}}\n`;
}
const preload = subsets.filter(preloaded).map((f) => `/fonts/${dir}/${f.name}`);

let previous = "";
try {
  previous = readFileSync(outCss, "utf8");
} catch {}
// Rewrite only on change, so `trunk serve` does not rebuild in a loop.
if (previous !== css) {
  rmSync(outRoot, { recursive: true, force: true });
  mkdirSync(join(outRoot, dir), { recursive: true });
  for (const f of subsets) writeFileSync(join(outRoot, dir, f.name), f.bytes);
  writeFileSync(outPreload, preload.join("\n") + "\n");
  writeFileSync(outCss, css);
} else {
  utimesSync(outCss, new Date(), new Date()); // up to date: the next build skips the work
}
const after = subsets.reduce((n, f) => n + f.bytes.length, 0);
console.log(`fonts: ${faces.length} faces, ${(before / 1024).toFixed(0)} KB whole -> ${(after / 1024).toFixed(0)} KB Latin subsets in ${dir}/`);
