// Pure parts of the Moddable network adapters: URL parsing, the download resume plan, the HTTP retry policy
// and bounded reply buffer, and which MQTT message on /down is the reply.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseEndpoint } from '../../../platform/moddable/lib/url.js';
import { transportError } from '../../../platform/moddable/lib/transport-error.js';
import { httpStatusOf } from '../../../agent/errors.js';
import { parseContentRange, planResponse, rangeHeaders } from '../../../platform/moddable/lib/range.js';
import { BodyFragments, BoundedBody, backoffDelays, shouldRetry, statusRetryable } from '../../../platform/moddable/lib/http-policy.js';
import { ReplyGate } from '../../../platform/moddable/lib/reply-gate.js';
import { TransportError, transportErrorCode } from '../../../platform/moddable/lib/transport-error.js';
import { exactBuffer } from '../../../platform/moddable/lib/bytes.js';

test('parseEndpoint: scheme, default and explicit ports, path and query, credentials, refusals', () => {
  assert.deepEqual(parseEndpoint('http://dm.example.com/dm', ['http', 'https']), {
    scheme: 'http',
    secure: false,
    host: 'dm.example.com',
    port: 80,
    path: '/dm',
  });
  assert.deepEqual(parseEndpoint('https://10.0.0.2:8443/a/b?x=1&y=2', ['http', 'https']), {
    scheme: 'https',
    secure: true,
    host: '10.0.0.2',
    port: 8443,
    path: '/a/b?x=1&y=2',
  });
  assert.equal(parseEndpoint('HTTP://h', ['http']).path, '/');
  assert.deepEqual(parseEndpoint('mqtts://u%40x:p%3Aw@broker:8884', ['mqtt', 'mqtts']), {
    scheme: 'mqtts',
    secure: true,
    host: 'broker',
    port: 8884,
    path: '/',
    user: 'u@x',
    password: 'p:w',
  });
  assert.equal(parseEndpoint('mqtt://broker', ['mqtt', 'mqtts']).port, 1883);
  assert.equal(parseEndpoint('http://[fe80::1]:81/x', ['http']).host, 'fe80::1');
  for (const bad of ['dm.example.com/dm', 'ftp://h/x', 'http://:80/', 'http://h:0/', 'http://h:99999/', 'http://h:8a/']) {
    assert.throws(
      () => parseEndpoint(bad, ['http', 'https']),
      (e: unknown) => e instanceof TransportError && e.info.kind === 'other' && !e.info.retryable && e.code === 'DM_ERR_TRANSPORT_OTHER',
      bad,
    );
  }
});

test('Range resume: the header, Content-Range parsing', () => {
  assert.deepEqual(rangeHeaders(0), []);
  assert.deepEqual(rangeHeaders(1234), ['Range', 'bytes=1234-']);
  assert.deepEqual(parseContentRange('bytes 100-199/200'), { start: 100, end: 199, total: 200 });
  assert.deepEqual(parseContentRange('bytes 100-199/*'), { start: 100, end: 199 });
  assert.deepEqual(parseContentRange('bytes */200'), { total: 200 });
  assert.equal(parseContentRange('bytes 9-1/20'), undefined);
  assert.equal(parseContentRange('items 1-2/3'), undefined);
  assert.equal(parseContentRange(undefined), undefined);
  // As the regular expression it replaces: case-insensitive unit, white space around and after "bytes".
  assert.deepEqual(parseContentRange(' BYTES\t 0-9/10 '), { start: 0, end: 9, total: 10 });
  for (const bad of ['bytes 1-/2', 'bytes -1/2', 'bytes 1-2/', 'bytes 1-2', 'bytes1-2/3', 'bytes */*x', 'bytes 1-2/3/4'])
    assert.equal(parseContentRange(bad), undefined, bad);
  assert.equal(parseContentRange(`bytes 0-1/${'9'.repeat(20000)}x`), undefined, 'a long header is scanned, not backtracked');
});

test('Range resume: what each answer means for the stored bytes', () => {
  const max = 1000;
  assert.deepEqual(planResponse({ status: 206, have: 100, contentRange: 'bytes 100-499/500', maxBytes: max }), {
    kind: 'write',
    start: 100,
    total: 500,
  });
  // A server that ignores Range: start again from 0 rather than glue two versions.
  assert.deepEqual(planResponse({ status: 200, have: 100, contentLength: '500', maxBytes: max }), { kind: 'write', start: 0, total: 500 });
  assert.deepEqual(planResponse({ status: 200, have: 0, maxBytes: max }), { kind: 'write', start: 0 });
  assert.deepEqual(planResponse({ status: 416, have: 500, contentRange: 'bytes */500', maxBytes: max }), { kind: 'complete', size: 500 });
  const stale = planResponse({ status: 416, have: 600, contentRange: 'bytes */500', maxBytes: max });
  assert.ok(stale.kind === 'fail' && stale.discard && stale.error.retryable, 'more bytes stored than the file has: discard, retry');
  const shifted = planResponse({ status: 206, have: 100, contentRange: 'bytes 50-499/500', maxBytes: max });
  assert.ok(shifted.kind === 'fail' && shifted.discard && shifted.error.retryable, 'a range that does not start at our end');
  const big = planResponse({ status: 200, have: 0, contentLength: '5000', maxBytes: max });
  assert.ok(big.kind === 'fail' && !big.error.retryable && !big.discard, "big.kind === 'fail' && !big.error.retryable && !big.discard");
  const e500 = planResponse({ status: 503, have: 0, maxBytes: max });
  assert.ok(
    e500.kind === 'fail' && e500.error.retryable && e500.error.httpStatus === 503 && e500.error.kind === 'http-status',
    "e500.kind === 'fail' && e500.error.retryable && e500.error.httpStatus === 503 && e500.error.kind === 'http-status'",
  );
  const e404 = planResponse({ status: 404, have: 0, maxBytes: max });
  assert.ok(e404.kind === 'fail' && !e404.error.retryable, "e404.kind === 'fail' && !e404.error.retryable");
});

