// Writes tests/rules/regex-differential.json: random patterns of the subset `matches` supports (docs/rules.md,
// "Regexes") and random texts, each with the answer JavaScript's own `RegExp.prototype.test` gives (no flags, or
// `i` for a leading `(?i)`; as GrowthBook's `$regex` and `$regexi` run them). The data-driven runner
// (tests/rules/main.rs) checks that `traits.t matches "..."` gives the same answer. Texts and patterns mix ASCII,
// Latin and Greek letters, line terminators, Unicode white space and characters outside the Basic Multilingual
// Plane (which JavaScript sees as two UTF-16 code units). Patterns also hold the escapes JavaScript reads its own
// way without the `u` flag: identity escapes (`\q`, `\-`, `\p`, `\k`), `\c` with and without a control letter,
// legacy octal escapes (`\07`, `\1` where the pattern has no group 1), `\x` and `\u` with and without their
// hex digits, `[\b]` and `[\B]`; a pattern JavaScript reads a back-reference in is left out (`matches` refuses
// back-references). Then patterns made invalid (part two, below). The seed is fixed; regenerate with
//   node tests/rules/regex-differential.mjs
// To look further, `--seed N --count N --mutated N --out FILE` writes other cases (to FILE in tests/rules, which the
// runner reads while it is there).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { seeded } from './random.mjs';

const { values: args } = parseArgs({
  options: { seed: { type: 'string' }, count: { type: 'string' }, mutated: { type: 'string' }, out: { type: 'string' } },
});
const COUNT = Number(args.count ?? 3500);
const { random, pick } = seeded(Number(args.seed ?? 1127));

const letters = ['a', 'b', 'A', 'B', 'z', '_', '1', '9', ' ', '-', '.', 'é', 'É', 'ß', 'σ', 'Σ', 'ς', 'ÿ', 'Ÿ', 'µ', 'μ', 'İ', 'ı', 'i', 'Þ', 'þ',
  '\n', '\r', '\u2028', '\u00a0', '\ufeff', '\u3000', '😀', '😂', '𝒜', '\u{10400}',
  // What the escapes below stand for.
  '\\', 'c', 'x', 'u', 'k', 'p', '{', '0', '8', '\x01', '\x07', '\b', '\x1f'];
// Escapes outside a class and inside one.
const escapes = ['\\a', '\\e', '\\q', '\\z', '\\Z', '\\-', '\\%', '\\_', '\\é', '\\k', '\\k<n>', '\\p', '\\p{L}', '\\P',
  '\\cJ', '\\ca', '\\cZ', '\\c', '\\c1', '\\c_', '\\0', '\\00', '\\07', '\\08', '\\1', '\\2', '\\12', '\\101', '\\377', '\\400',
  '\\8', '\\9', '\\x41', '\\x61', '\\xe9', '\\xC9', '\\x4', '\\x', '\\xg', '\\u0041', '\\u00e9', '\\u03a3', '\\u03c2',
  '\\ud83d', '\\ude00', '\\u004', '\\u', '\\u{2}'];
const classEscapes = ['\\a', '\\z', '\\-', '\\q', '\\c', '\\cJ', '\\c1', '\\c_', '\\0', '\\07', '\\1', '\\18', '\\8', '\\x41',
  '\\x4', '\\u00e9', '\\u', '\\k', '\\p', '\\b', '\\B', '\\x41-\\x5a', '\\a-\\z', '\\0-\\37', '!-\\c', '\\cA-\\cZ',
  '\\u0391-\\u03c9'];
