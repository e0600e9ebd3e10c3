import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { startHttpServer, parseRange } from '../../../lab/server/http.js';
import { parseScenario } from '../../../lab/server/scenario.js';
import { HttpTransport } from '../../../platform/node/http-transport.js';
import { decodeMessage, encodeMessage } from '../../../agent/syncml/codec.js';
import { makeServer, devMsg, pkg1Body, hdrStatusOf, exampleCatalog } from './fixtures.js';

function get(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    request(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    })
      .on('error', reject)
      .end();
  });
}

test('packages over HTTP: a package changed on disk is served new (bytes and ETag); one over 1 MiB is streamed whole', async () => {
  const { server } = makeServer();
  const dir = mkdtempSync(join(tmpdir(), 'pkgs-'));
  const http = await startHttpServer({ server, packagesDir: dir });
  try {
    writeFileSync(join(dir, 'app.bin'), 'version one');
    const first = await get(`${http.packagesUrl}/app.bin`);
    assert.equal(first.body.toString(), 'version one');
    assert.equal((await get(`${http.packagesUrl}/app.bin`)).body.toString(), 'version one');
    // Same size, later mtime: a cache keyed on the name alone would serve the old bytes.
    writeFileSync(join(dir, 'app.bin'), 'version two');
    utimesSync(join(dir, 'app.bin'), new Date(), new Date(Date.now() + 5000));
    const second = await get(`${http.packagesUrl}/app.bin`);
    assert.equal(second.body.toString(), 'version two');
    assert.notEqual(second.headers.etag, first.headers.etag);
    // A resume that names the old version gets the whole new file.
    const resumed = await get(`${http.packagesUrl}/app.bin`, { Range: 'bytes=8-', 'If-Range': String(first.headers.etag) });
    assert.equal(resumed.status, 200);
    assert.equal(resumed.body.toString(), 'version two');
    const big = Buffer.alloc((1 << 20) + 12345, 0);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff;
    writeFileSync(join(dir, 'big.bin'), big);
    assert.deepEqual((await get(`${http.packagesUrl}/big.bin`)).body, big);
    const tail = await get(`${http.packagesUrl}/big.bin`, { Range: 'bytes=1048576-' });
    assert.equal(tail.status, 206);
    assert.deepEqual(tail.body, big.subarray(1 << 20));
  } finally {
    await http.close();
  }
});

test('parseRange: a-b, a-, -n; 416 cases', () => {
  assert.deepEqual(parseRange('bytes=0-9', 100), { start: 0, end: 9 });
  assert.deepEqual(parseRange('bytes=90-', 100), { start: 90, end: 99 });
  assert.deepEqual(parseRange('bytes=-10', 100), { start: 90, end: 99 });
  assert.deepEqual(parseRange('bytes=50-500', 100), { start: 50, end: 99 });
  assert.equal(parseRange(undefined, 100), undefined);
  for (const bad of ['bytes=100-', 'bytes=5-2', 'bytes=0-1,4-5', 'items=0-1', 'bytes=-0', 'bytes=-'])
    assert.equal(parseRange(bad, 100), 'unsatisfiable', bad);
});

test('packages over HTTP: whole file, 206 with the right bytes, resume from an offset, 416, 404', async () => {
  const { server } = makeServer();
  const catalog = exampleCatalog();
  const http = await startHttpServer({ server, packagesDir: catalog.packagesDir });
  try {
    const entry = catalog.entries[0]!;
    const file = readFileSync(entry.file);
    const whole = await get(`${http.packagesUrl}/${entry.fileName}`);
    assert.equal(whole.status, 200);
    assert.deepEqual(whole.body, file);
    assert.equal(whole.headers['accept-ranges'], 'bytes');
    const part = await get(`${http.packagesUrl}/${entry.fileName}`, { Range: 'bytes=0-19' });
    assert.equal(part.status, 206);
    assert.equal(part.headers['content-range'], `bytes 0-19/${file.length}`);
    assert.deepEqual(part.body, file.subarray(0, 20));
    // A cut download resumes where it stopped; the two halves make the file.
    const rest = await get(`${http.packagesUrl}/${entry.fileName}`, { Range: 'bytes=20-' });
    assert.equal(rest.status, 206);
    assert.deepEqual(Buffer.concat([part.body, rest.body]), file);
    const tooFar = await get(`${http.packagesUrl}/${entry.fileName}`, { Range: `bytes=${file.length}-` });
    assert.equal(tooFar.status, 416);
    assert.equal(tooFar.headers['content-range'], `bytes */${file.length}`);
    // If-Range with a stale validator: the whole (new) file, never a splice.
    const stale = await get(`${http.packagesUrl}/${entry.fileName}`, { Range: 'bytes=20-', 'If-Range': '"old"' });
    assert.equal(stale.status, 200);
    assert.equal((await get(`${http.packagesUrl}/..%2Fcatalog.json`)).status, 404);
    // A malformed percent-encoding is the client's error; it used to throw in the handler and end the process.
    const malformed = await get(`${http.packagesUrl}/%ZZ%E0%A4%A`);
    assert.equal(malformed.status, 400);
    assert.match(malformed.body.toString(), /malformed percent-encoding/);
    assert.equal((await get(`${http.packagesUrl}/${entry.fileName}`)).status, 200, 'and the server goes on');
    assert.equal((await get(`${http.packagesUrl}/nope.json`)).status, 404);
  } finally {
    await http.close();
  }
});