test('HTTP policy: retryable statuses, doubling capped delays, bounded reply buffer', () => {
  assert.deepEqual([500, 502, 503, 504, 404].map(statusRetryable), [false, true, true, true, false]);
  assert.deepEqual(backoffDelays(500, 4), [500, 1000, 2000, 4000]);
  assert.deepEqual(backoffDelays(40000, 3), [40000, 60000, 60000]);
  assert.deepEqual(backoffDelays(500, 0), []);
  const info = { kind: 'reset' as const, message: 'x', retryable: true };
  assert.equal(shouldRetry(info, 0, 2), true);
  assert.equal(shouldRetry(info, 2, 2), false);
  assert.equal(shouldRetry({ ...info, retryable: false }, 0, 2), false);
  assert.equal(shouldRetry(undefined, 0, 2), false);
  const b = new BoundedBody(5);
  assert.ok(b.add(Uint8Array.of(1, 2)) && b.add(Uint8Array.of(3, 4, 5)), 'b.add(Uint8Array.of(1, 2)) && b.add(Uint8Array.of(3, 4, 5))');
  assert.deepEqual([...b.take()], [1, 2, 3, 4, 5]);
  const o = new BoundedBody(3);
  assert.ok(o.add(Uint8Array.of(1, 2)), 'o.add(Uint8Array.of(1, 2))');
  assert.equal(o.add(Uint8Array.of(3, 4)), false);
  assert.equal(o.overflow, true);
  assert.equal(o.add(Uint8Array.of(1)), false, 'nothing more once over the limit');
  assert.equal(transportErrorCode('http-status'), 'DM_ERR_TRANSPORT_HTTP_STATUS');
});

test('request body fragments: never more than the socket has room for, empty while it is full, the whole body in order', () => {
  const body = new Uint8Array(2500).map((_, i) => i % 251);
  const f = new BodyFragments(body);
  const got: number[] = [];
  const rooms = [1024, 0, 1000, 7, 5000, 9];
  for (const room of rooms) {
    const piece = f.next(room);
    assert.ok(piece, `room ${room}: a piece while bytes remain`);
    assert.ok(piece.byteLength <= room, `room ${room}: piece of ${piece.byteLength}`);
    got.push(...new Uint8Array(piece));
    if (got.length === body.length) break;
  }
  assert.deepEqual(got, Array.from(body));
  assert.equal(f.next(100), undefined, 'then the end');
  assert.equal(new BodyFragments(new Uint8Array(0)).next(10), undefined, 'an empty body ends at once');
  assert.equal(new BodyFragments(new Uint8Array(3)).next(Number.NaN)!.byteLength, 0, 'a room that is not a number writes nothing');
});

test('exactBuffer: the whole buffer when the view covers it, a copy of the window otherwise', () => {
  const whole = new Uint8Array([1, 2, 3]);
  assert.equal(exactBuffer(whole), whole.buffer);
  const window = new Uint8Array(whole.buffer, 1, 2);
  const b = exactBuffer(window);
  assert.notEqual(b, whole.buffer);
  assert.deepEqual([...new Uint8Array(b)], [2, 3]);
});

test('MQTT reply gate: next /down is the reply; a copy of it, strays and oversize are not', () => {
  const g = new ReplyGate(8);
  const r1 = Uint8Array.of(1, 2, 3);
  assert.equal(g.judge(Uint8Array.of(9), false), 'stray', 'nothing in flight');
  assert.equal(g.judge(r1, true), 'reply');
  assert.equal(g.judge(Uint8Array.of(1, 2, 3), true), 'duplicate', 'the server answered a re-publication with the same reply');
  assert.equal(g.judge(Uint8Array.of(1, 2, 3), false), 'duplicate');
  assert.equal(g.judge(new Uint8Array(9), true), 'too-large');
  assert.equal(g.judge(Uint8Array.of(4), true), 'reply', 'a different message is the next reply');
  assert.equal(g.judge(Uint8Array.of(1, 2, 3), true), 'reply', 'only the last reply counts as a duplicate');
});

test('a transport error carries retryable and httpStatus where the agent reads them on a failed download', () => {
  const e = transportError('http-status', 'GET /p: HTTP 503', true, 503);
  assert.equal(e.retryable, true);
  assert.equal(e.httpStatus, 503);
  assert.equal(httpStatusOf(e), 503);
  const final = transportError('other', 'GET /p: package larger than allowed', false);
  assert.equal(final.retryable, false);
  assert.equal(httpStatusOf(final), undefined);
});
