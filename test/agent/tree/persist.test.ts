import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openTree } from '../../../agent/tree/persist.js';
import { parseDeviceDescription } from '../../../agent/tree/device-description.js';
import { DEVICE } from '../../../agent/tree/types.js';
import { MemoryStorage, PowerCut } from '../../helpers/memory-storage.js';
import { repoRoot } from '../../helpers/peers.js';

const desc = parseDeviceDescription(JSON.parse(readFileSync(join(repoRoot, 'lab/examples/device.json'), 'utf8')));

test('first boot seeds and commits; the next boot reads the committed tree back, binary values intact', () => {
  const storage = new MemoryStorage();
  const a = openTree(storage, desc);
  assert.equal(a.seeded, true);
  a.tree.replace('./DevInfo/Lang', { data: 'fr-FR' }, DEVICE);
  a.tree.replace('./DMAcc/lab/AppAuth/client/AAuthData', { data: new Uint8Array([1, 2, 250]) }, DEVICE);
  a.tree.commit();
  const b = openTree(storage, desc);
  assert.equal(b.seeded, false);
  assert.equal(b.tree.get('./DevInfo/Lang', DEVICE).data, 'fr-FR');
  assert.deepEqual([...(b.tree.get('./DMAcc/lab/AppAuth/client/AAuthData', DEVICE).data as Uint8Array)], [1, 2, 250]);
  assert.equal(b.tree.get('./SCOMO/Inventory/Deployed/app1/Operations/Activate', DEVICE).format, 'null');
  b.tree.checkExec('./SCOMO/Inventory/Deployed/app1/Operations/Activate', 'labserver');
});

test('a power cut during commit leaves the last committed tree', () => {
  const storage = new MemoryStorage();
  const { tree } = openTree(storage, desc);
  tree.replace('./DevInfo/Lang', { data: 'de-DE' }, DEVICE);
  tree.commit();
  tree.replace('./DevInfo/Lang', { data: 'it-IT' }, DEVICE);
  storage.failAfter(0);
  assert.throws(() => tree.commit(), (e: unknown) => (e as { status?: number }).status === 510);
  storage.restorePower();
  assert.equal(openTree(storage, desc).tree.get('./DevInfo/Lang', DEVICE).data, 'de-DE');
  assert.ok(PowerCut);
});

test('a corrupt stored tree is kept aside under tree.corrupt and the device re-seeds', () => {
  for (const bad of ['{not json', JSON.stringify({ v: 99, root: {} }), JSON.stringify({ v: 1, root: { n: '', f: 'chr' } })]) {
    const storage = new MemoryStorage();
    storage.write('tree', bad);
    const r = openTree(storage, desc);
    assert.equal(r.seeded, true);
    assert.equal(r.recovered?.code, 'DM_ERR_STORAGE');
    assert.equal(storage.read('tree.corrupt'), bad);
    assert.equal(r.tree.get('./DevInfo/DevId', DEVICE).data, 'IMEI:493005100592800');
  }
});