// Pattern atoms: literals (escaped where they are syntax), classes, escapes and anchors.
const literal = () => {
  const c = pick(letters);
  return c === '.' ? '\\.' : c === '\\' ? '\\\\' : c;
};
const classItem = () => {
  const r = random();
  if (r < 0.2) return pick(['\\d', '\\w', '\\s', '\\D', '\\W', '\\S']);
  if (r < 0.3) return pick(classEscapes);
  if (r < 0.45) return pick(['a-z', 'A-Z', '0-9', 'à-ÿ', 'α-ω', 'a-c', '+-\\s', 'a-\\d', '\\Þ-ß', '\\É-\\é']);
  const c = pick(letters.filter((l) => l !== '-'));
  return c === ']' || c === '\\' || c === '^' ? '\\' + c : c;
};
function atom(depth) {
  const r = random();
  if (r < 0.3) return literal();
  if (r < 0.4) return pick(escapes);
  if (r < 0.45) return '.';
  if (r < 0.55) return pick(['\\d', '\\w', '\\s', '\\D', '\\W', '\\S']);
  if (r < 0.7) return `[${random() < 0.3 ? '^' : ''}${Array.from({ length: 1 + Math.floor(random() * 3) }, classItem).join('')}]`;
  if (r < 0.8 && depth < 2) return `(${pick(['', '', '?:', '?<n>'])}${alternation(depth + 1)})`;
  if (r < 0.9) return pick(['^', '$', '\\b', '\\B']);
  return literal();
}
const quantifier = () => {
  const r = random();
  if (r < 0.6) return '';
  const q = pick(['*', '+', '?', '{2}', '{1,}', '{0,2}', '{1,3}', '{', '{,2}', '{a}']);
  return q + (random() < 0.2 ? '?' : '');
};
function concat(depth) {
  let out = '';
  for (let i = 1 + Math.floor(random() * 4); i > 0; i--) {
    const a = atom(depth);
    out += a + (/^(\^|\$|\\b|\\B)$/.test(a) ? '' : quantifier());
  }
  return out;
}
function alternation(depth) {
  const parts = [concat(depth)];
  while (random() < 0.25) parts.push(concat(depth));
  return parts.join('|');
}
// Whether JavaScript reads a back-reference in `pattern`: `\k` in a pattern with a named group, or `\N` outside a
// class where the pattern has N groups or more (`exec` on an alternative that matches gives one slot a group).
function backReference(pattern) {
  const { named, k } = walk(pattern);
  if (named.length && k) return true;
  const groups = new RegExp(pattern + '|').exec('').length - 1;
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      const digits = /^[1-9]\d*/.exec(pattern.slice(i + 1));
      if (!inClass && digits && Number(digits[0]) <= groups) return true;
      i++;
    } else if (c === '[') inClass = true;
    else if (c === ']') inClass = false;
  }
  return false;
}
const text = () => Array.from({ length: Math.floor(random() * 7) }, () => pick(letters)).join('');

// The rule's string literal: backslashes, quotes and line breaks escaped (docs/rules.md, Grammar). Other
// characters, line separators included, are written as they are.
const quote = (s) => '"' + s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r') + '"';

const lines = [];
const answers = { true: 0, false: 0 };
for (let i = 0; lines.length < COUNT; i++) {
  const insensitive = random() < 0.3;
  const pattern = alternation(0);
  let regex;
  try {
    regex = new RegExp(pattern, insensitive ? 'i' : '');
  } catch {
    continue; // not a pattern JavaScript accepts either (a range out of order): no answer to compare with
  }
  if (backReference(pattern)) continue;
  const t = text();
  const expect = regex.test(t);
  answers[expect]++;
  const rule = `traits.t matches ${quote((insensitive ? '(?i)' : '') + pattern)}`;
  lines.push(JSON.stringify({ name: `random ${lines.length}: /${pattern}/${insensitive ? 'i' : ''}`, rule, input: { traits: { t } }, expect }));
}

// Part two: patterns made invalid. Each is a random pattern as above with one mutation that usually makes it one
// JavaScript refuses: a parenthesis or bracket added or removed, a quantifier with nothing to repeat or with its
// numbers out of order, a quantified assertion, a bad group (`(?`, `(?<1>`, an unclosed name, a duplicate name),
// look-around, a class range out of order, a trailing `\`, a back-reference. Some stay valid (a lone `{`, a `]`),
// which checks that `matches` accepts them. Each case records what JavaScript does with the pattern:
// - it refuses it (SyntaxError): `javascript` holds its message and `errors` a `bad-regex` that `matches` must give;
// - it accepts it but the pattern uses what docs/rules.md lists as unsupported (back-references, look-around, a
//   group name beyond ASCII): `unsupported` names the features and `matches` must refuse the pattern with a message
//   that names one of them;
// - it accepts it otherwise: a text and JavaScript's answer, as above.
// Duplicate group names are judged as ES2025 (Chromium 125 and later) judges them, not as Node 20's V8, which refuses
// every duplicate: allowed in different alternatives of one disjunction (`(?<n>a)|(?<n>b)`), refused elsewhere.
const MUTATED = Number(args.mutated ?? 850);
const BAD_REGEX = [{ code: 'bad-regex', line: 1, column: 18 }];
// A place in `p`, not inside a surrogate pair (a rule's string is UTF-8 and cannot hold half a character).
const spot = (p) => {
  const i = Math.floor(random() * (p.length + 1));
  return /[\udc00-\udfff]/.test(p[i] ?? '') ? i - 1 : i;
};
const insert = (p, s) => {
  const i = spot(p);
  return p.slice(0, i) + s + p.slice(i);
};
// `open` … `)` around a random stretch of `p`.
const wrap = (p, open, close = ')') => {
  const [i, j] = [spot(p), spot(p)].sort((a, b) => a - b);
  return p.slice(0, i) + open + p.slice(i, j) + close + p.slice(j);
};
const removeOne = (p, chars) => {
  const at = p.split('').map((c, i) => (chars.includes(c) ? i : -1)).filter((i) => i >= 0);
  if (!at.length) return p + ')';
  const i = pick(at);
  return p.slice(0, i) + p.slice(i + 1);
};
const names = ['n', 'n', 'a', '$', '_1', 'a1', '1', '1a', '', 'a-b', 'a b', 'é', 'σ', '😀', '𝒜', '\\u006e', '\\u{6e}',
  '\\u{61}', '\\x6e', '\\u006', '\\k', 'a\\u200d', 'n>'];
