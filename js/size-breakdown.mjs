// Where the shipped wasm's bytes go, by source module: re-optimises a build's wasm-bindgen output exactly as
// scripts/build-sdk.sh does (after js/dead-table-entries.mjs, which rewrites that output in place) but keeping
// function names (`wasm-opt -g`), then sums each function body's size by the Rust module that owns it
// (`wayline::core::rules`, `wayline::web::sdk`, `alloc::vec`, …) and prints the largest groups, plus data segments
// and the other sections. Functions inlined into others count where they ended up.
//   node js/size-breakdown.mjs [--pkg target/wasm-pkg-segments] [--top 40] [--functions]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importedFunctions, reader, sections } from './wasm-read.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : fallback;
};
const pkg = option('--pkg', 'target/wasm-pkg-segments');
const top = Number(option('--top', '40'));
const listFunctions = args.includes('--functions');

// The same passes and features as scripts/build-sdk.sh, plus -g to keep the name section.
const dir = mkdtempSync(join(tmpdir(), 'wayline-size-'));
const named = join(dir, 'named.wasm');
const features = readFileSync('scripts/wasm-opt-features', 'utf8').trim().split(/\s+/);
execFileSync('node_modules/.bin/wasm-opt', [
  '-Oz', '-g', '--low-memory-unused', '--flatten', '--rereloop', '-Oz', '-Oz', ...features,
  join(pkg, 'wayline_bg.wasm'), '-o', named,
]);
const bytes = readFileSync(named);
rmSync(dir, { recursive: true, force: true });

const sizes = new Map();
let imported = 0;
const bodySizes = [];
const names = new Map();
const dataSizes = [];
for (const { id, payload } of sections(bytes)) {
  const r = reader(payload);
  if (id === 2) {
    imported = importedFunctions(payload);
  } else if (id === 10) {
    for (let i = r.leb(); i > 0; i--) {
      const n = r.leb();
      bodySizes.push(n);
      r.pos += n;
    }
  } else if (id === 11) {
    for (let i = r.leb(); i > 0; i--) {
      const start = r.pos;
      const flags = r.leb();
      if (flags === 2) r.leb();
      if (flags !== 1) while (r.byte() !== 0x0b);
      const n = r.leb();
      r.pos += n;
      dataSizes.push(r.pos - start);
    }
  } else if (id === 0) {
    const section = r.name();
    if (section === 'name') {
      while (r.pos < payload.length) {
        const sub = r.byte();
        const subEnd = r.leb() + r.pos;
        if (sub === 1) {
          for (let i = r.leb(); i > 0; i--) {
            const index = r.leb();
            names.set(index, r.name());
          }
        }
        r.pos = subEnd;
      }
    }
    sizes.set('custom ' + section, payload.length);
  }
  if (id !== 0) sizes.set(id, payload.length);
}

// `<wayline[hash]::core::rules::eval::Evaluator>::cond` → `wayline::core::rules`; std paths keep two segments.
function owner(fn) {
  const plain = fn.replace(/\[[0-9a-f]+\]/g, '');
  const ours = plain.match(/wayline::((?:web|core)::\w+)/);
  if (ours) return 'wayline::' + ours[1];
  const path = plain.match(/^<*&?(?:mut )?(\w+)::(\w+)/);
  return path ? path[1] + '::' + path[2] : plain.slice(0, 40);
}

const groups = new Map();
const functions = [];
bodySizes.forEach((size, i) => {
  const fn = names.get(imported + i) || '(unnamed)';
  functions.push([size, fn.replace(/\[[0-9a-f]+\]/g, '')]);
  const g = owner(fn);
  const entry = groups.get(g) || { size: 0, count: 0 };
  entry.size += size;
  entry.count += 1;
  groups.set(g, entry);
});

const code = bodySizes.reduce((a, b) => a + b, 0);
const data = dataSizes.reduce((a, b) => a + b, 0);
console.log(`${pkg}: code ${code} B in ${bodySizes.length} functions, data ${data} B, imports section ${sizes.get(2) || 0} B`);
console.log(`${'bytes'.padStart(7)} ${'fns'.padStart(4)}  module`);
for (const [g, { size, count }] of [...groups].sort((a, b) => b[1].size - a[1].size).slice(0, top)) {
  console.log(`${String(size).padStart(7)} ${String(count).padStart(4)}  ${g}`);
}
if (listFunctions) {
  console.log('\nlargest functions:');
  for (const [size, fn] of functions.sort((a, b) => b[0] - a[0]).slice(0, top)) {
    console.log(`${String(size).padStart(7)}  ${fn.slice(0, 160)}`);
  }
}
