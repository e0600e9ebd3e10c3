import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JobJournal } from '../../../agent/scomo/jobs.js';
import { DmError } from '../../../agent/errors.js';
import { MemoryStorage } from '../../helpers/memory-storage.js';

const job = {
  op: 'DownloadInstall' as const,
  opUri: './SCOMO/Download/p1/Operations/DownloadInstall',
  node: './SCOMO/Download/p1',
  serverId: 'labserver',
  correlator: 'c1',
};

test('a journal reads back what it wrote, step by step, and reported jobs leave it', () => {
  const storage = new MemoryStorage();
  const j = new JobJournal(storage);
  const a = j.add(job);
  j.advance(a.id, 'downloading', { tries: 1 });
  const b = j.add({ ...job, node: './SCOMO/Download/p2' });
  assert.deepEqual(new JobJournal(storage).open(), j.open());
  assert.deepEqual(
    new JobJournal(storage).open().map((x) => `${x.id}:${x.step}`),
    ['j1:downloading', 'j2:accepted'],
  );
  j.advance(b.id, 'done', { result: 1200 });
  j.advance(b.id, 'reported');
  assert.deepEqual(
    new JobJournal(storage).open().map((x) => x.id),
    ['j1'],
  );
  // Ids keep counting after a reboot: a new job never takes an old one's id.
  assert.equal(new JobJournal(storage).add(job).id, 'j3');
});

test('an illegal step is refused with a coded error, and the journal is unchanged', () => {
  const j = new JobJournal(new MemoryStorage());
  const a = j.add(job);
  assert.throws(
    () => j.advance(a.id, 'installing'),
    (e: unknown) => e instanceof DmError && e.code === 'DM_ERR_COMMAND_FAILED' && /accepted → installing/.test(e.message),
  );
  assert.throws(
    () => j.advance('j9', 'done'),
    (e: unknown) => e instanceof DmError && /no SCOMO job j9/.test(e.message),
  );
  assert.equal(j.open()[0]!.step, 'accepted');
});

test("a stored journal that is not one (damaged, or another firmware's shape) is kept aside, and the device starts with none", () => {
  const bad = [
    '{"seq":1,"jobs":[',
    'null',
    '[]',
    '{}',
    '{"seq":1}',
    '{"seq":"1","jobs":[]}',
    '{"seq":1,"jobs":[{"id":"j1"}]}',
    '{"seq":1,"jobs":[null]}',
    `{"seq":1,"jobs":[${JSON.stringify({ ...job, id: 'j1', step: 'flashing' })}]}`,
    `{"seq":1,"jobs":[${JSON.stringify({ ...job, id: 'j1', step: 'accepted', op: 'Format' })}]}`,
    `{"seq":1,"jobs":[${JSON.stringify({ ...job, id: 'j1', step: 'toString' })}]}`,
  ];
  for (const raw of bad) {
    const storage = new MemoryStorage();
    storage.write('scomo', raw);
    const j = new JobJournal(storage);
    assert.deepEqual(j.open(), [], raw);
    assert.equal(storage.read('scomo.corrupt'), raw, `${raw}: kept aside`);
    // And it works: the first resume, or a new job, does not throw.
    assert.equal(j.busy('./SCOMO/Download/p1'), false);
    assert.equal(j.add(job).id, 'j1');
  }
});
