// Script-tag loader: replaces the stub's queue with the real API, initialises from the stub's data- attributes
// and replays the calls the page made before the SDK arrived, in order.
import initWasm, { call } from './glue.js';
import { createWayline } from './facade.js';

const stub = window.wayline;
const queued = Array.isArray(stub) ? stub.slice() : [];
const data = (stub && stub.opts) || {};
// The glue's one entry point only (not the namespace, which would keep all its exports in the bundle).
const api = createWayline(() => initWasm().then(() => ({ call })));
api.loaded = true;
window.wayline = api;

const explicitInit = queued.some(([name]) => name === 'init');
if (!explicitInit && data.writeKey) {
  const options = {};
  for (const key of Object.keys(data)) if (key !== 'src') options[key] = data[key];
  api.init(options);
}
for (const [name, args, resolve] of queued) {
  const result = api[name] ? api[name](...args) : undefined;
  if (resolve) Promise.resolve(result).then(resolve);
}
