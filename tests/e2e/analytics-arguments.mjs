// Writes tests/e2e/analytics-arguments.json: random argument lists for `track`, `page`, `identify`, `group` and
// `alias`, each with what analytics-next's own argument resolvers (`resolveArguments`, `resolvePageArguments`,
// `resolveUserArguments`, `resolveAliasArguments`) make of them: the event name, the page's name and category, the
// ids, which argument is the properties or traits, which is the options and which function is the callback.
// tests/e2e/analytics_arguments.test.mjs replays every case through the real SDK and compares the stored messages,
// so Wayline's reading of the arguments is checked against analytics-next itself, not against our reading of it.
// analytics-next is not a dependency of the build; to regenerate (the seed is fixed, so the file only changes when
// the generator or analytics-next's answers do):
//   npm install --prefix /tmp/seg --no-save @segment/analytics-next@1.84.3
//   node tests/e2e/analytics-arguments.mjs /tmp/seg/node_modules/@segment/analytics-next
//
// Arguments are written as JSON, with markers for what JSON cannot hold: `{"$": "undefined"}`, `{"$": "NaN"}` and
// `{"$": "function"}` (a function the test makes, which records that it was called). Every object argument is
// `{"kN": N}`, N its position, so the test sees where each one went: its key among the message's properties or
// traits, or among its context (analytics-next puts an option it does not know there, as Wayline does). Some also
// have a `messageId`, which is the message's own when the object is the options.
//
// Only what docs/sdk.md says Wayline reads as analytics-next does is compared. Where Wayline differs on purpose
// (docs/sdk.md says so), the expectation is Wayline's, marked in `deliberate` below with the reason.
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { seeded } from '../rules/random.mjs';

const from = process.argv[2];
if (!from) {
  console.error('usage: node tests/e2e/analytics-arguments.mjs PATH_TO_@segment/analytics-next');
  process.exit(2);
}
const require = createRequire(import.meta.url);
const resolvers = require(join(from, 'dist/cjs/core/arguments-resolver/index.js'));
const version = require(join(from, 'package.json')).version;
const { resolveArguments, resolvePageArguments, resolveUserArguments, resolveAliasArguments } = resolvers;

const PER_METHOD = 250;
const { random, pick } = seeded(20261127);

// What each position of a method's documented signature holds (docs/sdk.md); any optional position may also hold
// `null` or `undefined`, any position a function (analytics-next's callback is the first function, wherever it is),
// and the list stops anywhere (missing trailing arguments) or has one argument more than the signature.
// Values of kinds a call does not document at a position (a number as a page's name or as properties, an array,
// NaN as a name or a properties object after the options) are not generated: analytics-next reads `page` and
// `alias` by counting the strings and objects among all their arguments, Wayline reads each argument by its
// position (docs/sdk.md), and for such lists the two differ. `NaN` and `""` are generated as ids, which Wayline
// refuses (`deliberate` below).
const SIGNATURES = {
  track: [['string', 'string', 'empty', 'null'], ['object', 'null', 'undefined'], ['object', 'null', 'undefined'], ['function']],
  page: [['string', 'object', 'null', 'undefined'], ['string', 'object', 'null', 'undefined'], ['object', 'null', 'undefined'], ['object', 'null', 'undefined'], ['function']],
  identify: [['string', 'number', 'null', 'undefined', 'object', 'empty', 'NaN'], ['object', 'null', 'undefined'], ['object', 'null', 'undefined'], ['function']],
  group: [['string', 'string', 'number', 'object', 'NaN'], ['object', 'null', 'undefined'], ['object', 'null', 'undefined'], ['function']],
  alias: [['string', 'number', 'empty', 'NaN'], ['string', 'number', 'null', 'undefined', 'object', 'empty'], ['object', 'null', 'undefined'], ['function']],
};
const STRINGS = ['Alpha', 'Beta', 'Gamma', 'Delta'];
const NUMBERS = [0, 42, 1.5, -7];
const EXTRA = ['undefined', 'null', 'function', 'object'];

