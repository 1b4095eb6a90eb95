// npm entry. The WebAssembly module is loaded on `init`, from `wayline_bg.wasm` next to this file; bundlers
// (Vite, webpack 5) find it through the `new URL(…, import.meta.url)` in the glue.
import { createWayline } from './facade.js';

export const wayline = createWayline(() =>
  import('./glue.js').then((m) => m.default().then(() => m)),
);

export default wayline;
