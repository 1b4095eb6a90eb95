/* Built-ins replaced with a library's own versions, as MooTools 1.1/1.2 (mootools.net, MIT) and Sugar 1.x did
 * (both assign their methods, so `for…in` over any array or object sees them):
 * - `Function.prototype.bind` with MooTools 1.2's signature, `bind(thisArg, args)`, the arguments given as one
 *   array (the native `f.bind(o, 1, 2)` bound both numbers; this one binds only the first);
 * - `Array.prototype.forEach` with MooTools' own loop, `each`, `contains`, `include`, `erase`;
 * - `Array.prototype.push` with a hand-written one that also counts calls (an observing hook of the same shape);
 * - on `Object.prototype`, an enumerable method (`extend`, as Prototype 1.3/1.4 defined) and enumerable getters
 *   (`size`, `isEmpty`: accessor properties of the kind Sugar-style object extensions add), read by every
 *   `for…in` and every property lookup that misses on an object. */
(function () {
  Function.prototype.bind = function (bind, args) {
    var self = this;
    if (args != null && !Array.isArray(args)) args = [args];
    return function () {
      return self.apply(bind, args || arguments);
    };
  };
  Array.prototype.forEach = function (fn, bind) {
    for (var i = 0, l = this.length; i < l; i++) fn.call(bind, this[i], i, this);
  };
  Array.prototype.each = function (fn, bind) {
    Array.prototype.forEach.call(this, fn, bind);
    return this;
  };
  Array.prototype.contains = function (item, from) {
    return this.indexOf(item, from) != -1;
  };
  Array.prototype.include = function (item) {
    if (!this.contains(item)) this.push(item);
    return this;
  };
  Array.prototype.erase = function (item) {
    for (var i = this.length; i--;) if (this[i] === item) this.splice(i, 1);
    return this;
  };
  window.pushCalls = 0;
  Array.prototype.push = function () {
    window.pushCalls++;
    for (var i = 0; i < arguments.length; i++) this[this.length] = arguments[i];
    return this.length;
  };
  Object.prototype.extend = function (object) {
    for (var property in object) this[property] = object[property];
    return this;
  };
  window.getterReads = 0;
  Object.defineProperty(Object.prototype, 'size', {
    get: function () {
      window.getterReads++;
      return Object.keys(this).length;
    },
    enumerable: true,
    configurable: true,
  });
  Object.defineProperty(Object.prototype, 'isEmpty', {
    get: function () {
      window.getterReads++;
      return Object.keys(this).length === 0;
    },
    enumerable: true,
    configurable: true,
  });
})();
