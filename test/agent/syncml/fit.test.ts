import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitMessage, type FitRequest } from '../../../agent/syncml/fit.js';
import { encodeMessage } from '../../../agent/syncml/codec.js';
import type { Command, SyncHdr } from '../../../agent/syncml/model.js';

const hdr: SyncHdr = {
  verDTD: '1.2',
  verProto: 'DM/1.2',
  sessionId: '1',
  msgId: '1',
  target: { locURI: 'srv' },
  source: { locURI: 'dev' },
};
// Values differ from one command to the next: WBXML's string table would share equal ones.
const replace = (i: number, size = 200): Command => ({
  kind: 'Replace',
  cmdId: '',
  items: [{ source: { locURI: `./Ext/N${i}` }, data: `${i}:`.padEnd(size, 'abcdefghijklmnopqrstuvwxyz'[i % 26]) }],
});
const status: Command = {
  kind: 'Status',
  cmdId: '',
  msgRef: '1',
  cmdRef: '0',
  cmd: 'SyncHdr',
  targetRefs: ['dev'],
  sourceRefs: ['srv'],
  items: [],
  data: '200',
};
const request = (over: Partial<FitRequest>): FitRequest => ({
  hdr,
  head: [status],
  queued: Array.from({ length: 20 }, (_, i) => replace(i)),
  tail: [],
  limit: 2000,
  moreToCome: false,
  atLeastOne: true,
  encoding: 'xml',
  ...over,
});

test('fitMessage: the most queued commands that fit, numbered after the head, and Final only when all went', () => {
  for (const encoding of ['xml', 'wbxml'] as const) {
    const r = request({ encoding });
    const f = fitMessage(r);
    assert.ok(f.take > 0 && f.take < 20, `took ${f.take}`);
    assert.ok(f.bytes.length <= 2000, `${f.bytes.length} bytes`);
    // One more would not have fitted: the fit is the largest prefix.
    const more = encodeMessage({ hdr, body: [status, ...r.queued.slice(0, f.take + 1)], final: false }, encoding);
    assert.ok(more.length > 2000, `${f.take + 1} commands take ${more.length} bytes`);
    assert.equal(f.final, false);
    assert.deepEqual(
      f.body.map((c) => c.cmdId),
      Array.from({ length: f.take + 1 }, (_, i) => String(i + 1)),
    );
    assert.deepEqual(f.bytes, encodeMessage({ hdr, body: f.body, final: false }, encoding));
    // The queue is the caller's: nothing is taken from it, and its commands are not renumbered in place.
    assert.equal(r.queued.length, 20);
    assert.equal(r.queued[0]!.cmdId, '');
  }
});

test('fitMessage: limit 0 is no limit; moreToCome keeps Final off; the tail always goes', () => {
  const tail: Command[] = [{ kind: 'Alert', cmdId: '', data: '1222', items: [] }];
  const all = fitMessage(request({ limit: 0 }));
  assert.equal(all.take, 20);
  assert.equal(all.final, true);
  const more = fitMessage(request({ limit: 0, moreToCome: true, tail }));
  assert.equal(more.take, 20);
  assert.equal(more.final, false);
  assert.equal(more.body.at(-1)!.kind, 'Alert');
  assert.equal(more.body.length, 22);
});

test('fitMessage: a command over the limit alone goes when atLeastOne, waits when not', () => {
  const big = { queued: [replace(0, 5000), replace(1)], limit: 1500 };
  const forced = fitMessage(request({ ...big, atLeastOne: true }));
  assert.equal(forced.take, 1);
  assert.ok(forced.bytes.length > 1500, `${forced.bytes.length} bytes`);
  const waits = fitMessage(request({ ...big, atLeastOne: false }));
  assert.equal(waits.take, 0);
  assert.equal(waits.body.length, 1);
  assert.equal(waits.final, false);
});

test('fitMessage: another encoder (the lab server’s) is the one measured', () => {
  let calls = 0;
  const f = fitMessage(
    request({
      encode: (m) => {
        calls++;
        // Twice the agent's bytes: fewer commands fit.
        const b = encodeMessage(m, 'xml');
        const out = new Uint8Array(b.length * 2);
        out.set(b);
        return out;
      },
    }),
  );
  const own = fitMessage(request({}));
  assert.ok(calls > 0, 'the given encoder was called');
  assert.ok(f.take < own.take, `${f.take} < ${own.take}`);
  assert.ok(f.bytes.length <= 2000, `${f.bytes.length} bytes`);
});