// One argument of kind `kind` at position `at`: the value the resolvers get, and its JSON form for the test.
function argument(kind, at, n) {
  switch (kind) {
    case 'string': { const s = pick(STRINGS); return [s, s]; }
    case 'empty': return ['', ''];
    case 'number': { const n = pick(NUMBERS); return [n, n]; }
    case 'NaN': return [NaN, { $: 'NaN' }];
    case 'null': return [null, null];
    case 'undefined': return [undefined, { $: 'undefined' }];
    case 'object': {
      // Now and then with a `messageId`, which analytics-next sends as the message's own when it is an option.
      const o = random() < 0.3 ? { ['k' + at]: at, messageId: `m-${n}-${at}` } : { ['k' + at]: at };
      return [o, { ...o }];
    }
    case 'function': { const f = () => {}; return [f, { $: 'function' }]; }
  }
}

function argumentList(method, n) {
  const signature = SIGNATURES[method];
  const length = Math.floor(random() * (signature.length + 2));
  const values = [];
  const json = [];
  for (let at = 0; at < length; at++) {
    const kinds = signature[at] || EXTRA;
    const kind = random() < 0.15 ? 'function' : pick(kinds);
    const [v, j] = argument(kind, at, n);
    values.push(v);
    json.push(j);
  }
  return { values, json };
}

// The position of a resolved object or function among the arguments (-1: one the resolver made, `{}`).
const position = (values, v) => (v === undefined || v === null ? -1 : values.indexOf(v));
const isPlainObject = (v) => Object.prototype.toString.call(v) === '[object Object]';
// The `kN` keys a resolved object carries into the message: those of one of the arguments, none for a `{}` the
// resolver made. analytics-next also takes options that are no plain object (a string's characters become context
// members): Wayline ignores options that are no object (docs/sdk.md), so only a plain object's keys count.
const keysOf = (values, v) =>
  isPlainObject(v) && position(values, v) >= 0 ? Object.keys(v).filter((k) => /^k\d$/.test(k)) : [];
// The `messageId` of the options, which analytics-next sends as the message's (`CoreEventFactory.normalize`).
const messageIdOf = (values, options) => (keysOf(values, options).length && options.messageId) || null;
const callbackAt = (values, cb) => (typeof cb == 'function' ? values.indexOf(cb) : -1);
// An id as analytics-next sends it (a number's `toString()`), or what Wayline does instead.
const PRIOR = '$prior';

const deliberate = {};
const note = (reason) => {
  deliberate[reason] = (deliberate[reason] || 0) + 1;
};

