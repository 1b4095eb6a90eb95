// The public API object, shared by the script-tag loader and the npm entry.
// Calls made before the WebAssembly module is ready are queued and replayed in order; if the module cannot load,
// one console message says why and every call becomes a no-op. Nothing here runs until `init` is called in a
// browser, so importing the package during server-side rendering is harmless.

const METHODS = ['track', 'page', 'identify', 'reset', 'consent', 'off', 'outcome'];
// The module's one entry point is `call(code, ...args)`, `code` a method's index here (`call` in src/web/mod.rs
// matches on it): one export rather than one per method, each of which costs a shim in the wasm and a wrapper
// in the glue.
const CODES = [
  ...METHODS, 'on', 'init', 'flush', 'segments', 'stage', 'explain', 'anonymousId', 'userId', 'debugState', 'group',
  'alias',
];

export function createWayline(load) {
  // One SDK per page: a second copy (the script tag and a bundle that imports the package, a tag manager's tag
  // beside a hard-coded one, two bundles) is the first one's API, so that nothing is recorded, stored or sent
  // twice. Its `init` warns `already_initialised` and keeps the first configuration.
  const page = typeof window != 'undefined' && window;
  const key = Symbol.for('wayline');
  if (page && page[key]) return page[key];
  let mod = null;
  // Outside a browser (server-side rendering) nothing is queued and nothing loads.
  let failed = typeof window === 'undefined' || typeof WebAssembly === 'undefined';
  let ready = null;
  const pending = [];
  const last = new Map();
  // While the module's `init` runs, the module (calls made meanwhile wait for it to end; queries, such as a `ready`
  // listener's, are answered).
  let starting = false;
  // While the module cannot be fetched (a request failed on the network and the script-tag loader waits to make it
  // again: `load`'s argument tells), a flush resolves `false` at once, as the SDK's does when it cannot send, rather
  // than after the tries; it is still replayed in order if the module starts.
  let down = 0;
  const unreachable = (v) => {
    down = v;
    if (v) for (const [n, a] of pending) if (n == 'flush') a[0](false);
  };
  // Late listeners still to hear the last one (`on` below): an `off` before then takes them out.
  const owed = new Set();
  let heard = false;

  // `m.call` by method name.
  const invoke = (m, name, args) => m.call(CODES.indexOf(name), ...args);
  // Commands the module answered `true`: made while it was busy running page code (a replaced localStorage
  // method, a getter), they are made again as soon as it is done, in order, and before any call made after them
  // (which waits behind them).
  const later = [];
  const retry = () => {
    while (later.length) {
      const [n, a] = later.shift();
      if (invoke(mod, n, a) === true) {
        later.unshift([n, a]);
        queueMicrotask(retry);
        return;
      }
    }
  };
  // A build without the rule engine has no `explain`/`outcome`: those calls are no-ops there.
  const call = (name, args) => {
    if (mod) {
      if ((later.length || invoke(mod, name, args) === true) && later.push([name, args]) === 1) queueMicrotask(retry);
      return;
    }
    if (!failed) pending.push([name, args]);
  };

  // A query: answered by the module once `init` is running (a `ready` or `config` listener it calls), else `none`.
  const ask = (name, args, none) => (mod || starting ? invoke(mod || starting, name, args) : none);

  const api = {
    init(options) {
      // The options' own properties alone, in an object that inherits nothing: the module reads them by name, and
      // names Object.prototype has (a prototype-pollution bug in a library on the page: `endpoint`, `config`,
      // `debug`) must not count as options (docs/sdk.md, "Security").
      if (isObject(options)) options = { __proto__: null, ...options };
      if (ready) {
        // Running (or loading) already: the module only warns (it answers an error for a first `init` alone).
        call('init', [options]);
        return ready;
      }
      if (failed && !mod) {
        // A browser without WebAssembly (server-side rendering, with no window, is not told anything).
        if (typeof window != 'undefined' && typeof WebAssembly == 'undefined')
          console.warn('[wayline] this browser has no WebAssembly (or it is turned off), so tracking is off on this page.');
        ready = Promise.resolve(false);
        return ready;
      }
      // A `configResponse` that rejects is the SDK's to report (`config_unavailable`), once the module runs; until
      // then it must not read as an uncaught rejection on the page's console. (Only a real promise: another
      // thenable's `then` is the page's code, called once, by the SDK.)
      try {
        if (options.configResponse instanceof Promise) options.configResponse.catch(() => {});
      } catch (e) {}
      // A page the browser prerenders (speculation rules, the address bar's guess) runs before the visitor sees it,
      // and may never be shown: the SDK starts once it is shown, so a page never shown records nothing (nor leaves
      // anything in storage for the next page to send), and the page view and the calls made meanwhile, which wait
      // here as calls made while the module loads do, have the time the visitor saw the page. The module is
      // fetched and compiled meanwhile.
      const shown = typeof document != 'undefined' && document.prerendering && new Promise((r) => document.addEventListener('prerenderingchange', r, { once: true }));
      ready = Promise.all([load(unreachable), shown]).then(
        ([m]) => {
          // What `ready` and `config` last said, for listeners added after them (`on` below): heard once, however
          // many times an `init` with invalid options is corrected.
          if (!heard) for (const n of ['ready', 'config']) invoke(m, 'on', [n, (p) => last.set(n, p)]);
          heard = true;
          // Listeners first, so that they hear `ready`.
          const early = pending.filter(([n]) => n === 'on' || n === 'off');
          for (const [n, a] of early) invoke(m, n, a);
          const rest = pending.filter(([n]) => n !== 'on' && n !== 'off');
          pending.length = 0;
          starting = m;
          try {
            // `init` answers the error of invalid options rather than throwing it (`call` in src/web/mod.rs).
            const invalid = invoke(m, 'init', [options]);
            if (invalid) throw invalid;
          } catch (e) {
            // Invalid options: keep the queued calls for a corrected init.
            pending.push(...rest);
            ready = null;
            throw e;
          } finally {
            starting = false;
          }
          mod = m;
          // Then the calls made while `init` ran (a `ready` listener's, or page code the SDK ran), which came after
          // those queued before it.
          for (const [n, a] of rest.concat(pending.splice(0))) invoke(m, n, a);
          return true;
        },
        (err) => {
          failed = true;
          // A flush made meanwhile resolves `false`, as one made now does (a page awaiting it never hangs).
          unreachable(1);
          pending.length = 0;
          console.warn(
            '[wayline] the SDK could not load its WebAssembly module, so tracking is off on this page. ' +
              'Check that wayline_bg.wasm is served (as application/wasm) next to the script and that the ' +
              "Content-Security-Policy allows 'wasm-unsafe-eval' (script-src) and the file's origin (connect-src).",
            err,
          );
          return false;
        },
      );
      return ready;
    },
    flush() {
      if (mod) return new Promise((resolve) => call('flush', [resolve]));
      if (!ready || failed) return Promise.resolve(false);
      return new Promise((resolve) => pending.push(['flush', [resolve]]) && down && resolve(false));
    },
    on(name, listener) {
      call('on', [name, listener]);
      // `ready` and `config` say what holds now: a listener added after one hears the last one (after `on` has
      // returned, as when the event comes), as analytics.js's `ready(callback)` does, so a script that runs after
      // the SDK started (an external script after the stub, which the SDK may overtake) still learns of them. So
      // does one added while `init` runs (by a listener of the stored config's `config`, say): the module takes it
      // only once `init` is done, after `ready`.
      if (last.has(name) || starting) {
        const o = [name, listener];
        owed.add(o);
        Promise.resolve()
          .then(() => owed.delete(o) && last.has(name) && listener(last.get(name)))
          .catch(console.error);
      }
      return () => api.off(name, listener);
    },
    segments: () => ask('segments', [], []),
    stage: (journey) => ask('stage', [journey]),
    explain: (campaign) => ask('explain', [campaign]) ?? null,
    anonymousId: () => ask('anonymousId', []),
    userId: () => ask('userId', []),
    debugState: () => ask('debugState', [], null),
  };
  const isObject = (v) => v !== null && typeof v == 'object';
  // Where analytics-next finds the options argument (once a callback is taken off): after the event's properties;
  // after identify's or a group's traits, which may come first (no id); an alias's first object; for `page`, fourth,
  // or the second object among the first three (the first is the properties).
  const optionsAt = (m, args) => {
    if (m == 'page') {
      if (isObject(args[3])) return 3;
      let objects = 0;
      return [0, 1, 2].find((k) => isObject(args[k]) && objects++) ?? -1;
    }
    return m == 'track' ? 2 : m == 'alias' ? (isObject(args[1]) ? 1 : 2) : isObject(args[0]) ? 1 : 2;
  };
  // analytics.js's callback of `track`, `page`, `identify`, `group` and `alias` (pages navigate in it once a click
  // is tracked): called once the call is recorded (a queued call, once `init` has replayed it), and after 300 ms at
  // the latest, as analytics.js's default timeout, so a page that cannot run the SDK never waits. As analytics-next
  // finds it: the first function among the four arguments of `track` and `alias`, the five of `page`, and any of
  // `identify` and `group`, whose arguments end there (it reads no more); it is read as a missing argument.
  [...METHODS, 'group', 'alias'].forEach((m, i) => {
    api[m] = (...args) => {
      let done;
      if (i < 3 || i > 6) {
        const k = args.findIndex((v, k) => typeof v == 'function' && k < (i == 1 ? 5 : i == 2 || i == 7 ? 1e9 : 4));
        if (k > -1) {
          done = args[k];
          i == 2 || i == 7 ? (args.length = k) : (args[k] = undefined);
        }
        const at = optionsAt(m, args);
        if (isObject(args[at])) {
          // Fourth, for this call's message alone (src/core/call_options.rs).
          const options = args.splice(at, 1)[0];
          args.length = 3;
          args[3] = options;
        }
      }
      call(m, args);
      if (done) {
        // Cleared before the call: a callback that throws is not called again by the other path.
        const once = () => {
          const f = done;
          done = 0;
          f && f();
        };
        setTimeout(once, mod || failed ? 0 : 300);
        if (ready) ready.then(once, once);
      }
    };
  });
  const off = api.off;
  api.off = (name, listener) => {
    for (const o of owed) o[0] == name && o[1] == listener && owed.delete(o);
    off(name, listener);
  };
  if (page) page[key] = api;
  return api;
}
