// The real collector's answers to bad requests: 400, 401, 413 with JSON error bodies and nothing stored.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startCollector } from './helpers.mjs';

let collector;
before(async () => {
  collector = await startCollector();
});
after(async () => {
  await collector.stop();
});

const post = (body, headers = {}) =>
  fetch(collector.url + '/v1/batch', { method: 'POST', body, headers: { 'Content-Type': 'text/plain', ...headers } });
const message = (id) => ({
  type: 'track', event: 'E', messageId: id, anonymousId: 'a', timestamp: new Date().toISOString(), properties: {},
});

test('400 for malformed JSON', async () => {
  const res = await post('{"batch": [');
  assert.equal(res.status, 400);
  assert.equal(typeof (await res.json()).error.code, 'string');
});

test('401 for an unknown write key', async () => {
  const res = await post(JSON.stringify({ batch: [message('m-401')], writeKey: 'wk_nope' }));
  assert.equal(res.status, 401);
  assert.equal(typeof (await res.json()).error.code, 'string');
});

test('413 over 500 KB', async () => {
  const batch = [...Array(60)].map((_, i) => ({ ...message('m-413-' + i), properties: { pad: 'x'.repeat(9000) } }));
  const res = await post(JSON.stringify({ batch, writeKey: 'wk_demo' }));
  assert.equal(res.status, 413);
  assert.equal(typeof (await res.json()).error.code, 'string');
});

test('none of the refused requests stored anything; a good one is stored once', async () => {
  assert.equal(collector.events().length, 0);
  const body = JSON.stringify({ batch: [message('m-ok'), message('m-ok')], writeKey: 'wk_demo', sentAt: new Date().toISOString() });
  const res = await post(body);
  assert.equal(res.status, 200);
  const again = await post(body);
  assert.equal(again.status, 200);
  assert.deepEqual(collector.events().map((e) => e.messageId), ['m-ok']);
});
