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

let before = 0;
let after = 0;
for (const file of process.argv.slice(2)) {
  const input = readFileSync(file);
  const module = binaryen.readBinary(input);
  module.setFeatures(features);
  module.optimize();
  const output = module.emitBinary();
  module.dispose();
  writeFileSync(file, output);
  before += input.length;
  after += output.length;
}
console.log(`wasm-opt-all: ${process.argv.length - 2} modules, ${before} -> ${after} bytes`);
