import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FumoJournal } from '../../../agent/fumo/journal.js';
import type { DmError } from '../../../agent/errors.js';
import { MemoryStorage } from '../../helpers/memory-storage.js';

const job = { op: 'DownloadAndUpdate' as const, opUri: './FUMO/fw/DownloadAndUpdate', serverId: 'labserver', correlator: 'c1' };

test('the journal reads back its job step by step, counts re-entries, and is empty once reported', () => {
  const storage = new MemoryStorage();
  const j = new FumoJournal(storage);
  j.add(job);
  j.advance('downloading');
  j.advance('downloading');
  assert.deepEqual(new FumoJournal(storage).current(), { ...job, step: 'downloading', tries: 2 });
  j.advance('downloaded');
  j.advance('completing');
  j.advance('switching', { fromSlot: 'a', fromVersion: '1.0.0' });
  j.advance('restarting');
  const after = new FumoJournal(storage);
  assert.equal(after.current()?.fromSlot, 'a', 'the firmware after the switch reads what the one before wrote');
  after.advance('trial');
  after.advance('done', { result: 200 });
  after.advance('reported');
  assert.equal(new FumoJournal(storage).current(), undefined);
});

test('one job at a time; an illegal step is refused (500) and changes nothing', () => {
  const j = new FumoJournal(new MemoryStorage());
  j.add(job);
  assert.throws(
    () => j.add(job),
    (e: DmError) => e.status === 405,
  );
  assert.throws(
    () => j.advance('trial'),
    (e: DmError) => e.code === 'DM_ERR_COMMAND_FAILED' && e.status === 500,
  );
  assert.equal(j.current()?.step, 'accepted');
  assert.throws(
    () => new FumoJournal(new MemoryStorage()).advance('done'),
    (e: DmError) => e.status === 500,
  );
});

test('a journal of another shape is kept aside as fumo.corrupt and the device starts with none', () => {
  for (const raw of [
    '{',
    '{"op":"Reboot","opUri":"x","serverId":"s","step":"accepted"}',
    '{"op":"Download","opUri":"x","serverId":"s","step":"flying"}',
  ]) {
    const storage = new MemoryStorage();
    storage.write('fumo', raw);
    assert.equal(new FumoJournal(storage).current(), undefined, raw);
    assert.equal(storage.read('fumo.corrupt'), raw);
    assert.equal(new FumoJournal(storage).current(), undefined, 'and stays so at the next boot');
  }
});
