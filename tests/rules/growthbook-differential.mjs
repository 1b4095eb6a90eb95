// Writes tests/rules/growthbook-differential.json: random GrowthBook conditions and attributes, each with the
// answer GrowthBook's own `evalCondition` gives. The data-driven runner (tests/rules/main.rs) checks that Wayline's
// compiled conditions give the same answers, so the coercions, string and version comparisons and operator edge
// cases docs/rules.md describes are checked against GrowthBook itself, not against our reading of it.
// GrowthBook is not a dependency of the build; to regenerate (the seed is fixed, so the file only changes when
// the generator or GrowthBook's answers do):
//   npm install --prefix /tmp/gb --no-save @growthbook/growthbook@1.8.0
//   node tests/rules/growthbook-differential.mjs /tmp/gb/node_modules/@growthbook/growthbook
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { seeded } from './random.mjs';

const from = process.argv[2];
if (!from) {
  console.error('usage: node tests/rules/growthbook-differential.mjs PATH_TO_@growthbook/growthbook');
  process.exit(2);
}
const require = createRequire(import.meta.url);
const { evalCondition } = require(from);
const version = require(join(from, 'package.json')).version;

const COUNT = 2000;
const { random, pick } = seeded(20261127);

// Values chosen where JavaScript's coercions and comparisons have corners: numeric strings with white space, hex,
// exponents and signs, empty strings, case and non-ASCII text (UTF-16 order, case folding), versions with
// pre-releases, builds and missing parts, numbers past 2^53.
const scalars = [
  null, true, false, 0, 1, -1, 2.5, 10, 100, 0.1, 1e21, 9007199254740993,
  '', ' ', '0', '1', '2', '8', '10', ' 8 ', '\n1', '+5', '-0', '.5', '5.', '1e3', '1e400', '0x1A', '0b101', '0o17',
  '1_000', 'Infinity', '-Infinity', 'true', 'false', 'null', '9007199254740993',
  'a', 'b', 'abc', 'ABC', 'Abc', 'z', 'é', 'ß', 'İ', 'ﬀ', '😀', '\uffff',
  'v', '1.2', '1.2.3', 'v1.2.3', '01.2.3', '1.2.3.4', '1.10.0', '1.2.3-beta', '1.2.3+build', '2.0.0-rc.1',
  '1.0.0-alpha.2', '1.0.0-alpha.10',
];
const patterns = [
  '', '.', '^a', 'b', 'A', '^$', '^.$', 'x|y', '(a|b)*c', 'a{2}', '[^a]', '\\d+', '\\w', '\\bA', '^1\\.', 'é', 'ß',
  'İ', '\\u0041', '\\x41', '[', '(?i)a',
];
const value = (depth = 0) => {
  const r = random();
  if (depth < 2 && r < 0.12) return Array.from({ length: Math.floor(random() * 3) }, () => value(depth + 1));
  if (depth < 2 && r < 0.17) return { x: value(depth + 1) };
  return pick(scalars);
};
const list = () => Array.from({ length: Math.floor(random() * 3) }, () => pick(scalars));
const operators = [
  '$eq', '$ne', '$lt', '$lte', '$gt', '$gte', '$in', '$nin', '$ini', '$nini', '$all', '$alli', '$size', '$exists',
  '$type', '$regex', '$regexi', '$veq', '$vne', '$vgt', '$vgte', '$vlt', '$vlte', '$elemMatch', '$not', '$inGroup',
  '$notInGroup',
];
function operatorObject(depth) {
  const object = {};
  for (let i = 1 + Math.floor(random() * 2); i > 0; i--) {
    const op = pick(operators);
    switch (op) {
      case '$in': case '$nin': case '$ini': case '$nini': case '$all': case '$alli':
        object[op] = random() < 0.9 ? list() : pick(scalars);
        break;
      case '$size': object[op] = random() < 0.7 ? pick([0, 1, 2, '1']) : operatorObject(depth + 1); break;
      case '$exists': object[op] = pick([true, false, 1, 0, 'x']); break;
      case '$type': object[op] = pick(['string', 'number', 'boolean', 'null', 'array', 'object', 'undefined']); break;
      case '$regex': case '$regexi': object[op] = pick(patterns); break;
      case '$elemMatch': object[op] = random() < 0.5 ? operatorObject(depth + 1) : { x: pick(scalars) }; break;
      case '$not': object[op] = depth < 2 ? operatorObject(depth + 1) : { $eq: 1 }; break;
      case '$inGroup': case '$notInGroup': object[op] = pick(['g1', 'g2', 'missing']); break;
      default: object[op] = pick(scalars);
    }
  }
  return object;
}
function condition(depth = 0) {
  const r = random();
  if (depth < 2 && r < 0.15) {
    return { [pick(['$and', '$or', '$nor'])]: Array.from({ length: Math.floor(random() * 3) }, () => condition(depth + 1)) };
  }
  if (depth < 2 && r < 0.2) return { $not: condition(depth + 1) };
  return { [pick(['a', 'b', 'a.x', 'a.0', 'c'])]: random() < 0.6 ? operatorObject(depth) : value() };
}

const savedGroups = { g1: [1, 'abc', '1', true], g2: [] };
const lines = [];
const answers = { true: 0, false: 0 };
for (let i = 0; i < COUNT; i++) {
  const attributes = {};
  for (const name of ['a', 'b']) if (random() < 0.8) attributes[name] = value();
  // Judged as the runner reads them: through JSON (-0 becomes 0, 2^53 + 1 becomes 2^53).
  const c = JSON.parse(JSON.stringify(condition()));
  const a = JSON.parse(JSON.stringify(attributes));
  const expect = evalCondition(a, c, savedGroups);
  answers[expect]++;
  const groups = JSON.stringify(c).includes("Group\"") ? { savedGroups } : {};
  lines.push(JSON.stringify({ name: `random ${i}`, condition: c, attributes: a, ...groups, expect }));
}
const out = join(import.meta.dirname, 'growthbook-differential.json');
writeFileSync(out, `{"generator": "tests/rules/growthbook-differential.mjs", "growthbook": "${version}", "cases": [\n${lines.join(',\n')}\n]}\n`);
console.log(`${out}: ${COUNT} cases from GrowthBook ${version} (${answers.true} true, ${answers.false} false)`);
