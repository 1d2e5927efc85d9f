// Shortens the names by which the main module imports the JS glue's
// functions (scripts/wasm-bundle.sh, release builds only).
//
// wasm-bindgen names each import `__wbg_<name>_<16 hex digits>` and lists it
// twice: in the wasm's import section and as a key of the glue's import
// object. The hex digits are random to a compressor: about 330 imports cost
// some 5 KB of the first load (brotli) for names no one reads. This script
// renames every import of the glue module (`./<name>_bg.js`) to a short name
// (`a`, `b`, …, `aa`, …) in both files and the module itself to `w`.
// Imports of other modules (the chunk loader `./__wasm_split.js`) keep their
// names.
//
// It refuses (exit 1, files untouched) unless every renamed name occurs
// exactly once in the glue, as a key (`name:`), and the glue names the module
// exactly once (`"./<name>_bg.js":`): a wasm-bindgen update that changes the
// glue's shape must fail the build, not ship a module that cannot start.
//
// usage: node scripts/wasm-imports.mjs <main .wasm> <glue .js>
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';

const [wasmPath, jsPath] = process.argv.slice(2);
if (!wasmPath || !jsPath) {
  console.error('usage: wasm-imports.mjs <main .wasm> <glue .js>');
  process.exit(2);
}
const glueModule = `./${basename(wasmPath, '.wasm')}.js`;
const newModule = 'w';

function fail(msg) {
  console.error(`wasm-imports: ${msg}`);
  process.exit(1);
}

/** Reads an unsigned LEB128 at `at`: [value, next offset]. */
function leb(buf, at) {
  let value = 0;
  let shift = 0;
  for (;;) {
    if (at >= buf.length) fail('truncated LEB128');
    const byte = buf[at++];
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if (byte < 0x80) return [value, at];
  }
}

function encodeLeb(value) {
  const out = [];
  do {
    let byte = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) byte |= 0x80;
    out.push(byte);
  } while (value > 0);
  return Buffer.from(out);
}

function encodeName(name) {
  const bytes = Buffer.from(name, 'utf8');
  return Buffer.concat([encodeLeb(bytes.length), bytes]);
}

/** Skips an import's descriptor (the bytes after its two names). */
function skipDesc(buf, at) {
  const kind = buf[at++];
  const limits = (p) => {
    const flags = buf[p++];
    [, p] = leb(buf, p);
    if (flags & 1) [, p] = leb(buf, p);
    return p;
  };
  switch (kind) {
    case 0: // function: type index
      return leb(buf, at)[1];
    case 1: // table: reference type, limits
      return limits(at + 1);
    case 2: // memory: limits
      return limits(at);
    case 3: // global: value type, mutability
      return at + 2;
    case 4: // tag: attribute, type index
      return leb(buf, at + 1)[1];
    default:
      return fail(`unknown import kind ${kind}`);
  }
}

/** `a` … `z`, `A` … `Z`, then two letters and more. */
function shortName(i) {
  const letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
  let name = '';
  let n = i;
  do {
    name = letters[n % letters.length] + name;
    n = Math.floor(n / letters.length) - 1;
  } while (n >= 0);
  return name;
}

const wasm = readFileSync(wasmPath);
let js = readFileSync(jsPath, 'utf8');
if (wasm.readUInt32LE(0) !== 0x6d736100) fail(`${wasmPath} is not a wasm module`);

const parts = [wasm.subarray(0, 8)];
const renames = new Map();
let at = 8;
while (at < wasm.length) {
  const start = at;
  const id = wasm[at++];
  let size;
  [size, at] = leb(wasm, at);
  const end = at + size;
  if (id !== 2) {
    parts.push(wasm.subarray(start, end));
    at = end;
    continue;
  }
  let count;
  [count, at] = leb(wasm, at);
  const entries = [encodeLeb(count)];
  for (let i = 0; i < count; i++) {
    let len;
    [len, at] = leb(wasm, at);
    const module = wasm.subarray(at, at + len).toString('utf8');
    at += len;
    [len, at] = leb(wasm, at);
    const name = wasm.subarray(at, at + len).toString('utf8');
    at += len;
    const descStart = at;
    at = skipDesc(wasm, at);
    const desc = wasm.subarray(descStart, at);
    if (module === glueModule) {
      if (renames.has(name)) fail(`${name} is imported twice`);
      const short = shortName(renames.size);
      renames.set(name, short);
      entries.push(encodeName(newModule), encodeName(short), desc);
    } else {
      entries.push(encodeName(module), encodeName(name), desc);
    }
  }
  if (at !== end) fail('the import section does not end where its size says');
  const body = Buffer.concat(entries);
  parts.push(Buffer.from([2]), encodeLeb(body.length), body);
}

if (renames.size === 0) fail(`${wasmPath} imports nothing from ${glueModule}`);
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const moduleKey = new RegExp(`"${escape(glueModule)}":`, 'g');
if ((js.match(moduleKey) ?? []).length !== 1) fail(`the glue does not name "${glueModule}" exactly once`);
js = js.replace(moduleKey, `${newModule}:`);
for (const [name, short] of renames) {
  // A key is preceded by `{` or `,` and followed by `:`.
  const key = new RegExp(`([{,])${escape(name)}:`, 'g');
  const found = js.match(key) ?? [];
  if (found.length !== 1) fail(`the glue has ${found.length} keys ${name} (expected 1)`);
  const anywhere = new RegExp(`(?<![\\w$])${escape(name)}(?![\\w$])`, 'g');
  if ((js.match(anywhere) ?? []).length !== 1) fail(`the glue names ${name} outside its import object`);
  js = js.replace(key, `$1${short}:`);
}

writeFileSync(wasmPath, Buffer.concat(parts));
writeFileSync(jsPath, js);
console.error(`wasm-imports: ${renames.size} imports of ${glueModule} renamed`);
