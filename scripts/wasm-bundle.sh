#!/usr/bin/env bash
# Trunk post_build hook (see Trunk.toml): builds the app's wasm and puts it
# into Trunk's staging directory, then writes the service worker's precache
# list.
#
# Why not Trunk's own `rel="rust"` pipeline: Trunk 0.21 cannot split a wasm
# module. In a release build this script
#   1. compiles with the cargo feature `split` (routes loaded on demand,
#      src/pages/lazy.rs, become split points; build.rs then links with
#      `--emit-relocs`, which the splitter needs),
#   2. splits the module with `wasm-split-cli` (crate wasm_split_cli_support)
#      into the main module and chunks loaded when a lazy route is first
#      visited, and joins small shared chunks into fewer files
#      (tools/wasm-join),
#   3. runs wasm-bindgen on the main module and wasm-opt -Oz on every module
#      (scripts/wasm-opt-all.mjs) and terser on the JS, and shortens the
#      names the main module imports from its glue (scripts/wasm-imports.mjs),
#   4. puts all files into one content-hashed directory `app-<hash>/` (so they
#      are cached as immutable and reference each other by relative names),
#   5. adds the loader, `modulepreload`/`preload` links (and the font
#      preloads of scripts/fonts.mjs) and SRI hashes to
#      index.html, the way Trunk did.
# A debug build (`trunk serve`, `make dev`) skips 1, 2 and wasm-opt.
set -euo pipefail

# Wasm requests started per task, by routes.js for a deep link and by the
# chunk loader (docs/performance.md, "Requests in small tasks").
wasm_requests_per_task=6

root="$(cd "$(dirname "$0")/.." && pwd)"
staging="${TRUNK_STAGING_DIR:?run by trunk as a post_build hook}"
profile="${TRUNK_PROFILE:-debug}"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
name=buergeramt
work="$target_dir/wasm-bundle"
rm -rf "$work"
mkdir -p "$work/split" "$work/out"

if [ "$profile" = release ]; then
  # erase_components: leptos type-erases views at component boundaries, which
  # makes the main module 24 KB (brotli) smaller (docs/performance.md).
  # --remap-path-prefix: panic locations name their file; without the
  # registry's and the target directory's absolute paths the module is smaller
  # and the same on every machine (docs/performance.md, size row 23).
  remap=""
  for src in "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/; do
    [ -d "$src" ] && remap+=" --remap-path-prefix=$src="
  done
  remap+=" --remap-path-prefix=$target_dir/=target/"
  RUSTFLAGS="${RUSTFLAGS:-} --cfg erase_components$remap" \
    cargo build -q -p "$name" --bin "$name" --features split --target wasm32-unknown-unknown --profile wasm-release
  wasm="$target_dir/wasm32-unknown-unknown/wasm-release/$name.wasm"
  wasm-split-cli "$wasm" "$work/split" --target web --out-name "$name"
  # The splitter makes one shared chunk per set of modules needing it (a
  # form step waited for 118 files); tools/wasm-join joins small chunks
  # needed by the same pages into one file and rewrites the loader to match.
  cargo run -q -p wasm-join -- "$work/split"
  # Without the name section: wasm-opt strips it anyway, and reading the
  # splitter's name subsections made it print a warning each.
  wasm-bindgen --target web --keep-lld-exports --no-typescript --remove-name-section \
    --out-dir "$work/out" --out-name "$name" "$work/split/$name.wasm"
  cp "$work/split/"__wasm_split.js "$work/out/"
  for chunk in "$work/split/"*.wasm; do
    [ "$(basename "$chunk")" = "$name.wasm" ] || cp "$chunk" "$work/out/"
  done
  # wasm-opt -Oz: the main module with the wasm-opt command (its pipeline
  # saves 8 KB brotli more there than binaryen's JS API), the chunks in one
  # Node process (binaryen's API; one process per file would take minutes).
  wasm-opt -Oz --strip-debug --strip-producers --enable-bulk-memory --enable-nontrapping-float-to-int \
    --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue \
    -o "$work/out/${name}_bg.opt.wasm" "$work/out/${name}_bg.wasm"
  mv "$work/out/${name}_bg.opt.wasm" "$work/out/${name}_bg.wasm"
  find "$work/out" -name '*.wasm' ! -name "${name}_bg.wasm" -print0 | xargs -0 node "$root/scripts/wasm-opt-all.mjs"
  # The JS glue and the chunk loader, minified (exports keep their names).
  terser "$work/out/$name.js" --module --compress --mangle --output "$work/out/$name.js.min"
  mv "$work/out/$name.js.min" "$work/out/$name.js"
  # Short import names in the main module and its glue (−8 KB brotli of the
  # first load; scripts/wasm-imports.mjs).
  node "$root/scripts/wasm-imports.mjs" "$work/out/${name}_bg.wasm" "$work/out/$name.js"
  # The chunk loader starts its requests a few per task and takes those
  # routes.js started (scripts/wasm-loader.mjs).
  node "$root/scripts/wasm-loader.mjs" "$work/out/__wasm_split.js" "$wasm_requests_per_task"
  # The chunk loader keeps its top-level names and one statement per line,
  # so `bench dist` can still read which chunks each part needs.
  terser "$work/out/__wasm_split.js" --compress join_vars=false --mangle --format semicolons=false \
    --output "$work/out/__wasm_split.js.min"
  mv "$work/out/__wasm_split.js.min" "$work/out/__wasm_split.js"
