// Size report of what a script-tag user downloads: the stub, the loader bundle (loader + facade + glue) and the
// wasm module. Prints each file raw, gzip -9 and brotli -q 11, then `total: R raw, G gzip, B brotli`.
// With --budget-gzip N it exits 1 when the gzip total exceeds N bytes; --dist DIR reports another build.
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync, brotliCompressSync, constants } from 'node:zlib';

const distAt = process.argv.indexOf('--dist');
const dist = distAt >= 0 ? process.argv[distAt + 1] : join(dirname(fileURLToPath(import.meta.url)), 'dist');
const files = ['wayline-stub.js', 'wayline.js', 'wayline_bg.wasm'];
const args = process.argv.slice(2);
const budgetAt = args.indexOf('--budget-gzip');
const budget = budgetAt >= 0 ? Number(args[budgetAt + 1]) : null;

let raw = 0, gz = 0, br = 0;
const pad = (s, n) => String(s).padStart(n);
console.log(`${'file'.padEnd(20)} ${pad('raw', 8)} ${pad('gzip', 8)} ${pad('brotli', 8)}`);
for (const f of files) {
  const data = readFileSync(join(dist, f));
  const g = gzipSync(data, { level: 9 }).length;
  const b = brotliCompressSync(data, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: data.length },
  }).length;
  raw += data.length; gz += g; br += b;
  console.log(`${f.padEnd(20)} ${pad(data.length, 8)} ${pad(g, 8)} ${pad(b, 8)}`);
}
console.log(`total: ${raw} raw, ${gz} gzip, ${br} brotli`);
if (budget !== null) {
  if (!(gz <= budget)) {
    console.error(`size budget exceeded: ${gz} bytes gzip > ${budget}`);
    process.exit(1);
  }
  console.log(`size budget ok: ${gz} bytes gzip <= ${budget}`);
}
