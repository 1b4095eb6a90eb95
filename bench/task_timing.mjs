// An init script for benchmark pages: times every task in which the SDK does its own work (timer callbacks,
// `storage` listeners, Web Lock callbacks) and records each duration in ms in `window.__taskMs`. SPEC §11 allows
// no SDK task over 10 ms. Use with `page.addInitScript(timeSdkTasks)` or `context.addInitScript(timeSdkTasks)`.
export function timeSdkTasks() {
  window.__taskMs = [];
  const timed = (fn) => function (...args) {
    const t0 = performance.now();
    try { return fn.apply(this, args); } finally { window.__taskMs.push(performance.now() - t0); }
  };
  const setTimeoutOf = window.setTimeout;
  window.setTimeout = function (fn, ms, ...args) {
    return setTimeoutOf.call(this, typeof fn === 'function' ? timed(fn) : fn, ms, ...args);
  };
  const add = EventTarget.prototype.addEventListener;
  EventTarget.prototype.addEventListener = function (type, fn, options) {
    if (type !== 'storage' || typeof fn !== 'function') return add.call(this, type, fn, options);
    return add.call(this, type, timed(fn), options);
  };
  // A tab that gets the sender lock starts sending in the lock's callback.
  if (window.LockManager) {
    const request = LockManager.prototype.request;
    LockManager.prototype.request = function (name, ...rest) {
      const last = rest.length - 1;
      if (typeof rest[last] === 'function') rest[last] = timed(rest[last]);
      return request.call(this, name, ...rest);
    };
  }
}
