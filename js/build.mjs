// Assembles js/dist (or the directory given third) from the wasm-bindgen output directory given first:
//   glue.js + wayline_bg.wasm (the optimised module), the npm entry (index.js, facade.js, index.d.ts), the config's
//   JSON Schema (config.schema.json),
//   wayline.js (script-tag loader, bundled and minified) and wayline-stub.js (minified stub).
import { build, transform } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
writeFileSync(join(dist, 'glue.js'), trimGlue(renameWasmNames(glue, join(pkg, 'names.json'))));
copyFileSync(wasm, join(dist, 'wayline_bg.wasm'));
for (const f of ['facade.js', 'index.js', 'index.d.ts', 'loader.js', 'config.schema.json']) {
  copyFileSync(join(src, f), join(dist, f));
}

const target = ['es2020'];

// wasm-opt shortens the module's import and export names and renames the import module to `a`
// (`--minify-imports-and-exports-and-modules`; hash-suffixed names are incompressible, about 1.2 KB gzip of the
// wasm and more of the glue) and writes what it renamed to names.json. The glue is the only code that uses those
// names: as the keys of its import object and as `wasm.NAME` for exports. Every name in the map must be found
// exactly where expected, or the build fails rather than ship a glue that cannot link.
function renameWasmNames(code, mapFile) {
  if (!existsSync(mapFile)) return code;
  const map = JSON.parse(readFileSync(mapFile, 'utf8'));
  const modules = new Set(map.imports.map(([module]) => module));
  const linked = new Set(WebAssembly.Module.imports(new WebAssembly.Module(readFileSync(wasm))).map((i) => i.module));
  if (modules.size && (linked.size !== 1 || !linked.has('a'))) fail('the optimised module imports from other than `a`');
  for (const module of modules) {
    const key = new RegExp(`^(\\s+)"${module.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}": import0,`, 'm');
    if (modules.size !== 1 || !key.test(code)) fail(`import module ${module} is not the glue's one import object`);
    code = code.replace(key, '$1a: import0,');
  }
  for (const [, from, to] of map.imports) {
    const key = new RegExp(`^(\\s+)${from}: function\\(`, 'm');
    if (!key.test(code)) fail(`import ${from} is not a key of the glue's import object`);
    code = code.replace(key, `$1${to}: function(`);
  }
  const exported = new Set();
  for (const [from, to] of map.exports) {
    code = code.replace(new RegExp(`\\bwasm\\.${from}\\b`, 'g'), `wasm.${to}`);
    exported.add(to);
  }
  // Not every export is used by the glue, but every export the glue uses must now have its new name.
  for (const [, name] of code.matchAll(/\bwasm\.([\w$]+)/g)) {
    if (!exported.has(name)) fail(`the glue uses wasm.${name}, which the module no longer exports`);
  }
  return code;
}

// The glue's init accepts a module, bytes, a path, a request or a response, and warns about an older calling
// convention; the SDK always calls it with no argument (the wasm file next to the glue), so those paths are
// dropped (about 150 B gzip of the script), as is a way of passing strings that the glue never uses (every call
// passes `realloc`). The fallbacks for a missing `TextEncoder.encodeInto` or `FinalizationRegistry` go too (about
// 80 B gzip): the module uses bulk memory, non-trapping float-to-int conversions and multi-value, so only browsers
// that have both can run it (Chrome 85, Firefox 79, Safari 15); and what the module is instantiated from is always a
// `Response`. Each piece must be found exactly once, or the build fails.
function trimGlue(code) {
  const pieces = [
    [
      'TextEncoder.encodeInto fallback',
      `if (!('encodeInto' in cachedTextEncoder)) {
    cachedTextEncoder.encodeInto = function (arg, view) {
        const buf = cachedTextEncoder.encode(arg);
        view.set(buf);
        return {
            read: arg.length,
            written: buf.length
        };
    };
}
`,
      '',
    ],
    [
      'FinalizationRegistry fallback',
      `const CLOSURE_DTORS = (typeof FinalizationRegistry === 'undefined')
    ? { register: () => {}, unregister: () => {} }
    : new FinalizationRegistry(`,
      `const CLOSURE_DTORS = new FinalizationRegistry(`,
    ],
    [
      // The script-tag stub hands over the module it compiled as it streamed in (js/src/stub.js); the npm entry,
      // and the stub in a browser without \`compileStreaming\`, a response.
      'check that the module comes as a response',
      `    if (typeof Response === 'function' && module instanceof Response) {
`,
      `    if (module instanceof WebAssembly.Module) return { instance: await WebAssembly.instantiate(module, imports), module };
    {
`,
    ],
    [
      'handling of init arguments',
      `async function __wbg_init_once(module_or_path) {

    if (module_or_path !== undefined) {
        if (Object.getPrototypeOf(module_or_path) === Object.prototype) {
            ({module_or_path} = module_or_path)
        } else {
            console.warn('using deprecated parameters for the initialization function; pass a single object instead')
        }
    }

    if (module_or_path === undefined) {
        module_or_path = new URL('./wayline_bg.wasm', import.meta.url);
    }
    const imports = __wbg_get_imports();

    if (typeof module_or_path === 'string' || (typeof Request === 'function' && module_or_path instanceof Request) || (typeof URL === 'function' && module_or_path instanceof URL)) {
        module_or_path = fetch(module_or_path);
    }
`,
      `async function __wbg_init_once(early) {
    const imports = __wbg_get_imports();
    const module_or_path = early || fetch(new URL('./wayline_bg.wasm', import.meta.url));
`,
    ],
    [
      'instantiation of what is not a response',
      `    } else {
        const instance = await WebAssembly.instantiate(module, imports);

        if (instance instanceof WebAssembly.Instance) {
            return { instance, module };
        } else {
            return instance;
        }
    }
`,
      `    }
`,
    ],
    [
      'string passing without realloc',
      `    if (realloc === undefined) {
        const buf = cachedTextEncoder.encode(arg);
        const ptr = malloc(buf.length, 1) >>> 0;
        getUint8ArrayMemory0().subarray(ptr, ptr + buf.length).set(buf);
        WASM_VECTOR_LEN = buf.length;
        return ptr;
    }
`,
      '',
    ],
  ];
  for (const [what, from, to] of pieces) {
    if (code.split(from).length !== 2) fail(`the glue's ${what} is not as expected (see trimGlue)`);
    code = code.replace(from, () => to);
  }
  return code;
}

function fail(message) {
  console.error('build: ' + message);
  process.exit(1);
}
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
