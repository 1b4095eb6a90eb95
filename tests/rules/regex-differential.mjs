// Writes tests/rules/regex-differential.json: random patterns of the subset `matches` supports (docs/rules.md,
// "Regexes") and random texts, each with the answer JavaScript's own `RegExp.prototype.test` gives (no flags, or
// `i` for a leading `(?i)`; as GrowthBook's `$regex` and `$regexi` run them). The data-driven runner
// (tests/rules/main.rs) checks that `traits.t matches "..."` gives the same answer. Texts and patterns mix ASCII,
// Latin and Greek letters, line terminators, Unicode white space and characters outside the Basic Multilingual
// Plane (which JavaScript sees as two UTF-16 code units). Patterns also hold the escapes JavaScript reads its own
// way without the `u` flag: identity escapes (`\q`, `\-`, `\p`, `\k`), `\c` with and without a control letter,
// legacy octal escapes (`\07`, `\1` where the pattern has no group 1), `\x` and `\u` with and without their
// hex digits, `[\b]` and `[\B]`; a pattern JavaScript reads a back-reference in is left out (`matches` refuses
// back-references). The seed is fixed; regenerate with
//   node tests/rules/regex-differential.mjs
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { seeded } from './random.mjs';

const COUNT = 3500;
const { random, pick } = seeded(1127);

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
  if (/\(\?<[^=!]/.test(pattern) && pattern.includes('\\k')) return true;
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
const out = join(import.meta.dirname, 'regex-differential.json');
writeFileSync(out, `{"generator": "tests/rules/regex-differential.mjs", "node": "${process.version}", "cases": [\n${lines.join(',\n')}\n]}\n`);
console.log(`${out}: ${COUNT} cases (${answers.true} true, ${answers.false} false)`);
