// Patches the splitter's chunk loader (`__wasm_split.js`, wasm-split-cli)
// in place; run by scripts/wasm-bundle.sh before terser.
//
// Every wasm file the loader fetches starts a request on the main thread,
// and the loader starts all files of a part at once, in the task that needs
// the part: a form step's 118 files took 650 ms of one task at Lighthouse's
// 4× CPU slowdown (docs/performance.md, "Requests in small tasks"). The
// patched loader
//   * takes the response that routes.js started for a deep link
//     (`self.__wasmChunks`, scripts/route-chunks.mjs), each once, so the
//     file is not requested twice;
//   * starts every other request in small batches, one task each (a
//     MessageChannel message: no timer clamping), so navigating to a large
//     part does not block the page either.
//
// usage: node scripts/wasm-loader.mjs <__wasm_split.js> <files per task>
import { readFileSync, writeFileSync } from 'node:fs';

const [file, perTask] = process.argv.slice(2);
const batch = Number(perTask);
if (!file || !(batch >= 1)) {
  console.error('usage: wasm-loader.mjs <__wasm_split.js> <files per task>');
  process.exit(2);
}
const js = readFileSync(file, 'utf8');
const call = /\bfetch\(new URL\("(\.\/[\w.]+\.wasm)", import\.meta\.url\)\)/g;
const calls = js.match(call)?.length ?? 0;
const fetches = js.match(/\bfetch\(/g)?.length ?? 0;
if (calls === 0 || calls !== fetches) {
  // The splitter's output changed: better no build than a loader that
  // fetches some files the old way.
  console.error(`wasm-loader: ${fetches} fetch calls, ${calls} of the expected form in ${file}`);
  process.exit(1);
}
const helper = `
// Added by scripts/wasm-loader.mjs: requests in batches of ${batch}, one task each.
const chunkQueue = [];
const chunkTasks = new MessageChannel();
chunkTasks.port1.onmessage = () => {
    for (const start of chunkQueue.splice(0, ${batch})) start();
    if (chunkQueue.length > 0) chunkTasks.port2.postMessage(0);
};
function chunkFetch(url) {
    const early = self.__wasmChunks;
    const response = early && early[url.href];
    if (response) {
        delete early[url.href];
        return response;
    }
    return new Promise((resolve) => {
        if (chunkQueue.push(() => resolve(fetch(url))) === 1) chunkTasks.port2.postMessage(0);
    });
}
`;
const lines = js.replace(call, 'chunkFetch(new URL("$1", import.meta.url))').split('\n');
const at = lines.findIndex((l) => l.startsWith('import '));
if (at < 0) {
  console.error(`wasm-loader: no import line in ${file}`);
  process.exit(1);
}
lines.splice(at + 1, 0, helper);
writeFileSync(file, lines.join('\n'));
console.error(`wasm-loader: ${calls} requests in batches of ${batch}`);
