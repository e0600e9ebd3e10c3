// What every Downloader port over HTTP must do, checked through the port alone: each adapter's test file
// runs it with its own constructor and adds what is particular to it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Downloader } from '../../agent/ports.js';
import { TransportError } from '../../platform/node/transport-error.js';
import { FILE, packageServer } from './package-server.js';

export function downloaderContract(label: string, make: (o?: { maxBytes?: number }) => Downloader): void {
  test(`${label}: a transfer cut at byte 20000 keeps what arrived and resumes with Range from it; the bytes are exact`, async () => {
    const srv = await packageServer({ cutAt: 20_000 });
    const d = make();
    try {
      await assert.rejects(d.fetch({ url: srv.url, id: 'p1', offset: 0 }), (e: unknown) => e instanceof TransportError && e.info.retryable);
      assert.equal(d.storedSize('p1'), 20_000);
      assert.deepEqual(d.read('p1', 0, 20_000), FILE.subarray(0, 20_000));
      const progress: number[] = [];
      const r = await d.fetch({ url: srv.url, id: 'p1', offset: d.storedSize('p1'), onProgress: (n) => progress.push(n) });
      assert.deepEqual(r, { size: FILE.length, total: FILE.length });
      assert.deepEqual(srv.seen, [undefined, 'bytes=20000-']);
      assert.ok(progress[0]! > 20_000, 'progress counts from the stored byte');
      assert.equal(progress.at(-1), FILE.length);
      assert.deepEqual(d.read('p1', 0, FILE.length), FILE);
      assert.deepEqual(d.read('p1', 49_990, 100), FILE.subarray(49_990));
      // Already whole: 416 for bytes past the end is success.
      assert.deepEqual(await d.fetch({ url: srv.url, id: 'p1', offset: FILE.length }), { size: FILE.length, total: FILE.length });
      d.discard('p1');
      assert.equal(d.storedSize('p1'), 0);
    } finally {
      await srv.close();
    }
  });

  test(`${label}: a server that ignores Range gets the package stored again from byte 0, not appended`, async () => {
    const srv = await packageServer({ cutAt: 10_000 });
    const d = make();
    await assert.rejects(d.fetch({ url: srv.url, id: 'p', offset: 0 }));
    await srv.close();
    const plain = await packageServer({ ignoreRange: true });
    try {
      const r = await d.fetch({ url: plain.url, id: 'p', offset: d.storedSize('p') });
      assert.equal(r.size, FILE.length);
      assert.equal(d.storedSize('p'), FILE.length);
      assert.deepEqual(d.read('p', 0, FILE.length), FILE);
    } finally {
      await plain.close();
    }
  });

  test(`${label}: HTTP errors, bad URLs and oversized packages are coded, with retryable set right`, async () => {
    const d = make({ maxBytes: 1000 });
    for (const [status, retryable] of [
      [404, false],
      [503, true],
    ] as const) {
      const srv = await packageServer({ status });
      try {
        await assert.rejects(
          d.fetch({ url: srv.url, id: 'x', offset: 0 }),
          (e: unknown) =>
            e instanceof TransportError &&
            e.info.httpStatus === status &&
            e.info.retryable === retryable &&
            e.message.includes(String(status)) &&
            // Where the agent's download loop reads them (agent/scomo/operations.ts): a 404 is not tried again,
            // a 5xx is reported as 1500.
            e.retryable === retryable &&
            e.httpStatus === status,
        );
      } finally {
        await srv.close();
      }
    }
    await assert.rejects(d.fetch({ url: 'ftp://x/y', id: 'x', offset: 0 }), /only http and https/);
    await assert.rejects(d.fetch({ url: 'not a url', id: 'x', offset: 0 }), /not a URL/);
    const big = await packageServer();
    try {
      await assert.rejects(d.fetch({ url: big.url, id: 'x', offset: 0 }), /larger than the 1000 bytes/);
      assert.equal(d.storedSize('x'), 0);
    } finally {
      await big.close();
    }
  });
}
