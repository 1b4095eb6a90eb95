// Points the function-table entries that nothing calls at one `unreachable` stub, so that wasm-opt drops the
// functions behind them (about 480 B gzip of the segments build, 380 B of js/dist). Rewrites the wasm-bindgen
// output in place:
//   node js/dead-table-entries.mjs target/wasm-pkg-segments/wayline_bg.wasm
//
// js-sys and web-sys describe every binding they have to wasm-bindgen, used or not, and a binding that takes a
// closure names the closure's invoke shim by its function-table index. wasm-bindgen then drops the descriptions
// but keeps the whole table, and wasm-opt cannot drop a function that is in the table. So the module carried the
// invoke shim of every closure signature some binding takes (`Float64Array.forEach`, `Array.find`, …), and the
// waker of js-sys's futures, which nothing here creates.
//
// Which entries are dead (by the names wasm-bindgen's name section gives them):
// - `wasm_bindgen::convert::closures::_::invoke::<…>`: wasm-bindgen 0.2.130 (pinned in Cargo.toml) has the glue
//   call the shim of a closure the SDK creates through an export of its own (`makeMutClosure(…, wasm.<export>)`),
//   never through the table; the table is not exported, so nothing else can index it.
// - `js_sys::futures::…`: the SDK has no futures; the waker's vtable is referenced only by the waker's own clone.
// The build fails if the table is exported or imported, where the page could reach any entry. An entry called
// after all would trap rather than run something else.
import binaryen from 'binaryen';
import { readFileSync, writeFileSync } from 'node:fs';

const file = process.argv[2];
if (!file) {
  console.error('usage: node js/dead-table-entries.mjs WASM');
  process.exit(2);
}
const DEAD = /^(wasm_bindgen\[[0-9a-f]+\]::convert::closures::_::invoke::<|js_sys\[[0-9a-f]+\]::futures::)/;

const fail = (message) => {
  console.error(`dead-table-entries: ${message}`);
  process.exit(1);
};
const bytes = readFileSync(file);
// Only the glue's table of JS values may be shared: the page could index any other.
const compiled = new WebAssembly.Module(bytes);
for (const entry of [...WebAssembly.Module.exports(compiled), ...WebAssembly.Module.imports(compiled)]) {
  if (entry.kind === 'table' && entry.name !== '__wbindgen_externrefs') fail(`the module shares table ${entry.name}`);
}
// The build's wasm-opt features (scripts/wasm-opt-features), as binaryen.js spells them; with others the module
// reads differently (its types, for one) and optimises to other bytes.
const FEATURES = {
  'bulk-memory': binaryen.Features.BulkMemory | binaryen.Features.BulkMemoryOpt,
  'nontrapping-float-to-int': binaryen.Features.NontrappingFPToInt,
  'sign-ext': binaryen.Features.SignExt,
  'mutable-globals': binaryen.Features.MutableGlobals,
  'reference-types': binaryen.Features.ReferenceTypes | binaryen.Features.CallIndirectOverlong,
  multivalue: binaryen.Features.Multivalue,
};
let features = binaryen.Features.MVP;
for (const flag of readFileSync(new URL('../scripts/wasm-opt-features', import.meta.url), 'utf8').trim().split(/\s+/)) {
  const feature = FEATURES[flag.replace(/^--enable-/, '')];
  if (feature === undefined) fail(`unknown feature flag ${flag}`);
  features |= feature;
}
// Keep the name section: js/size-breakdown.mjs reads it, and the build's wasm-opt strips it.
binaryen.setDebugInfo(true);
const mod = binaryen.readBinary(bytes, features);
const stub = 'wayline_dead_table_entry';
let stubbed = 0;
for (let i = mod.getNumElementSegments() - 1; i >= 0; i--) {
  const info = binaryen.getElementSegmentInfo(mod.getElementSegmentByIndex(i));
  if (info.isPassive || !info.data.some((name) => DEAD.test(name))) continue;
  if (!stubbed) mod.addFunction(stub, binaryen.none, binaryen.none, [], mod.unreachable());
  const data = info.data.map((name) => {
    if (!DEAD.test(name)) return name;
    stubbed++;
    return stub;
  });
  // The same segment with the same offset expression, its dead entries replaced.
  const offset = binaryen.getExpressionInfo(info.offset);
  if (offset.id !== binaryen.ConstId) fail(`element segment ${info.name} has a computed offset`);
  mod.removeElementSegment(info.name);
  mod.addActiveElementSegment(info.table, info.name, data, mod.i32.const(offset.value));
}
// None at all means the names are missing (no name section) or wasm-bindgen's shims are named otherwise.
if (!stubbed) fail('no dead entries found: check the names this script looks for');
if (!mod.validate()) fail('the rewritten module does not validate');
writeFileSync(file, mod.emitBinary());
mod.dispose();
console.log(`dead-table-entries: ${stubbed} entries point at an unreachable stub`);
