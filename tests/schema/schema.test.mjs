// The published JSON Schema of the config (js/src/config.schema.json) against the config checker the collector and
// the SDK use (`wayline check`): every case in cases.json must get the same verdict from both, and every config
// shipped in the repository and every config example in docs/ must pass both. The schema checks shape; the checker also compiles rules and resolves
// references, so the cases are shape errors only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2020 from 'ajv/dist/2020.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const schema = JSON.parse(readFileSync(join(root, 'js', 'src', 'config.schema.json'), 'utf8'));
const cases = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'cases.json'), 'utf8'));
const validate = new Ajv2020({ strict: true, strictRequired: false, allErrors: true, allowUnionTypes: true }).compile(schema);
const wayline = join(root, 'target', 'debug', 'wayline');
const dir = mkdtempSync(join(tmpdir(), 'wayline-schema-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

/** `wayline check` on a config: true when it exits 0. */
function checks(config) {
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify(config));
  try {
    execFileSync(wayline, ['check', file], { stdio: 'pipe' });
    return true;
  } catch (err) {
    if (err.status !== 1) throw err;
    return false;
  }
}

test('valid configs pass the schema and the checker', () => {
  for (const { why, config } of cases.valid) {
    assert.ok(validate(config), `${why}: ${JSON.stringify(validate.errors)}`);
    assert.ok(checks(config), `${why}: wayline check refused it`);
  }
});

test('each shape error is refused by the schema and by the checker', () => {
  for (const { why, config } of cases.invalid) {
    assert.equal(validate(config), false, `${why}: the schema accepted it`);
    assert.equal(checks(config), false, `${why}: wayline check accepted it`);
  }
});

test('the configs in the repository pass the schema', () => {
  const files = [
    'www/demo-config.json',
    'collector/tests/fixtures/rules/valid.json',
    'collector/tests/fixtures/rules/journey.json',
    'collector/tests/fixtures/rules/campaigns.json',
  ];
  for (const file of files) {
    const config = JSON.parse(readFileSync(join(root, file), 'utf8'));
    assert.ok(validate(config), `${file}: ${JSON.stringify(validate.errors)}`);
    assert.ok(checks(config), `${file}: wayline check refused it`);
  }
});

test('the config examples in the docs pass the schema and the checker', () => {
  // A ```json block whose members are all config members is a config (a rule snapshot also has `segments`); an
  // action on its own is put in a campaign.
  const members = ['segments', 'journeys', 'campaigns', 'campaignLimits', 'theme', 'strings'];
  let seen = 0;
  for (const file of readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md'))) {
    const text = readFileSync(join(root, 'docs', file), 'utf8');
    for (const [, block] of text.matchAll(/```json\n([\s\S]*?)```/g)) {
      let v;
      try {
        v = JSON.parse(block);
      } catch {
        continue; // an excerpt with `...`, not a document
      }
      if (!v || typeof v !== 'object' || Array.isArray(v)) continue;
      let config = null;
      const keys = Object.keys(v);
      if (keys.length && keys.every((k) => members.includes(k) || k === '$schema')) config = v;
      else if (['survey', 'reward', 'custom'].includes(v.type)) {
        config = { campaigns: [{ id: 'example', trigger: { sessionStart: true }, action: v }] };
      }
      if (!config) continue;
      seen++;
      const where = `docs/${file}: ${block.slice(0, 60).replace(/\s+/g, ' ')}`;
      assert.ok(validate(config), `${where}: ${JSON.stringify(validate.errors)}`);
      assert.ok(checks(config), `${where}: wayline check refused it`);
    }
  }
  assert.ok(seen >= 5, `only ${seen} config examples found in docs/`);
});