function expectation(method, values) {
  switch (method) {
    case 'track': {
      let resolved;
      try {
        resolved = resolveArguments(...values);
      } catch {
        // 'Event missing': analytics-next records nothing; Wayline refuses the call with a warning.
        return null;
      }
      const [event, properties, options, callback] = resolved;
      if (isPlainObject(values[0])) {
        // `track({event, properties}, options)`, a form of analytics-next's that Wayline does not document: not
        // generated.
        throw new Error('unexpected object-form track');
      }
      if (event.trim() === '') {
        // Wayline refuses a name of white space alone (docs/sdk.md, `invalid_event_name`).
        note('track: a blank event name is refused');
        return null;
      }
      return {
        event,
        properties: keysOf(values, properties),
        context: keysOf(values, options),
        messageId: messageIdOf(values, options),
        callback: callbackAt(values, callback),
      };
    }
    case 'page': {
      let [category, name, properties, options, callback] = resolvePageArguments(...values);
      const firstThree = values.slice(0, 3).filter(isPlainObject);
      if (values.slice(0, 5).filter(isPlainObject).length > 2) {
        // Three objects or more: analytics-next sends neither properties nor options. Wayline reads them as with
        // two (docs/sdk.md): the options are the fourth argument, or else the second object among the first three,
        // and the properties the first other object among the first three.
        note('page: three objects or more');
        options = isPlainObject(values[3]) ? values[3] : firstThree[1];
        properties = firstThree.find((v) => v !== options);
      }
      return {
        // An empty name or category is none in Wayline (docs/sdk.md); analytics-next sends `""`.
        category: category === '' ? (note('page: an empty category is none'), null) : category,
        name: name === '' ? (note('page: an empty name is none'), null) : name,
        properties: keysOf(values, properties),
        context: keysOf(values, options),
        messageId: messageIdOf(values, options),
        callback: callbackAt(values, callback),
      };
    }
    case 'identify':
    case 'group': {
      // A user or group whose id is `PRIOR` (the test identifies as such first); a group has none (Wayline keeps
      // no group).
      const holder = { id: () => (method == 'identify' ? PRIOR : null) };
      const [id, traits, options, callback] = resolveUserArguments(holder)(...values);
      let sent = id;
      if (method == 'identify' && id === '') {
        // analytics-next's `User.identify` keeps the current id for a falsy one.
        sent = PRIOR;
      }
      if (sent === 'NaN') {
        // `identify(NaN)`: analytics-next sends the id "NaN"; Wayline refuses an id that is no finite number.
        note(`${method}: NaN is no id`);
        return null;
      }
      if (method == 'group' && (sent === null || sent === '')) {
        // analytics-next would send the last group's id (or none); Wayline keeps no group and refuses a group
        // call without an id (docs/sdk.md).
        note('group: no id is refused');
        return null;
      }
      return {
        [method == 'identify' ? 'userId' : 'groupId']: sent,
        traits: keysOf(values, traits),
        context: keysOf(values, options),
        messageId: messageIdOf(values, options),
        callback: callbackAt(values, callback),
      };
    }
    case 'alias': {
      const [to, previous, options, callback] = resolveAliasArguments(...values);
      if (typeof values[0] != 'string' && typeof values[0] != 'number') {
        // analytics-next takes the first string among the arguments as the id (`alias(callback, 'id')`); Wayline
        // reads `alias(userId, previousId?, options?)` by position (docs/sdk.md) and refuses a first argument that
        // is no id.
        note('alias: the first argument is no id');
        return null;
      }
      if (typeof to != 'string' || to === '' || to === 'NaN') {
        // analytics-next sends an alias without a usable `userId`; Wayline refuses it (docs/sdk.md).
        note('alias: no usable id is refused');
        return null;
      }
      if (previous === '' || previous === 'NaN') {
        note('alias: no usable previous id is refused');
        return null;
      }
      return {
        userId: to,
        // No previous id: analytics-next sends none; Wayline the current user id, else the anonymous id, as
        // analytics.js did (docs/sdk.md).
        previousId: previous === null ? (note('alias: a default previous id'), PRIOR) : previous,
        context: keysOf(values, options),
        messageId: messageIdOf(values, options),
        callback: callbackAt(values, callback),
      };
    }
  }
}

const lines = [];
let recorded = 0;
for (const method of Object.keys(SIGNATURES)) {
  for (let i = 0; i < PER_METHOD; i++) {
    const { values, json } = argumentList(method, lines.length);
    const expect = expectation(method, values);
    if (expect) recorded++;
    lines.push(JSON.stringify({ method, args: json, expect }));
  }
}
const out = join(import.meta.dirname, 'analytics-arguments.json');
writeFileSync(
  out,
  `{"generator": "tests/e2e/analytics-arguments.mjs", "analytics-next": "${version}", "deliberate": ${JSON.stringify(deliberate)}, "cases": [\n${lines.join(',\n')}\n]}\n`,
);
console.log(`${out}: ${lines.length} cases from analytics-next ${version} (${recorded} recorded)`, deliberate);