else
  cargo build -q -p "$name" --bin "$name" --target wasm32-unknown-unknown
  wasm-bindgen --target web --no-typescript --out-dir "$work/out" --out-name "$name" \
    "$target_dir/wasm32-unknown-unknown/debug/$name.wasm"
fi

# One hash over every file of this build names the directory.
hash="$(cd "$work/out" && find . -type f | LC_ALL=C sort | xargs cat | sha256sum | cut -c1-16)"
dir="app-$hash"
rm -rf "$staging/$dir"
cp -r "$work/out" "$staging/$dir"

sri() { printf 'sha384-%s' "$(openssl dgst -sha384 -binary "$1" | openssl base64 -A)"; }

# What the app loads besides the module and its chunks: its two scripts
# (modulepreload), Fira Sans' stylesheet (scripts/fonts.mjs; copied here
# under a name with its hash) and the font subsets the first screen uses
# (preload). index.html's inline script adds them all with their SRI hashes
# (`window.__appLoads`): on the start page and /suche only once its static
# copy has been painted (in Fira Sans' size-matched fallback, fonts-fallback.css), so the
# first paint needs index.html and the two stylesheets and nothing else;
# on every other path at once.
fonts_css="$root/style/generated/fonts.css"
fonts_name="fonts-$(sha256sum "$fonts_css" | cut -c1-16).css"
cp "$fonts_css" "$staging/$fonts_name"
add_link() { # rel href integrity [as [type [more script before it is added]]]
  appl+="l=document.createElement(\"link\");l.rel=\"$1\";l.href=\"$2\";l.crossOrigin=\"anonymous\";"
  [ -n "$3" ] && appl+="l.integrity=\"$3\";"
  [ -n "${4:-}" ] && appl+="l.as=\"$4\";"
  [ -n "${5:-}" ] && appl+="l.type=\"$5\";"
  [ -n "${6:-}" ] && appl+="$6"
  appl+="h.appendChild(l);"
}
appl="window.__appLoads=function(){var h=document.head,l;"
# The app's first two requests start with its code: every request of the
# app waits for /config.json (src/api/config.rs), and the app asks
# /api/v1/session who is logged in as soon as it runs
# (src/components/session.rs); a logged-in page's own data comes after both.
# Started by the app, they waited for the main module and then for each
# other. The app's own fetches take these answers over (same URL, CORS, the
# same credentials); e2e/split.spec.ts checks that each is asked for once,
# before the main module has arrived. On the start page and /suche they wait
# for the copy's paint like the rest (started at once, they delayed that
# paint in Lighthouse's simulation: docs/performance.md). Reading the
# session is no activity (relay/src/session.rs), so the early request
# changes nothing at the relay.
# There they are asked for at low priority: the simulation of Lighthouse
# counts every high-priority request that is open when the copy's paint is
# recorded into that paint (docs/performance.md, "Low priority for the first
# requests").
low='if(window.__copyFirst)l.fetchPriority="low";'
add_link preload /config.json "" fetch "" "$low"
add_link preload /api/v1/session "" fetch "" "$low"
add_link modulepreload "/$dir/$name.js" "$(sri "$staging/$dir/$name.js")"
if [ -f "$staging/$dir/__wasm_split.js" ]; then
  add_link modulepreload "/$dir/__wasm_split.js" "$(sri "$staging/$dir/__wasm_split.js")"
fi
while read -r font; do
  [ -n "$font" ] && add_link preload "$font" "" font font/woff2
