// wasm-opt -Oz for every module of the split bundle in one process
// (scripts/wasm-bundle.sh). The npm binaryen's `wasm-opt` command starts a
// fresh Node for each file, about 1.5 s each; a split build has ~290 files.
// Same optimiser (binaryen's own passes at -Oz), names and producers stripped.
//
// usage: node scripts/wasm-opt-all.mjs <file.wasm>...
import binaryen from "binaryen";
import { readFileSync, writeFileSync } from "node:fs";

const F = binaryen.Features;
// What rustc's wasm32-unknown-unknown target emits (and browsers support).
// (binaryen splits bulk memory and reference types into two flags each.)
const features =
  F.MVP |
  F.BulkMemory |
  F.BulkMemoryOpt |
  F.NontrappingFPToInt |
  F.SignExt |
  F.MutableGlobals |
  F.ReferenceTypes |
  F.CallIndirectOverlong |
  F.Multivalue;

binaryen.setOptimizeLevel(2);
binaryen.setShrinkLevel(2); // -Oz
binaryen.setDebugInfo(false); // drop the name section

/** Reads an unsigned LEB128 at `at`: [value, next offset]. */
function leb(bytes, at) {
  let value = 0;
  let shift = 0;
  for (;;) {
    const b = bytes[at++];
    value += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if (b < 0x80) return [value, at];
  }
}

/**
 * The module without its custom `name` section. The splitter's chunks carry
 * name subsections binaryen does not know (it printed one warning per chunk,
 * ~290 lines a build); the names are dropped anyway (setDebugInfo(false)).
 */
function withoutNames(bytes) {
  const keep = [bytes.subarray(0, 8)]; // magic and version
  let at = 8;
  while (at < bytes.length) {
    const start = at;
    const id = bytes[at];
    const [size, body] = leb(bytes, at + 1);
    at = body + size;
    if (id === 0) {
      const [len, name] = leb(bytes, body);
      if (new TextDecoder().decode(bytes.subarray(name, name + len)) === "name") continue;
    }
    keep.push(bytes.subarray(start, at));
  }
  return Buffer.concat(keep);
}

let before = 0;
let after = 0;
for (const file of process.argv.slice(2)) {
  const input = readFileSync(file);
  const module = binaryen.readBinary(withoutNames(input));
  module.setFeatures(features);
  module.optimize();
  const output = module.emitBinary();
  module.dispose();
  writeFileSync(file, output);
  before += input.length;
  after += output.length;
}
console.log(`wasm-opt-all: ${process.argv.length - 2} modules, ${before} -> ${after} bytes`);
