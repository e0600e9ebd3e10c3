import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { HttpDownloader } from '../../../platform/node/http-downloader.js';
import { FILE, packageServer } from '../../helpers/package-server.js';
import { downloaderContract } from '../../helpers/downloader-contract.js';

downloaderContract('file', (o) => new HttpDownloader(mkdtempSync(join(tmpdir(), 'dl-')), o));

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

test('file: a package resumed after a cut is one file on disk, byte for byte the package', async () => {
  const srv = await packageServer({ cutAt: 20_000 });
  const d = new HttpDownloader(mkdtempSync(join(tmpdir(), 'dl-')));
  try {
    await assert.rejects(d.fetch({ url: srv.url, id: 'p1', offset: 0 }));
    assert.equal(readFileSync(d.path('p1')).length, 20_000);
    await d.fetch({ url: srv.url, id: 'p1', offset: d.storedSize('p1') });
    assert.equal(sha(readFileSync(d.path('p1'))), sha(FILE));
  } finally {
    await srv.close();
  }
});

test('file: options out of range are refused', () => {
  assert.throws(() => new HttpDownloader(tmpdir(), { idleTimeoutMs: 0 }), /idleTimeoutMs/);
  assert.throws(() => new HttpDownloader(tmpdir(), { maxBytes: 0 }), /maxBytes/);
  // A timer over 2^31-1 ms overflows: Node warns and fires it after 1 ms, so every attempt would end at once.
  assert.throws(() => new HttpDownloader(tmpdir(), { idleTimeoutMs: 1e12 }), /idleTimeoutMs must be > 0 and at most 600000/);
  assert.throws(() => new HttpDownloader(tmpdir(), { maxBytes: 2 ** 53 }), /maxBytes must be an integer > 0 and at most/);
  assert.ok(new HttpDownloader(mkdtempSync(join(tmpdir(), 'dl-')), { idleTimeoutMs: 600000 }), 'the bound itself is taken');
});
