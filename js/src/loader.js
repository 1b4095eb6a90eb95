// Script-tag loader: replaces the stub's queue with the real API, initialises from the stub's data- attributes
// and replays the calls the page made before the SDK arrived, in order.
import initWasm, { call } from './glue.js';
import { createWayline } from './facade.js';

const stub = window.wayline;
const queued = Array.isArray(stub) ? stub.slice() : [];
const data = (stub && stub.opts) || {};
// The glue's one entry point only (not the namespace, which would keep all its exports in the bundle). The stub
// started fetching and compiling the module; that serves the first try only.
let early = stub && stub.w;
const url = new URL('wayline_bg.wasm', import.meta.url);
// After a request for the module failed on the network (a connection reset, the server briefly down), it is made
// again after `wait` ms, and after each failure again twice as long after: three more tries in about seven seconds,
// while the calls made meanwhile wait. Not a request the page's `connect-src` refused (`stub.v`, which the stub
// learns from the browser's `securitypolicyviolation` event): it would be refused again, with a second error on the
// console. Meanwhile `down(1)` tells the API: a flush made then resolves `false` at once, as when the collector
// cannot be reached, rather than after the tries; `down(0)` once a request is answered.
let down;
const retry = (e, wait) =>
  wait > 4e3
    ? Promise.reject(e)
    : (down(1),
      new Promise((r) => setTimeout(r, wait)).then(() => {
        if (stub.v) throw e;
        return fetch(url).then((r) => (down(0), r), (e) => retry(e, wait * 2));
      }));
const api = createWayline((unreachable) => {
  down = unreachable;
  // The module the stub compiled (or, in a browser without `compileStreaming`, its response). If compiling failed
  // on a response that arrived (a `TypeError`: a server that does not label it `application/wasm`, say), it is
  // fetched again: the glue then instantiates it another way and says why on the console. A request that failed
  // (`stub.f`, the stub's) is made again as above. A module that cannot be compiled at all (a `CompileError`: a
  // Content-Security-Policy without 'wasm-unsafe-eval') is not: the SDK's one warning says why.
  const module =
    early &&
    early.catch((e) => {
      if (e instanceof TypeError) return Promise.resolve(stub.f).then(() => fetch(url)).catch((e) => retry(e, 1e3));
      throw e;
    });
  early = undefined;
  return initWasm(module).then(() => ({ call }));
});
api.loaded = true;
// What a later copy of the stub compares its own `data-write-key` with (and whether it already said so).
api.opts = data;
api.d = stub && stub.d;
window.wayline = api;

// An init refused here (a bad data- attribute, or bad options the page queued through the stub) is said once on
// the console: the stub gave the page no promise to catch, and an unhandled rejection would reach the page's own
// error handling and monitoring as if the page had failed.
const refused = (e) => console.error(`[wayline] ${e.message} (${e.code})`);
const explicitInit = queued.some(([name]) => name === 'init');
if (!explicitInit && data.writeKey) {
  const options = {};
  for (const key of Object.keys(data)) if (key !== 'src') options[key] = data[key];
  // The stub's request for `data-config`, started before the loader arrived.
  if (stub.c && data.config) options.configResponse = stub.c;
  api.init(options).catch(refused);
}
for (const [name, args, resolve] of queued) {
  const result = api[name] ? api[name](...args) : undefined;
  if (name === 'init') result.catch(refused);
  if (resolve) Promise.resolve(result).then(resolve);
}
