import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryDownloader } from '../../../platform/node/memory-downloader.js';
import { TransportError } from '../../../platform/node/transport-error.js';
import { FILE, packageServer } from '../../helpers/package-server.js';

test('memory: a transfer cut at byte 20000 keeps what arrived and resumes with Range from it; the bytes are exact', async () => {
  const srv = await packageServer({ cutAt: 20_000 });
  const d = new MemoryDownloader();
  try {
    await assert.rejects(d.fetch({ url: srv.url, id: 'p1', offset: 0 }), (e: unknown) => e instanceof TransportError && e.info.retryable);
    assert.equal(d.storedSize('p1'), 20_000);
    assert.deepEqual(d.read('p1', 0, 20_000), FILE.subarray(0, 20_000));
    const progress: number[] = [];
    const r = await d.fetch({ url: srv.url, id: 'p1', offset: d.storedSize('p1'), onProgress: (n) => progress.push(n) });
    assert.deepEqual(r, { size: FILE.length, total: FILE.length });
    assert.deepEqual(srv.seen, [undefined, 'bytes=20000-']);
    assert.equal(progress.at(-1), FILE.length);
    assert.deepEqual(d.read('p1', 0, FILE.length), FILE);
    // Already whole: 416 for bytes past the end is success.
    assert.deepEqual(await d.fetch({ url: srv.url, id: 'p1', offset: FILE.length }), { size: FILE.length, total: FILE.length });
    d.discard('p1');
    assert.equal(d.storedSize('p1'), 0);
  } finally {
    await srv.close();
  }
});

test('memory: a server that ignores Range gets the package stored again from byte 0, not appended', async () => {
  const srv = await packageServer({ cutAt: 10_000 });
  const d = new MemoryDownloader();
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

test('memory: 200 downloads in a row reuse kept-alive connections', async () => {
  const srv = await packageServer();
  const d = new MemoryDownloader();
  try {
    for (let i = 0; i < 200; i++) {
      assert.equal((await d.fetch({ url: srv.url, id: `p${i}`, offset: 0 })).size, FILE.length);
      d.discard(`p${i}`);
    }
    assert.equal(srv.seen.length, 200);
    assert.ok(srv.connections() <= 2, `${srv.connections()} connections for 200 downloads`);
  } finally {
    await srv.close();
  }
});

test('memory: HTTP errors, bad URLs, oversized packages and bad options are coded errors', async () => {
  const d = new MemoryDownloader({ maxBytes: 1000 });
  for (const [status, retryable] of [[404, false], [503, true]] as const) {
    const srv = await packageServer({ status });
    try {
      await assert.rejects(d.fetch({ url: srv.url, id: 'x', offset: 0 }),
        (e: unknown) => e instanceof TransportError && e.info.httpStatus === status && e.info.retryable === retryable);
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
  assert.throws(() => new MemoryDownloader({ idleTimeoutMs: 0 }), /idleTimeoutMs/);
  assert.throws(() => new MemoryDownloader({ maxBytes: -1 }), /maxBytes/);
});