const mutations = [
  (p) => insert(p, '('),
  (p) => insert(p, ')'),
  (p) => insert(p, '['),
  (p) => removeOne(p, '()[]'),
  (p) => insert(p, pick(['*', '+', '?', '{2}', '{1,3}', '*?', '{0}'])),
  (p) => pick(['*', '+', '?', '{2}', '{1,}', '|*', '(*)', '(?:+)']) + p,
  (p) => `(?:${p})` + pick(['**', '+*', '*+', '???', '{2}{3}', '{2}*', '*{2}', '+{1,}', '{1}?+', '{2,1}', '{3,2}', '{1,0}?']),
  (p) => insert(p, pick(['x', '.', '[a]', '\\d', '(a)']) + pick(['{2,1}', '{9,3}', '{1,0}'])),
  (p) => insert(p, pick(['^', '$', '\\b', '\\B']) + pick(['*', '+', '?', '{2}', '{0,1}', '*?'])),
  (p) => wrap(p, pick(['(?', '(?<', '(?P<n>', '(?i)', '(?i:', '(?-i:', '(?m:', '(?x', '(?<=', '(?<!', '(?=', '(?!'])),
  (p) => wrap(p, `(?<${pick(names)}>`),
  (p) => wrap(p, `(?<${pick(names)}`, ''),
  (p) => wrap(wrap(p, '(?<n>'), pick(['(?<n>', '(?<\\u006e>', '(?<m>'])),
  (p) => `(?<n>${p})|` + pick(['(?<n>', '(?<m>', '(?:(?<n>', '((?<n>x)|(?<n>', '(?<n>(?<n>']) + alternation(1) + ')'.repeat(1 + Math.floor(random() * 2)),
  (p) => `(?:(?<n>${alternation(1)})|${alternation(1)})` + pick(['|', '']) + `(?<n>${p})`,
  (p) => wrap(p, pick(['(?=', '(?!', '(?<=', '(?<!']), ')' + pick(['', '*', '+', '?', '{2}'])),
  (p) => insert(p, `[${pick(['', '^', 'x'])}${pick(['z-a', 'b-a', '\\x5a-\\x41', 'ω-α', '9-0', '\\u00e9-\\u00c9', 'a-\\b', '\\c-a', '\\z-\\a', '~-!', 'a-a', '\\d-a', 'a--'])}]`),
  (p) => p + pick(['\\', '[\\', '[a\\', '(\\']),
  (p) => pick(['(a)', '(?<n>a)', '(?:a)']) + insert(p, pick(['\\1', '\\2', '\\k<n>', '\\k<m>', '\\k', '\\k<n', '[\\k]'])),
  (p) => insert(p, pick(['{', '}', ']', '{,2}', '{a}', 'x{2,', '{1', '\\{2}', '[{2}]', '{2'])),
];
const mutate = (p) => pick(mutations)(p);