test('POST /dm through the agent HTTP transport: a message without Cred gets 407; the reply content type mirrors the encoding', async () => {
  const { server } = makeServer();
  const http = await startHttpServer({ server, packagesDir: exampleCatalog().packagesDir, announcePackages: true });
  try {
    const t = new HttpTransport({ retries: 0, timeoutMs: 5000 });
    for (const enc of ['xml', 'wbxml'] as const) {
      const body = encodeMessage(devMsg({ sessionId: enc, msgId: 1, body: pkg1Body() }), enc);
      const r = await t.exchange({ uri: http.url, body, contentType: `application/vnd.syncml.dm+${enc}`, sessionId: enc, msgId: '1' });
      assert.equal(r.contentType, `application/vnd.syncml.dm+${enc}`);
      assert.equal(hdrStatusOf(decodeMessage(r.body)).data, '407');
    }
    const bad = await new Promise<number>((resolve) => {
      request(http.url, { method: 'POST', headers: { 'Content-Type': 'application/vnd.syncml.dm+xml' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).end('<oops');
    });
    assert.equal(bad, 400);
    assert.equal((await get(http.url)).status, 405);
  } finally {
    await http.close();
  }
});

test('injected http-500 and dropped connection reach the device as such; the retry after a drop succeeds', async () => {
  const { server } = makeServer({
    scenario: parseScenario({
      failures: [
        { kind: 'http-500-at-message', message: 1 },
        { kind: 'drop-connection-at-message', message: 1 },
      ],
    }),
  });
  const http = await startHttpServer({ server, packagesDir: exampleCatalog().packagesDir });
  try {
    const body = encodeMessage(devMsg({ msgId: 1, body: pkg1Body() }), 'xml');
    const out = { uri: http.url, body, contentType: 'application/vnd.syncml.dm+xml', sessionId: '1A2B', msgId: '1' };
    await assert.rejects(
      new HttpTransport({ retries: 0 }).exchange(out),
      (e: Error & { info?: { httpStatus?: number } }) => e.info?.httpStatus === 500,
    );
    await assert.rejects(
      new HttpTransport({ retries: 0 }).exchange(out),
      (e: Error & { info?: { kind?: string } }) => e.info?.kind === 'reset',
    );
    const r = await new HttpTransport({ retries: 0 }).exchange(out);
    assert.equal(hdrStatusOf(decodeMessage(r.body)).data, '407');
  } finally {
    await http.close();
  }
});

test("a lab behind a public URL: that URL is the DM server's and the packages' (what serve prints), not the address it listens on", async () => {
  const { startLab } = await import('../../../lab/server/lab.js');
  const { parseDevices } = await import('../../../lab/server/auth.js');
  const { exampleCatalog } = await import('./fixtures.js');
  const lab = await startLab({
    catalog: exampleCatalog(),
    devices: parseDevices([{ username: 'dmuser', password: 'dmpass', auth: 'md5' }]),
    host: '127.0.0.1',
    publicUrl: 'http://192.0.2.7:8080/',
  });
  try {
    assert.equal(lab.dmUrl, 'http://192.0.2.7:8080/dm');
    assert.equal(lab.packagesUrl, 'http://192.0.2.7:8080/packages');
    assert.match(lab.http.packagesUrl, /^http:\/\/127\.0\.0\.1:\d+\/packages$/, 'where it listens is another thing');
  } finally {
    await lab.close();
  }
});
