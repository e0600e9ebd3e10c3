// The Node device's A/B firmware slots: the power-on plays the rollback bootloader, every method is
// idempotent, the running slot is never written, and the boot record survives in its Storage.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileFirmwareSlots } from '../../../platform/node/firmware-slot.js';
import type { DmError } from '../../../agent/errors.js';
import { MemoryStorage } from '../../helpers/memory-storage.js';

const factory = { firmware: 'TS-Agent-1', version: '1.0.0' };

function bench() {
  const dir = mkdtempSync(join(tmpdir(), 'slots-'));
  const state = new MemoryStorage();
  const image = (version: string, extra = {}) => new TextEncoder().encode(JSON.stringify({ firmware: 'TS-Agent-1', version, ...extra }));
  let served: Uint8Array = image('1.1.0');
  const powerOn = () =>
    new FileFirmwareSlots(dir, {
      factory,
      state,
      fetch: async (_req, stored, sink) => {
        sink.begin(stored);
        sink.write(Buffer.from(served.subarray(stored)), stored);
        sink.end();
        return { size: served.length, total: served.length };
      },
    });
  return { dir, state, powerOn, serve: (b: Uint8Array) => (served = b), image };
}

async function load(s: FileFirmwareSlots) {
  await s.download({ url: 'http://127.0.0.1/fw', id: 'firmware', offset: 0 });
  s.complete();
  s.complete();
  s.switch();
  s.switch();
}

test('first power-on runs the factory firmware in slot a, confirmed', () => {
  const b = bench();
  assert.deepEqual(b.powerOn().boot(), { slot: 'a', version: '1.0.0', trial: false });
  assert.equal(JSON.parse(readFileSync(join(b.dir, 'slot-a.bin'), 'utf8')).version, '1.0.0');
});

test('switch: the next power-on runs slot b on trial; confirm keeps it; without confirm the one after returns to a', async () => {
  const b = bench();
  await load(b.powerOn());
  const trial = b.powerOn();
  assert.deepEqual(trial.boot(), { slot: 'b', version: '1.1.0', trial: true });
  trial.discard();
  assert.equal(JSON.parse(readFileSync(join(b.dir, 'slot-a.bin'), 'utf8')).version, '1.0.0', 'in a trial the way back is not dropped');
  const back = b.powerOn();
  assert.deepEqual(back.boot(), { slot: 'a', version: '1.0.0', trial: false });
  assert.equal(back.returned, true);

  const c = bench();
  await load(c.powerOn());
  const t = c.powerOn();
  t.confirm();
  t.confirm();
  assert.deepEqual(c.powerOn().boot(), { slot: 'b', version: '1.1.0', trial: false });
  // The next update goes to slot a, the inactive one now.
  c.serve(c.image('1.2.0'));
  const n = c.powerOn();
  await load(n);
  assert.deepEqual(c.powerOn().boot(), { slot: 'a', version: '1.2.0', trial: true });
});

test('revert in a trial: the next power-on returns', async () => {
  const b = bench();
  await load(b.powerOn());
  b.powerOn().revert();
  assert.deepEqual(b.powerOn().boot(), { slot: 'a', version: '1.0.0', trial: false });
});

test('complete refuses what is no firmware image; switch refuses an image not completed', async () => {
  const b = bench();
  b.serve(new TextEncoder().encode('not a firmware'));
  const s = b.powerOn();
  await s.download({ url: 'http://127.0.0.1/fw', id: 'firmware', offset: 0 });
  assert.throws(
    () => s.complete(),
    (e: DmError) => e.code === 'DM_ERR_INSTALL' && e.status === 500,
  );
  assert.throws(
    () => s.switch(),
    (e: DmError) => e.code === 'DM_ERR_INSTALL',
  );
  s.discard();
  assert.equal(s.written(), 0);
});

test('a download resumes from what the slot holds; the boot record is in the Storage given', async () => {
  const b = bench();
  const s = b.powerOn();
  writeFileSync(join(b.dir, 'slot-b.bin'), '{"firmware":');
  assert.equal(s.written(), 12);
  await s.download({ url: 'http://127.0.0.1/fw', id: 'firmware', offset: s.written() });
  assert.equal(JSON.parse(new TextDecoder().decode(s.read(0, s.written()))).version, '1.1.0');
  s.complete();
  s.switch();
  assert.deepEqual(JSON.parse(b.state.read('firmware')!), { running: 'a', next: 'b' });
});