done < <(cat "$root/style/generated/fonts-preload.txt" 2>/dev/null || true)
add_link stylesheet "/$fonts_name" "$(sri "$staging/$fonts_name")"
appl+="};"
# The start page's introduction keeps Fira Sans' fallback until the app has
# drawn its own copy (style/search.css, `intro-fallback` on <html>): main.rs
# removes #static-shell (a child of body) and mounts the app in one task; the
# frame after next, the app's copy has been drawn, and the class goes.
appl+='window.__introAfterApp=function(){function go(){requestAnimationFrame(function(){requestAnimationFrame(function(){document.documentElement.classList.remove("intro-fallback")})})}'
appl+='if(!document.getElementById("static-shell"))return go();'
appl+='new MutationObserver(function(m,o){if(!document.getElementById("static-shell")){o.disconnect();go()}}).observe(document.body,{childList:true})};'
links=""
# A deep link's route chunks load while the main module does: routes.js (a
# route -> wasm files map, scripts/route-chunks.mjs) starts their requests. The
# start page needs no chunk, so index.html loads routes.js on other paths
# only (the CSP allows the inline script by its hash, computed by the server
# from index.html). sw.js gets the same map (its send path, what the open
# pages use), the directory and the first screen's fonts.
routes_json="$(node "$root/scripts/route-chunks.mjs" "$root" "$staging/$dir" "$wasm_requests_per_task")"
# The main module: on the start page (and on /suche, whose upper part
# index.html copies too), the static copy of the page is all the first screen
# needs, so the module is fetched only once that copy
# has been painted (window.__shellPainted, below): the stylesheets do not
# share the line with 220 KB of wasm, and the first paint comes sooner while
# the app is ready about as soon as before (the bytes are the same;
# docs/performance.md "The start page paints first", "Nothing waits for a
# font"). The loader imports the glue dynamically, after `__appLoads` has
# added its modulepreload with the SRI hash (the import reuses it). On every
# other path the page is the app's, so the module is preloaded at once,
# together with the route's chunks (on /suche: right after the copy's paint). Both fetches carry the module's SRI hash
# (the preload and the loader's own fetch, which reuses it).
wasm_sri="$(sri "$staging/$dir/${name}_bg.wasm")"
deep="var l=document.createElement(\"link\");l.rel=\"preload\";l.as=\"fetch\";l.type=\"application/wasm\";l.crossOrigin=\"anonymous\";l.integrity=\"$wasm_sri\";l.href=\"/$dir/${name}_bg.wasm\";document.head.appendChild(l);"
if [ -f "$staging/$dir/routes.js" ]; then
  # With its SRI hash like every other script (e2e/security.spec.ts).
  deep+="var r=document.createElement(\"script\");r.src=\"/$dir/routes.js\";r.integrity=\"$(sri "$staging/$dir/routes.js")\";r.crossOrigin=\"anonymous\";document.head.appendChild(r)"
fi
# The pages index.html draws a copy of (the start page, /suche: see
# src/browser/shell.rs) wait with all of it until that copy has been painted
# (window.__shellPainted resolves at once where no copy is shown).
first='var p=location.pathname;window.__copyFirst=p==="/"||p==="/suche";'
links+="<script>$appl window.__deepLoads=function(){$deep};$first if(!__copyFirst){__appLoads();__deepLoads()}</script>"
fonts_json="$(node -e 'const l=require("fs").readFileSync(0,"utf8").split("\n").filter(Boolean);process.stdout.write(JSON.stringify(l))' \
  < <(cat "$root/style/generated/fonts-preload.txt" 2>/dev/null || true))"
ROUTES_JSON="$routes_json" FONTS_JSON="$fonts_json" APP_DIR="/$dir/" node -e '
  const fs = require("fs");
  const file = process.argv[1];
  let sw = fs.readFileSync(file, "utf8");
  const routes = JSON.parse(process.env.ROUTES_JSON).routes;
  const short = (f) => f.replace(/^chunk_(\d+)\.wasm$/, "$1").replace(/^split_(\w+)\.wasm$/, "$1");
  const compact = Object.fromEntries(Object.entries(routes).map(([p, fs]) => [p, fs.map(short).join(" ")]));
  for (const [marker, value] of [
    ["const APP_DIR = \"\";", `const APP_DIR = ${JSON.stringify(process.env.APP_DIR)};`],
    ["const ROUTES = {};", `const ROUTES = ${JSON.stringify(compact)};`],
    ["const SHELL_FONTS = [];", `const SHELL_FONTS = ${process.env.FONTS_JSON};`],
  ]) {
    if (!sw.includes(marker)) throw new Error(`sw.js lacks the marker line ${marker}`);
    sw = sw.replace(marker, () => value);
  }
  fs.writeFileSync(file, sw);
' "$staging/sw.js"
loader="<script type=\"module\">__introAfterApp();if(window.__copyFirst){await window.__shellPainted;__appLoads();if(location.pathname!==\"/\")__deepLoads()}const{default:init}=await import('/$dir/$name.js');await init({ module_or_path: fetch('/$dir/${name}_bg.wasm', { integrity: \"$wasm_sri\" }) });</script>"

index="$staging/index.html"
grep -q '</head>' "$index"
# Replace the placeholder comment in index.html (keeps the order: styles first).
marker='<!-- wasm-bundle -->'
grep -qF "$marker" "$index" || { echo "index.html lacks $marker" >&2; exit 1; }
tmp="$(mktemp)"
awk -v marker="$marker" -v repl="$links$loader" '{ i = index($0, marker); if (i) { $0 = substr($0, 1, i - 1) repl substr($0, i + length(marker)) } print }' "$index" >"$tmp"
mv "$tmp" "$index"

# The service worker's precache list and version (after the files are final).
cargo run -q -p backends --bin pwa-assets -- precache "$staging"
