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
// 3. `font-display: swap` for every face, with a fallback of matched size:
//    the first paint (index.html's static shell) does not wait for a font.
//    Text is drawn at once in "Fira Sans Fallback": the system's Arial
//    (Liberation Sans, metric-compatible, on Linux; Helvetica on Apple
//    systems) scaled (`size-adjust`) to Fira Sans' width per weight, with
//    Fira Sans' ascent and descent, so that lines wrap alike and nothing moves
//    when the font arrives. The scale is a little over the measured one, so
//    the app's own copy of the start page's introduction (drawn in Fira Sans)
//    is never larger than the first paint and does not become a late "largest
//    contentful paint" (that is why the preloaded faces were `block` before).
//    e2e/fonts.spec.ts checks the widths.
//
// The subsets live in one directory named by a hash of their contents,
// `fonts/fonts-<hash>/`, which the server and the service worker treat as
// immutable. The fallback is in style/generated/fonts-fallback.css, which
// index.html loads before the first paint; style/generated/fonts.css (the
// faces) and the preloads of the faces the first screen uses (PRELOAD,
// listed in style/generated/fonts-preload.txt) are added by index.html's
// inline script (scripts/wasm-bundle.sh): on the start page after its first
// paint, elsewhere at once.
import subsetFont from "subset-font";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync, rmSync, statSync, utimesSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const kern = join(root, "node_modules/@kern-ux/native/dist/fonts");
const outRoot = join(root, "style/generated/fonts");
const outCss = join(root, "style/generated/fonts.css");
const outFallback = join(root, "style/generated/fonts-fallback.css");
const outPreload = join(root, "style/generated/fonts-preload.txt");

// Trunk runs this before every build (`trunk serve`: on every save). The
// subsets depend only on KERN's fonts and this script: when the output is
// newer than both, there is nothing to do.
const mtime = (f) => statSync(f).mtimeMs;
if (
  [outCss, outFallback, outPreload, outRoot].every(existsSync) &&
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
// The fallback per weight: which local face, and its scale. Measured in
// Chromium with canvas measureText over a German and English sample
// (the start page's introduction, service names, navigation words):
// Fira Sans 400 / 500 / 600 / 700 are 1.0191 / 1.0204 / 0.9527 / 0.9534
// times as wide as Arial (regular for 400 and 500, bold for 600 and 700).
// Each scale here is 0.5 % over that (see 3.). Fira Sans' vertical metrics:
// ascent 0.935 em, descent 0.265 em, no line gap.
const FALLBACK = [
  { weight: "400", bold: false, scale: 1.024 },
  { weight: "500", bold: false, scale: 1.025 },
  { weight: "600", bold: true, scale: 0.958 },
  { weight: "700", bold: true, scale: 0.958 },
];
const ASCENT = 0.935;
const DESCENT = 0.265;
const pct = (x) => `${(x * 100).toFixed(2)}%`;
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
  css += `@font-face{${face};font-display:swap;src:url("./fira-sans/${f.file}") format("woff2");unicode-range:${restRange}}\n`;
  css += `@font-face{${face};font-display:swap;src:url("./fonts/${dir}/${f.name}") format("woff2");unicode-range:${unicodeRange}}\n`;
}
// The fallback goes into a stylesheet of its own, which every page loads
// before its first paint (1 KB); fonts.css itself is loaded by index.html's
// inline script, on the start page only after the first paint
// (scripts/wasm-bundle.sh).
let fallback = "/* Generated by scripts/fonts.mjs: Fira Sans' size-matched fallback. Do not edit. */\n";
for (const f of FALLBACK) {
  const local = f.bold
    ? 'local("Arial Bold"),local("Arial-BoldMT"),local("Liberation Sans Bold"),local("LiberationSans-Bold"),local("Helvetica Bold"),local("Helvetica-Bold")'
    : 'local("Arial"),local("ArialMT"),local("Liberation Sans"),local("LiberationSans"),local("Helvetica"),local("Helvetica Neue")';
  fallback += `@font-face{font-family:"Fira Sans Fallback";font-weight:${f.weight};font-style:normal;src:${local};size-adjust:${pct(f.scale)};ascent-override:${pct(ASCENT / f.scale)};descent-override:${pct(DESCENT / f.scale)};line-gap-override:0%}\n`;
}
// KERN's family token (kern.css: "Fira Sans", sans-serif) with the fallback
// in between; this stylesheet comes after app.css (index.html).
fallback += `:root{--kern-typography-font-family-fira-sans:"Fira Sans","Fira Sans Fallback",sans-serif}\n`;
const preload = subsets.filter(preloaded).map((f) => `/fonts/${dir}/${f.name}`);

let previous = "";
try {
  previous = readFileSync(outCss, "utf8");
} catch {}
// Rewrite only on change, so `trunk serve` does not rebuild in a loop.
let previousFallback = "";
try {
  previousFallback = readFileSync(outFallback, "utf8");
} catch {}
if (previousFallback !== fallback) writeFileSync(outFallback, fallback);
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
