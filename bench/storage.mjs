// Benchmark: what persisting the queue costs in headless Chromium, localStorage against IndexedDB, for the
// sizes a queue log reaches (each event's head is ~250 bytes; contexts are shared). Prints the median of 20
// writes per size. Usage: node bench/storage.mjs   (needs target/debug/wayline and js/dist)
import { startCollector, launch, openPage, root } from '../tests/e2e/helpers.mjs';
import { join } from 'node:path';

const collector = await startCollector({ www: join(root, 'tests', 'e2e', 'site') });
const browser = await launch();
try {
  const { page } = await openPage(browser);
  await page.goto(collector.url + '/manual.html');
  const rows = await page.evaluate(async () => {
    const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const db = await new Promise((resolve, reject) => {
      const req = indexedDB.open('bench', 1);
      req.onupgradeneeded = () => req.result.createObjectStore('q');
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    const out = [];
    for (const events of [10, 100, 1000, 5000]) {
      const text = 'wayline-queue 1\n' + 'e 1 1795622427197 1 {"type":"track","event":"Order Completed","properties":{"revenue":42,"currency":"EUR"},"messageId":"bf385820-4703-476c-9a6d-9bbd1ed33d77","anonymousId":"78634bc4-7af8-49fb-b1c8-41a03269cfd5","timestamp":"2026-11-25T16:00:27.303Z","context":\n'.repeat(events);
      const ls = [], idbTask = [], idbDone = [];
      for (let i = 0; i < 20; i++) {
        let t = performance.now();
        localStorage.setItem('bench', text + i);
        ls.push(performance.now() - t);
        t = performance.now();
        const tx = db.transaction('q', 'readwrite');
        tx.objectStore('q').put(text + i, 'log');
        idbTask.push(performance.now() - t);
        await new Promise((r) => (tx.oncomplete = r));
        idbDone.push(performance.now() - t);
      }
      localStorage.removeItem('bench');
      out.push({ events, bytes: text.length, ls: median(ls), idbTask: median(idbTask), idbDone: median(idbDone) });
    }
    return out;
  });
  console.log('events   bytes    localStorage.setItem   IndexedDB put (main-thread task)   IndexedDB put (until committed)');
  for (const r of rows) {
    console.log(`${String(r.events).padStart(6)} ${String(r.bytes).padStart(8)}  ${r.ls.toFixed(2).padStart(12)} ms  ${r.idbTask.toFixed(2).padStart(22)} ms  ${r.idbDone.toFixed(2).padStart(26)} ms`);
  }
} finally {
  await browser.close();
  await collector.stop();
}
