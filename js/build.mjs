// Assembles js/dist (or the directory given third) from the wasm-bindgen output directory given first:
//   glue.js + wayline_bg.wasm (the optimised module), the npm entry (index.js, facade.js, index.d.ts),
//   wayline.js (script-tag loader, bundled and minified) and wayline-stub.js (minified stub).
import { build, transform } from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const pkg = process.argv[2];
const wasm = process.argv[3] || join(pkg, 'wayline_bg.wasm');
const out = process.argv[4];
if (!pkg) {
  console.error('usage: node js/build.mjs WASM_BINDGEN_OUT_DIR [OPTIMISED_WASM] [OUT_DIR]');
  process.exit(2);
}
const src = join(here, 'src');
const dist = out || join(here, 'dist');
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });

// Bundlers only rewrite `new URL('./x', import.meta.url)` with an explicit relative path.
const glue = readFileSync(join(pkg, 'wayline.js'), 'utf8').replaceAll(
  "new URL('wayline_bg.wasm', import.meta.url)",
  "new URL('./wayline_bg.wasm', import.meta.url)",
);
if (!glue.includes("new URL('./wayline_bg.wasm', import.meta.url)")) {
  console.error('build: the wasm-bindgen glue no longer locates the wasm file the expected way');
  process.exit(1);
}
writeFileSync(join(dist, 'glue.js'), glue);
copyFileSync(wasm, join(dist, 'wayline_bg.wasm'));
for (const f of ['facade.js', 'index.js', 'index.d.ts', 'loader.js']) copyFileSync(join(src, f), join(dist, f));

const target = ['es2020'];
await build({
  entryPoints: [join(dist, 'loader.js')],
  bundle: true,
  minify: true,
  format: 'esm',
  target,
  outfile: join(dist, 'wayline.js'),
  logLevel: 'warning',
});
rmSync(join(dist, 'loader.js'));
const stub = await transform(readFileSync(join(src, 'stub.js'), 'utf8'), { minify: true, target: 'es2015' });
writeFileSync(join(dist, 'wayline-stub.js'), stub.code);
console.log('built ' + dist);
