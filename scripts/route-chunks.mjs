// Which wasm files each route of the split bundle needs (scripts/wasm-bundle.sh).
//
// Reads the routes from src/app.rs (`path!(…)` with `view={Page::X}`, nested
// under `ParentRoute`), the wasm module of each route from
// src/pages/lazy.rs (`X => module::split_fn: …`; several routes share a
// module) and the files each module loads from the splitter's loader
// (`__wasm_split.js`: the split module and the shared chunks it waits for). Writes, into the build's app
// directory:
//   routes.js   a classic script: for the page's own path, it fetches its
//               route's wasm files, so a deep link loads them while the main
//               module loads (index.html loads it on every path but
//               `/`; the start page needs no chunk);
// and prints a JSON object for the service worker (scripts/wasm-bundle.sh puts
// it into sw.js): { routes: { pattern: [file, …] }, sendPath: [file, …] },
// `sendPath` being every file of the application pages (`/antrag/…`).
//
// usage: node scripts/route-chunks.mjs <root> <app dir (absolute)> <requests per task>
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [root, appDir, perTask] = process.argv.slice(2);
/** Requests started per task by routes.js (the chunk loader's too: scripts/wasm-bundle.sh). */
const BATCH = Number(perTask);
if (!root || !appDir || !(BATCH >= 1)) {
  console.error('usage: route-chunks.mjs <root> <app dir> <requests per task>');
  process.exit(2);
}

/** Route pattern → split module names, parents' first. */
function routes(appRs, lazyRs) {
  const split = new Map();
  for (const m of lazyRs.matchAll(/^\s*(\w+)\s*=>\s*(\w+)\s*::\s*\w+\s*:/gm)) split.set(m[1], m[2]);
  if (split.size === 0) throw new Error('route-chunks: no `X => module::split_fn:` line in src/pages/lazy.rs');
  const out = new Map();
  const parents = []; // [{ prefix, splits }]
  for (const line of appRs.split('\n')) {
    if (/<\/ParentRoute>/.test(line)) {
      parents.pop();
      continue;
    }
    const m = line.match(/<(ParentRoute|Route)\s+path=path!\("([^"]*)"\)\s+view=\{Page::(\w+)\}/);
    const plain = line.match(/<(ParentRoute|Route)\s+path=path!\("([^"]*)"\)/);
    if (!plain) continue;
    const parent = parents[parents.length - 1];
    const base = parent ? parent.prefix : '';
    const seg = plain[2];
    const path = seg === '' ? base : base && !seg.startsWith('/') ? `${base}/${seg}` : seg;
    const own = m ? split.get(m[3]) : undefined;
    if (m && !own) throw new Error(`src/pages/lazy.rs has no split module for ${m[3]}`);
    const splits = [...(parent ? parent.splits : []), ...(own ? [own] : [])];
    if (plain[1] === 'ParentRoute') parents.push({ prefix: path, splits });
    else if (splits.length) out.set(path, splits);
  }
  return out;
}

/** Loader name → { file, deps } from the splitter's loader. */
function loaders(js) {
  const out = new Map();
  const re = /(?:const (__chunk_\d+)|export const __wasm_split_load_(\w+))=(?:wrapAsyncCb\()?makeLoad\(\(\(\)=>\{const \w+=(?:fetch|chunkFetch)\(new URL\("\.\/([\w.]+)",import\.meta\.url\)\)[\s\S]*?\}\),\[([^\]]*)\]\)/g;
  for (const m of js.matchAll(re)) {
    const deps = m[4].split(',').map((d) => d.trim()).filter(Boolean);
    out.set(m[1] ?? m[2], { file: m[3], deps });
  }
  return out;
}

/** Every file a split module needs: the module and its chunks, recursively. */
function files(name, loads, seen = new Set()) {
  const l = loads.get(name);
  if (!l) throw new Error(`__wasm_split.js has no loader for ${name}`);
  if (!seen.has(l.file)) {
    seen.add(l.file);
    for (const d of l.deps) files(d, loads, seen);
  }
  return seen;
}

const loaderJs = join(appDir, '__wasm_split.js');
const result = { routes: {}, sendPath: [] };
if (existsSync(loaderJs)) {
  const table = routes(readFileSync(join(root, 'src/app.rs'), 'utf8'), readFileSync(join(root, 'src/pages/lazy.rs'), 'utf8'));
  if (!table.has('/suche')) throw new Error('route-chunks: no /suche route found in src/app.rs');
  const loads = loaders(readFileSync(loaderJs, 'utf8'));
  const send = new Set();
  for (const [path, splits] of table) {
    const set = new Set();
    for (const s of splits) files(s, loads, set);
    const sorted = [...set].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
    result.routes[path] = sorted;
    if (path.startsWith('/antrag/')) sorted.forEach((f) => send.add(f));
  }
  result.sendPath = [...send].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));

  // routes.js: compact (a route's files as one string: `search` stands
  // for split_search.wasm, a number for chunk_<n>.wasm). The requests start
  // BATCH at a time, one task each (a MessageChannel message): every request
  // costs the main thread, and a form step's 118 preload links in one task
  // took 650 ms at Lighthouse's 4× CPU slowdown, the largest part of the
  // page's blocking time (docs/performance.md, "Requests in small tasks").
  // Each response waits in `self.__wasmChunks` under its URL until the
  // chunk loader takes it (scripts/wasm-loader.mjs), so nothing is fetched
  // twice.
  const short = (f) => f.replace(/^chunk_(\d+)\.wasm$/, '$1').replace(/^split_(\w+)\.wasm$/, '$1');
  const map = Object.fromEntries(Object.entries(result.routes).map(([p, fs]) => [p, fs.map(short).join(' ')]));
  const script = `(function(){var m=${JSON.stringify(map)},p=location.pathname.replace(/\\/+$/,"").split("/"),src=document.currentScript.src;
for(var k in m){var s=k.split("/"),ok=s.length===p.length;for(var i=0;ok&&i<s.length;i++)ok=s[i]===p[i]||s[i].charAt(0)===":"&&p[i]!=="";
if(ok){var q=[],w=self.__wasmChunks={},c=new MessageChannel;
m[k].split(" ").forEach(function(f){var u=new URL((/^\\d+$/.test(f)?"chunk_"+f:"split_"+f)+".wasm",src).href;
w[u]=new Promise(function(r){q.push(function(){r(fetch(u))})});w[u].catch(function(){})});
c.port1.onmessage=function(){q.splice(0,${BATCH}).forEach(function(g){g()});if(q.length)c.port2.postMessage(0)};c.port2.postMessage(0);return}}})();
`;
  writeFileSync(join(appDir, 'routes.js'), script);
}
process.stdout.write(JSON.stringify(result));
