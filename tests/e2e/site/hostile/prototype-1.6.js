/* What Prototype 1.6.0.3 (prototypejs.org, MIT; still on old Magento 1 and Rails 2 sites) does to JavaScript's
 * built-ins, excerpted from its source (lang/object.js, enumerable.js, array.js, string.js, number.js, date.js,
 * hash.js, function.js), trimmed to what changes the globals' behaviour:
 * - `toJSON` methods on Array, String, Number and Date prototypes that return JSON *text*, so that the native
 *   `JSON.stringify([1, 2])` gives the string '"[1, 2]"' and `JSON.stringify("a")` gives '"\"a\""';
 * - `Hash`, whose `toJSON` does the same for its pairs;
 * - Enumerable mixed into Array.prototype by assignment (enumerable: `for…in` over an array sees them), overriding
 *   native `entries`, `find`, `filter`, `map`, `every`, `some`; its own `reduce` (not a fold at all);
 * - `Function.prototype.bind` replaced with its own, `Array.from` replaced with `$A`. */
(function () {
  var $break = {};
  var K = function (x) { return x; };
  Object.extend = function (destination, source) {
    for (var property in source) destination[property] = source[property];
    return destination;
  };
  function isUndefined(object) { return typeof object === 'undefined'; }
  function $A(iterable) {
    if (!iterable) return [];
    if (iterable.toArray) return iterable.toArray();
    var length = iterable.length || 0, results = new Array(length);
    while (length--) results[length] = iterable[length];
    return results;
  }
  window.$A = $A;

  Object.extend(Object, {
    toJSON: function (object) {
      var type = typeof object;
      switch (type) {
        case 'undefined':
        case 'function':
        case 'unknown': return;
        case 'boolean': return object.toString();
      }
      if (object === null) return 'null';
      if (object.toJSON) return object.toJSON();
      if (object.nodeType == 1) return;
      var results = [];
      for (var property in object) {
        var value = Object.toJSON(object[property]);
        if (!isUndefined(value)) results.push(property.toJSON() + ': ' + value);
      }
      return '{' + results.join(', ') + '}';
    },
  });

  Object.extend(Function.prototype, {
    bind: function () {
      if (arguments.length < 2 && isUndefined(arguments[0])) return this;
      var __method = this, args = $A(arguments), object = args.shift();
      return function () {
        return __method.apply(object, args.concat($A(arguments)));
      };
    },
  });

  Object.extend(String.prototype, {
    inspect: function (useDoubleQuotes) {
      var escapedString = this.replace(/[\x00-\x1f\\]/g, function (match) {
        var special = { '\b': '\\b', '\t': '\\t', '\n': '\\n', '\f': '\\f', '\r': '\\r', '\\': '\\\\' };
        return special[match] || '\\u00' + ('0' + match.charCodeAt(0).toString(16)).slice(-2);
      });
      if (useDoubleQuotes) return '"' + escapedString.replace(/"/g, '\\"') + '"';
      return "'" + escapedString.replace(/'/g, "\\'") + "'";
    },
    toJSON: function () {
      return this.inspect(true);
    },
  });

  Object.extend(Number.prototype, {
    toPaddedString: function (length, radix) {
      var string = this.toString(radix || 10);
      return '0'.repeat(Math.max(0, length - string.length)) + string;
    },
    toJSON: function () {
      return isFinite(this) ? this.toString() : 'null';
    },
  });

  Date.prototype.toJSON = function () {
    return '"' + this.getUTCFullYear() + '-' +
      (this.getUTCMonth() + 1).toPaddedString(2) + '-' +
      this.getUTCDate().toPaddedString(2) + 'T' +
      this.getUTCHours().toPaddedString(2) + ':' +
      this.getUTCMinutes().toPaddedString(2) + ':' +
      this.getUTCSeconds().toPaddedString(2) + 'Z"';
  };

  var Enumerable = {
    each: function (iterator, context) {
      var index = 0;
      try {
        this._each(function (value) { iterator.call(context, value, index++); });
      } catch (e) {
        if (e != $break) throw e;
      }
      return this;
    },
    all: function (iterator, context) {
      iterator = iterator || K;
      var result = true;
      this.each(function (value, index) {
        result = result && !!iterator.call(context, value, index);
        if (!result) throw $break;
      });
      return result;
    },
    any: function (iterator, context) {
      iterator = iterator || K;
      var result = false;
      this.each(function (value, index) {
        if (result = !!iterator.call(context, value, index)) throw $break;
      });
      return result;
    },
    collect: function (iterator, context) {
      iterator = iterator || K;
      var results = [];
      this.each(function (value, index) { results.push(iterator.call(context, value, index)); });
      return results;
    },
    detect: function (iterator, context) {
      var result;
      this.each(function (value, index) {
        if (iterator.call(context, value, index)) {
          result = value;
          throw $break;
        }
      });
      return result;
    },
    findAll: function (iterator, context) {
      var results = [];
      this.each(function (value, index) { if (iterator.call(context, value, index)) results.push(value); });
      return results;
    },
    include: function (object) {
      var found = false;
      this.each(function (value) { if (value == object) { found = true; throw $break; } });
      return found;
    },
    inject: function (memo, iterator, context) {
      this.each(function (value, index) { memo = iterator.call(context, memo, value, index); });
      return memo;
    },
    pluck: function (property) {
      var results = [];
      this.each(function (value) { results.push(value[property]); });
      return results;
    },
    toArray: function () { return this.map(); },
    size: function () { return this.toArray().length; },
    inspect: function () { return '#<Enumerable:' + this.toArray().inspect() + '>'; },
  };
  Object.extend(Enumerable, {
    map: Enumerable.collect,
    find: Enumerable.detect,
    select: Enumerable.findAll,
    filter: Enumerable.findAll,
    member: Enumerable.include,
    entries: Enumerable.toArray,
    every: Enumerable.all,
    some: Enumerable.any,
  });

  Object.extend(Array.prototype, Enumerable);
  if (!Array.prototype._reverse) Array.prototype._reverse = Array.prototype.reverse;
  Object.extend(Array.prototype, {
    _each: function (iterator) {
      for (var i = 0, length = this.length; i < length; i++) iterator(this[i]);
    },
    clear: function () { this.length = 0; return this; },
    first: function () { return this[0]; },
    last: function () { return this[this.length - 1]; },
    compact: function () { return this.select(function (value) { return value != null; }); },
    without: function () {
      var values = $A(arguments);
      return this.select(function (value) { return !values.include(value); });
    },
    reverse: function (inline) { return (inline !== false ? this : this.toArray())._reverse(); },
    reduce: function () { return this.length > 1 ? this : this[0]; },
    uniq: function () {
      return this.inject([], function (array, value) {
        if (!array.include(value)) array.push(value);
        return array;
      });
    },
    clone: function () { return [].concat(this); },
    inspect: function () { return '[' + this.map(function (value) { return Object.toJSON(value); }).join(', ') + ']'; },
    toJSON: function () {
      var results = [];
      this.each(function (object) {
        var value = Object.toJSON(object);
        if (!isUndefined(value)) results.push(value);
      });
      return '[' + results.join(', ') + ']';
    },
  });
  Array.prototype.toArray = Array.prototype.clone;
  Array.from = $A;

  function Hash(object) {
    this._object = object instanceof Hash ? object.toObject() : Object.extend({}, object);
  }
  Object.extend(Hash.prototype, Enumerable);
  Object.extend(Hash.prototype, {
    _each: function (iterator) {
      for (var key in this._object) {
        var value = this._object[key], pair = [key, value];
        pair.key = key;
        pair.value = value;
        iterator(pair);
      }
    },
    set: function (key, value) { return this._object[key] = value; },
    get: function (key) { if (this._object[key] !== Object.prototype[key]) return this._object[key]; },
    toObject: function () { return Object.extend({}, this._object); },
    toJSON: function () { return Object.toJSON(this.toObject()); },
  });
  window.Hash = Hash;
  window.$H = function (object) { return new Hash(object); };
  window.Prototype = { Version: '1.6.0.3', K: K };
})();
