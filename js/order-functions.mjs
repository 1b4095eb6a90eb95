// Puts the optimised module's functions in the order that gzip compresses best, of a few candidates, rewriting the
// module in place:
//   node js/order-functions.mjs target/wasm-pkg-segments/wayline_bg.opt.wasm
//
// gzip finds repeats only in the 32 KB before the bytes it is coding, and wasm-opt leaves functions in the order the
// compiler emitted them, so two functions with the same shape are often too far apart to share anything. Sorting
// functions by size clusters those of one shape (small accessors and drop glue with small ones, big state machines
// with big ones), and within a band of sizes by their signature and then their locals declaration, which functions
// of one shape share. Which order wins changes with the code, so every candidate, the module's own order among
// them, is tried and the smallest kept (gzip level 9, as js/size-report.mjs measures): the step never makes the
// module bigger. (Measured when it was written: -1.3 KB gzip in the segments build, -450 B in js/dist; `track`
// costs the same, bench/track.mjs.)
//
// The functions are moved here, byte for byte, rather than by wasm-opt (`--reorder-functions-by-name` after naming
// them in the wanted order): reading and writing the module through binaryen once more costs about 250 B gzip by
// itself. Every function index is remapped: calls and `ref.func` in the code and in element segments, exports and
// the start function. A module with anything this step does not know how to read (an instruction, a section with
// function names) fails the build rather than being written wrong, and the result is validated.
import { readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { customName, importedFunctions, reader, sections as sectionsOf } from './wasm-read.mjs';

const file = process.argv[2];
if (!file) {
  console.error('usage: node js/order-functions.mjs WASM');
  process.exit(2);
}
const fail = (message) => {
  console.error(`order-functions: ${message}`);
  process.exit(1);
};

const bytes = readFileSync(file);

function uleb(value) {
  const out = [];
  do {
    let b = value % 128;
    value = Math.floor(value / 128);
    if (value) b |= 0x80;
    out.push(b);
  } while (value);
  return Buffer.from(out);
}

/**
 * Copies one expression (instructions up to the `end` that closes it) from `r`, with every function index
 * replaced by `remap(index)`. Knows the instructions of the build's features (scripts/wasm-opt-features).
 */
function copyExpr(r, remap) {
  const out = [];
  let from = r.pos;
  const flush = (to) => out.push(r.buf.subarray(from, to));
  let depth = 0;
  for (;;) {
    const at = r.pos;
    const op = r.byte();
    if (op === 0x10 || op === 0x12 || op === 0xd2) {
      // call, return_call, ref.func: the function index.
      flush(r.pos);
      out.push(uleb(remap(r.leb())));
      from = r.pos;
    } else if (op === 0x02 || op === 0x03 || op === 0x04) {
      r.skipLeb(); // block type: an empty/value type byte or a type index
      depth++;
    } else if (op === 0x0b) {
      if (depth === 0) break;
      depth--;
    } else if (op === 0x00 || op === 0x01 || op === 0x05 || op === 0x0f || op === 0x1a || op === 0x1b || op === 0xd1) {
      // no immediates
    } else if (op === 0x0c || op === 0x0d || (op >= 0x20 && op <= 0x26) || op === 0x3f || op === 0x40 || op === 0x41 || op === 0x42 || op === 0xd0) {
      r.skipLeb();
    } else if (op === 0x0e) {
      for (let n = r.leb(); n >= 0; n--) r.skipLeb(); // the labels and the default
    } else if (op === 0x11 || op === 0x13) {
      r.skipLeb();
      r.skipLeb();
    } else if (op === 0x1c) {
      for (let n = r.leb(); n > 0; n--) r.skipLeb();
    } else if (op >= 0x28 && op <= 0x3e) {
      const align = r.leb();
      if (align & 0x40) r.skipLeb(); // a memory index
      r.skipLeb();
    } else if (op === 0x43) {
      r.pos += 4;
    } else if (op === 0x44) {
      r.pos += 8;
    } else if (op >= 0x45 && op <= 0xc4) {
      // numeric, including sign extension
    } else if (op === 0xfc) {
      const sub = r.leb();
      if (sub <= 7) {
        // saturating truncation
      } else if (sub === 9 || sub === 11 || sub === 13 || (sub >= 15 && sub <= 17)) {
        r.skipLeb();
      } else if (sub === 8 || sub === 10 || sub === 12 || sub === 14) {
        r.skipLeb();
        r.skipLeb();
      } else {
        fail(`unknown instruction 0xfc ${sub} at byte ${at}`);
      }
    } else {
      fail(`unknown instruction 0x${op.toString(16)} at byte ${at}`);
    }
  }
  flush(r.pos);
  return Buffer.concat(out);
}

// The sections, as they are.
const sections = sectionsOf(bytes);
const section = (id) => sections.find((s) => s.id === id);
for (const s of sections) {
  if (s.id === 0 && customName(s.payload) === 'name') {
    fail('the module has a name section (its function names would need remapping)');
  }
}

let imported = 0;
try {
  imported = section(2) ? importedFunctions(section(2).payload) : 0;
} catch (e) {
  fail(e.message);
}

const types = [];
{
  const r = reader(section(3).payload);
  for (let n = r.leb(); n > 0; n--) types.push(r.leb());
}
const bodies = [];
{
  const r = reader(section(10).payload);
  for (let n = r.leb(); n > 0; n--) {
    const size = r.leb();
    bodies.push(r.buf.subarray(r.pos, r.pos + size));
    r.pos += size;
  }
}
if (bodies.length !== types.length) fail('the function and code sections disagree');

/** The module with its defined functions in `order` (order[k]: the old position of the k-th function). */
function rewrite(order) {
  const position = new Array(order.length);
  order.forEach((old, k) => (position[old] = k));
  const remap = (index) => (index < imported ? index : imported + position[index - imported]);
  const vec = (items) => Buffer.concat([uleb(items.length), ...items]);
  const rebuilt = new Map();
  rebuilt.set(3, vec(order.map((old) => uleb(types[old]))));
  rebuilt.set(
    10,
    vec(
      order.map((old) => {
        const body = bodies[old];
        const r = reader(body);
        for (let n = r.leb(); n > 0; n--) {
          r.skipLeb();
          r.skipLeb();
        }
        const locals = body.subarray(0, r.pos);
        const code = Buffer.concat([locals, copyExpr(r, remap)]);
        if (r.pos !== body.length) fail('a function body has bytes after its end');
        return Buffer.concat([uleb(code.length), code]);
      }),
    ),
  );
  if (section(7)) {
    const r = reader(section(7).payload);
    const out = [];
    for (let n = r.leb(); n > 0; n--) {
      const start = r.pos;
      r.pos = r.leb() + r.pos;
      const kind = r.byte();
      const at = r.pos;
      const index = r.leb();
      out.push(Buffer.concat([section(7).payload.subarray(start, at), uleb(kind === 0 ? remap(index) : index)]));
    }
    rebuilt.set(7, vec(out));
  }
  if (section(8)) rebuilt.set(8, uleb(remap(reader(section(8).payload).leb())));
  if (section(9)) {
    const r = reader(section(9).payload);
    const out = [];
    for (let n = r.leb(); n > 0; n--) {
      const flags = r.leb();
      const parts = [uleb(flags)];
      if (flags & 2 && !(flags & 1)) parts.push(uleb(r.leb())); // a table index
      if (!(flags & 1)) parts.push(copyExpr(r, remap)); // an active segment's offset
      if (flags & 3) parts.push(Buffer.from([r.byte()])); // element kind or reference type
      const count = r.leb();
      parts.push(uleb(count));
      for (let k = 0; k < count; k++) parts.push(flags & 4 ? copyExpr(r, remap) : uleb(remap(r.leb())));
      out.push(Buffer.concat(parts));
    }
    rebuilt.set(9, vec(out));
  }
  const out = [bytes.subarray(0, 8)];
  for (const s of sections) {
    const payload = rebuilt.get(s.id) ?? s.payload;
    out.push(Buffer.from([s.id]), uleb(payload.length), payload);
  }
  return Buffer.concat(out);
}

const original = bodies.map((_, i) => i);
// A check of the reading and writing above on every build: written in its own order, the module is unchanged.
if (!rewrite(original).equals(bytes)) fail('the module written in its own order differs from the module read');
const size = (i) => bodies[i].length;
const head = (i) => bodies[i].subarray(0, 6);
/** Sizes in bands `1 / perDoubling` of a doubling wide; within a band, by signature, then by locals. */
const banded = (perDoubling) => {
  const band = (i) => Math.floor(perDoubling * Math.log2(size(i) + 1));
  return [...original].sort(
    (a, b) => band(a) - band(b) || types[a] - types[b] || Buffer.compare(head(a), head(b)) || a - b,
  );
};
const candidates = {
  'as compiled': original,
  'by size': [...original].sort((a, b) => size(a) - size(b) || a - b),
  'in size bands of a doubling, by signature and locals': banded(1),
  'in size bands of half a doubling, by signature and locals': banded(2),
  'in size bands of two doublings, by signature and locals': banded(0.5),
};
let best = null;
for (const [name, order] of Object.entries(candidates)) {
  const module = rewrite(order);
  const gzip = gzipSync(module, { level: 9 }).length;
  console.log(`order-functions: ${name}: ${gzip} B gzip`);
  if (!best || gzip < best.gzip) best = { name, module, gzip };
}
try {
  new WebAssembly.Module(best.module);
} catch (e) {
  fail(`the reordered module does not validate: ${e.message}`);
}
writeFileSync(file, best.module);
console.log(`order-functions: kept ${best.name}`);
