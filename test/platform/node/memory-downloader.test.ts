import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryDownloader } from '../../../platform/node/memory-downloader.js';
import { FILE, packageServer } from '../../helpers/package-server.js';
import { downloaderContract } from '../../helpers/downloader-contract.js';

downloaderContract('memory', (o) => new MemoryDownloader(o));

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

test('memory: options out of range are refused', () => {
  assert.throws(() => new MemoryDownloader({ idleTimeoutMs: 0 }), /idleTimeoutMs/);
  assert.throws(() => new MemoryDownloader({ maxBytes: -1 }), /maxBytes/);
});
