// The HTTP binding against real sockets on 127.0.0.1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpTransport, TransportError } from '../../../platform/node/http-transport.js';
import type { OutboundMessage } from '../../../agent/ports.js';

async function server(handler: (req: IncomingMessage, res: ServerResponse, body: Buffer) => void) {
  const seen: { url: string; headers: IncomingMessage['headers']; body: Buffer }[] = [];
  const s = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      seen.push({ url: req.url ?? '', headers: req.headers, body });
      handler(req, res, body);
    });
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  return {
    port,
    seen,
    close: () =>
      new Promise<void>((r) => {
        s.closeAllConnections();
        s.close(() => r());
      }),
  };
}

const msg = (uri: string, extra: Partial<OutboundMessage> = {}): OutboundMessage => ({
  uri,
  body: new TextEncoder().encode('<SyncML/>'),
  contentType: 'application/vnd.syncml.dm+xml',
  sessionId: '1',
  msgId: '1',
  ...extra,
});
const fast = { retryDelayMs: 1, sleep: async () => {} };

test('POSTs the body with the DM content type and HMAC header to the given URI; returns body and headers', async () => {
  const s = await server((_q, res, body) => {
    res.writeHead(200, { 'Content-Type': 'application/vnd.syncml.dm+wbxml', 'x-syncml-hmac': 'algorithm=MD5, username="srv", mac=abc' });
    res.end(Buffer.concat([Buffer.from('echo:'), body]));
  });
  const t = new HttpTransport(fast);
  const r = await t.exchange(
    msg(`http://127.0.0.1:${s.port}/dm?sid=42`, {
      contentType: 'application/vnd.syncml.dm+wbxml',
      hmac: 'algorithm=MD5, username="u", mac=x',
    }),
  );
  assert.equal(new TextDecoder().decode(r.body), 'echo:<SyncML/>');
  assert.equal(r.contentType, 'application/vnd.syncml.dm+wbxml');
  assert.equal(r.hmac, 'algorithm=MD5, username="srv", mac=abc');
  assert.equal(s.seen[0]!.url, '/dm?sid=42', 'RespURI query kept');
  assert.equal(s.seen[0]!.headers['content-type'], 'application/vnd.syncml.dm+wbxml');
  assert.equal(s.seen[0]!.headers.accept, 'application/vnd.syncml.dm+wbxml');
  assert.equal(s.seen[0]!.headers['x-syncml-hmac'], 'algorithm=MD5, username="u", mac=x');
  await s.close();
});

test('connection refused: retried (bounded), then a TransportError refused', async () => {
  const s = await server(() => {});
  const port = s.port;
  await s.close();
  const sleeps: number[] = [];
  const t = new HttpTransport({
    retries: 2,
    retryDelayMs: 10,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  });
  await assert.rejects(
    t.exchange(msg(`http://127.0.0.1:${port}/dm`)),
    (e: unknown) => e instanceof TransportError && e.info.kind === 'refused',
  );
  assert.deepEqual(sleeps, [10, 20], 'exponential back-off between the 3 attempts');
});

test('a server that never answers: timeout; HTTP 500: an error that is not retried', async () => {
  const hang = await server(() => {});
  const t = new HttpTransport({ timeoutMs: 200, connectTimeoutMs: 150, retries: 0, ...fast });
  await assert.rejects(
    t.exchange(msg(`http://127.0.0.1:${hang.port}/dm`)),
    (e: unknown) => e instanceof TransportError && e.info.kind === 'timeout',
  );
  await hang.close();
  const s500 = await server((_q, res) => {
    res.writeHead(500);
    res.end('boom');
  });
  const t2 = new HttpTransport({ retries: 2, ...fast });
  await assert.rejects(
    t2.exchange(msg(`http://127.0.0.1:${s500.port}/dm`)),
    (e: unknown) => e instanceof TransportError && e.info.httpStatus === 500,
  );
  assert.equal(s500.seen.length, 1, '500 is not retried');
  await s500.close();
});

test('a connection reset mid-response is a clean TransportError', async () => {
  const s = await server((_q, res) => {
    res.writeHead(200, { 'Content-Length': '1000' });
    res.write('partial');
    setTimeout(() => res.socket?.destroy(), 20);
  });
  const t = new HttpTransport({ retries: 0, ...fast });
  await assert.rejects(
    t.exchange(msg(`http://127.0.0.1:${s.port}/dm`)),
    (e: unknown) => e instanceof TransportError && e.info.kind === 'reset',
  );
  await s.close();
});

test('timer settings are checked: zero or negative values are refused', () => {
  for (const bad of [{ timeoutMs: 0 }, { connectTimeoutMs: -1 }, { retryDelayMs: 0 }, { retries: 99 }, { maxReplyBytes: 0 }])
    assert.throws(() => new HttpTransport(bad));
});

test('a reply over maxReplyBytes is refused, announced or streamed without end, and the connection closed; one at the limit is taken', async () => {
  let streamed = 0;
  const s = await server((q, res) => {
    if (q.url === '/announced') {
      res.writeHead(200, { 'Content-Length': String(64 << 20) });
      res.write('x');
      return;
    }
    if (q.url === '/exact') {
      res.writeHead(200);
      res.end(Buffer.alloc(4096, 0x41));
      return;
    }
    // No Content-Length, and no end: a server stuck in a loop.
    res.writeHead(200);
    const more = () => {
      if (res.destroyed) return;
      streamed += 1024;
      res.write(Buffer.alloc(1024));
      setImmediate(more);
    };
    more();
  });
  const t = new HttpTransport({ retries: 0, maxReplyBytes: 4096, ...fast });
  const refused = (e: unknown, what: string) =>
    e instanceof TransportError &&
    e.info.kind === 'other' &&
    !e.info.retryable &&
    new RegExp(`${what}, more than the 4096 bytes taken`).test(e.info.message);
  await assert.rejects(t.exchange(msg(`http://127.0.0.1:${s.port}/announced`)), (e) => refused(e, `announces ${64 << 20} bytes`));
  await assert.rejects(t.exchange(msg(`http://127.0.0.1:${s.port}/endless`)), (e) => refused(e, 'goes on past the limit'));
  await new Promise((r) => setTimeout(r, 50));
  const sent = streamed;
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(streamed, sent, 'the endless reply stopped: its connection is closed');
  assert.equal((await t.exchange(msg(`http://127.0.0.1:${s.port}/exact`))).body.length, 4096);
  await s.close();
});