// A walk over a pattern JavaScript accepts (or accepts but for duplicate names): its named groups, each with its
// name (escapes decoded), where the name is in the pattern and the alternatives it lies in (a list of [disjunction,
// alternative]); whether it has look-around; whether it has a `\k`.
function walk(pattern) {
  const named = [];
  let lookAround = false;
  let k = false;
  const stack = [[0, 0]];
  let disjunctions = 1;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') k = pattern[++i] === 'k' || k;
    else if (c === '[') {
      for (i++; i < pattern.length && pattern[i] !== ']'; i++) if (pattern[i] === '\\') k = pattern[++i] === 'k' || k;
    } else if (c === '(') {
      if (/^\(\?(=|!|<=|<!)/.test(pattern.slice(i))) lookAround = true;
      else if (pattern.startsWith('(?<', i)) {
        const end = pattern.indexOf('>', i);
        const name = pattern.slice(i + 3, end).replace(/\\u\{([0-9a-fA-F]+)\}|\\u([0-9a-fA-F]{4})/g, (_, a, b) => String.fromCodePoint(parseInt(a ?? b, 16)));
        named.push({ name, start: i + 3, end, path: stack.map((s) => [...s]) });
      }
      stack.push([disjunctions++, 0]);
    } else if (c === ')' && stack.length > 1) stack.pop();
    else if (c === '|') stack[stack.length - 1][1]++;
  }
  return { named, lookAround, k };
}
// Whether two groups lie in different alternatives of one disjunction, so that both cannot take part in a match.
function exclusive(x, y) {
  for (let k = 0; k < Math.min(x.path.length, y.path.length); k++) {
    if (x.path[k][0] !== y.path[k][0]) return false;
    if (x.path[k][1] !== y.path[k][1]) return true;
  }
  return false;
}
// What JavaScript (ES2025) does with `pattern`: the RegExp, or the SyntaxError's message. Node 20 refuses every
// duplicate name: the same pattern with the duplicates renamed tells whether that is all it refuses.
function judge(pattern, flags) {
  try {
    return { regex: new RegExp(pattern, flags), pattern };
  } catch (e) {
    const message = e.message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '');
    if (!/Duplicate capture group name/.test(message)) return { message };
    const { named } = walk(pattern);
    let renamed = pattern;
    for (let k = named.length - 1; k >= 0; k--) renamed = renamed.slice(0, named[k].start) + `d${k}` + renamed.slice(named[k].end);
    let regex;
    try {
      regex = new RegExp(renamed, flags);
    } catch {
      return { message };
    }
    const clash = named.some((x, i) => named.some((y, j) => i < j && x.name === y.name && !exclusive(x, y)));
    return clash ? { message } : { regex, pattern: renamed, duplicates: true };
  }
}

const kinds = { refused: 0, unsupported: 0, accepted: 0 };
for (let n = 0; n < MUTATED; n++) {
  const insensitive = random() < 0.3;
  const pattern = mutate(alternation(1));
  // A rule reads a leading `(?i)` as the flag, not as the inline flag JavaScript refuses: judged as a rule reads it,
  // it is a case above.
  if (pattern.startsWith('(?i)')) {
    n--;
    continue;
  }
  const flags = insensitive ? 'i' : '';
  const rule = `traits.t matches ${quote((insensitive ? '(?i)' : '') + pattern)}`;
  const verdict = judge(pattern, flags);
  if (!verdict.regex) {
    kinds.refused++;
    lines.push(JSON.stringify({ name: `mutated ${n} (refused)`, rule, javascript: verdict.message, errors: BAD_REGEX }));
    continue;
  }
  const { named, lookAround } = walk(pattern);
  const unsupported = [];
  if (backReference(verdict.pattern)) unsupported.push('back-reference');
  if (lookAround) unsupported.push('look-around');
  if (named.some((g) => /[^\x00-\x7f]/.test(g.name))) unsupported.push('group name');
  if (unsupported.length) {
    kinds.unsupported++;
    lines.push(JSON.stringify({ name: `mutated ${n} (unsupported)`, rule, unsupported, errors: BAD_REGEX }));
    continue;
  }
  kinds.accepted++;
  const t = text();
  const expect = verdict.regex.test(t);
  const note = verdict.duplicates ? ' (duplicate names in different alternatives: Node 20 refuses them, ES2025 accepts them)' : '';
  lines.push(JSON.stringify({ name: `mutated ${n}${note}`, rule, input: { traits: { t } }, expect }));
}
const out = join(import.meta.dirname, args.out ?? 'regex-differential.json');
writeFileSync(out, `{"generator": "tests/rules/regex-differential.mjs", "node": "${process.version}", "cases": [\n${lines.join(',\n')}\n]}\n`);
console.log(`${out}: ${COUNT} random cases (${answers.true} true, ${answers.false} false), ${MUTATED} mutated (${kinds.refused} refused by JavaScript, ${kinds.accepted} accepted, ${kinds.unsupported} unsupported here)`);
