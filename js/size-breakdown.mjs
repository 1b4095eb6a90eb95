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

let pos = 8;
function leb() {
  let result = 0, shift = 0, b;
  do {
    b = bytes[pos++];
    result += (b & 0x7f) * 2 ** shift;
    shift += 7;
  } while (b & 0x80);
  return result;
}
function name() {
  const n = leb();
  const s = bytes.toString('utf8', pos, pos + n);
  pos += n;
  return s;
}

const sections = new Map();
let importedFunctions = 0;
const bodySizes = [];
const names = new Map();
const dataSizes = [];
while (pos < bytes.length) {
  const id = bytes[pos++];
  const size = leb();
  const end = pos + size;
  if (id === 2) {
    for (let i = leb(); i > 0; i--) {
      name(); name();
      const kind = bytes[pos++];
      if (kind === 0) { importedFunctions++; leb(); }
      else if (kind === 1) { pos++; const flags = leb(); leb(); if (flags & 1) leb(); }
      else if (kind === 2) { const flags = leb(); leb(); if (flags & 1) leb(); }
      else if (kind === 3) { pos += 2; }
    }
  } else if (id === 10) {
    for (let i = leb(); i > 0; i--) {
      const n = leb();
      bodySizes.push(n);
      pos += n;
    }
  } else if (id === 11) {
    for (let i = leb(); i > 0; i--) {
      const start = pos;
      const flags = leb();
      if (flags === 2) leb();
      if (flags !== 1) while (bytes[pos++] !== 0x0b);
      const n = leb();
      pos += n;
      dataSizes.push(pos - start);
    }
  } else if (id === 0) {
    const section = name();
    if (section === 'name') {
      while (pos < end) {
        const sub = bytes[pos++];
        const subSize = leb();
        const subEnd = pos + subSize;
        if (sub === 1) {
          for (let i = leb(); i > 0; i--) {
            const index = leb();
            names.set(index, name());
          }
        }
        pos = subEnd;
      }
    }
    sections.set('custom ' + section, size);
  }
  if (id !== 0) sections.set(id, size);
  pos = end;
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
  const fn = names.get(importedFunctions + i) || '(unnamed)';
  functions.push([size, fn.replace(/\[[0-9a-f]+\]/g, '')]);
  const g = owner(fn);
  const entry = groups.get(g) || { size: 0, count: 0 };
  entry.size += size;
  entry.count += 1;
  groups.set(g, entry);
});

const code = bodySizes.reduce((a, b) => a + b, 0);
const data = dataSizes.reduce((a, b) => a + b, 0);
console.log(`${pkg}: code ${code} B in ${bodySizes.length} functions, data ${data} B, imports section ${sections.get(2) || 0} B`);
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
