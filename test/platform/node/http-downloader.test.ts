import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { HttpDownloader } from '../../../platform/node/http-downloader.js';
import { TransportError } from '../../../platform/node/transport-error.js';
import { FILE, packageServer } from '../../helpers/package-server.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

test('a transfer cut at byte 20000 resumes with Range from the stored byte; the file is whole and exact', async () => {
  const srv = await packageServer({ cutAt: 20_000 });
  const d = new HttpDownloader(mkdtempSync(join(tmpdir(), 'dl-')));
  try {
    await assert.rejects(d.fetch({ url: srv.url, id: 'p1', offset: 0 }), (e: unknown) => e instanceof TransportError && e.info.retryable);
    assert.equal(d.storedSize('p1'), 20_000);
    const progress: number[] = [];
    const r = await d.fetch({ url: srv.url, id: 'p1', offset: d.storedSize('p1'), onProgress: (n) => progress.push(n) });
    assert.deepEqual(r, { size: FILE.length, total: FILE.length });
    assert.deepEqual(srv.seen, [undefined, 'bytes=20000-']);
    assert.equal(progress.at(-1), FILE.length);
    assert.ok(progress[0]! > 20_000, 'progress counts from the stored byte');
    assert.equal(sha(readFileSync(d.path('p1'))), sha(FILE));
    assert.deepEqual(d.read('p1', 49_990, 100), FILE.subarray(49_990));
    // Already whole: the server says 416 for bytes past the end, and that is success.
    assert.deepEqual(await d.fetch({ url: srv.url, id: 'p1', offset: FILE.length }), { size: FILE.length, total: FILE.length });
    d.discard('p1');
    assert.equal(d.storedSize('p1'), 0);
  } finally {
    await srv.close();
  }
});

test('a server that ignores Range: the package is written again from byte 0, not appended', async () => {
  const srv = await packageServer({ cutAt: 10_000 });
  const dir = mkdtempSync(join(tmpdir(), 'dl-'));
  const d = new HttpDownloader(dir);
  await assert.rejects(d.fetch({ url: srv.url, id: 'p', offset: 0 }));
  await srv.close();
  const plain = await packageServer({ ignoreRange: true });
  try {
    const r = await d.fetch({ url: plain.url, id: 'p', offset: d.storedSize('p') });
    assert.equal(r.size, FILE.length);
    assert.equal(sha(readFileSync(d.path('p'))), sha(FILE));
  } finally {
    await plain.close();
  }
});

test('HTTP errors, bad URLs and oversized packages are coded, with retryable set right', async () => {
  const d = new HttpDownloader(mkdtempSync(join(tmpdir(), 'dl-')), { maxBytes: 1000 });
  for (const [status, retryable] of [[404, false], [503, true]] as const) {
    const srv = await packageServer({ status });
    try {
      await assert.rejects(d.fetch({ url: srv.url, id: 'x', offset: 0 }),
        (e: unknown) => e instanceof TransportError && e.info.httpStatus === status && e.info.retryable === retryable && e.message.includes(String(status)));
    } finally {
      await srv.close();
    }
  }
  await assert.rejects(d.fetch({ url: 'ftp://x/y', id: 'x', offset: 0 }), /only http and https/);
  await assert.rejects(d.fetch({ url: 'not a url', id: 'x', offset: 0 }), /not a URL/);
  const big = await packageServer();
  try {
    await assert.rejects(d.fetch({ url: big.url, id: 'x', offset: 0 }), /larger than the 1000 bytes/);
  } finally {
    await big.close();
  }
  assert.throws(() => new HttpDownloader(tmpdir(), { idleTimeoutMs: 0 }), /idleTimeoutMs/);
});
