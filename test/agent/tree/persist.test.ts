import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openTree } from '../../../agent/description/open-tree.js';
import { serializeTree, treePieces } from '../../../agent/tree/persist-format.js';
import type { TNode } from '../../../agent/tree/node.js';
import type { Storage } from '../../../agent/ports.js';
import { parseDeviceDescription } from '../../../agent/description/parse.js';
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
  assert.throws(
    () => tree.commit(),
    (e: unknown) => (e as { status?: number }).status === 510,
  );
  storage.restorePower();
  assert.equal(openTree(storage, desc).tree.get('./DevInfo/Lang', DEVICE).data, 'de-DE');
  assert.ok(PowerCut, 'PowerCut');
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

test("treePieces makes serializeTree's text a piece at a time, none much over the piece size, on 5000 random trees", () => {
  let seed = 99;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  const gen = (depth: number): TNode => {
    const leaf = depth > 6 || rnd(3) === 0;
    const n = { name: `n${rnd(100)}`, format: leaf ? (['chr', 'int', 'bin'] as const)[rnd(3)] : 'node', verNo: rnd(3) } as TNode;
    if (rnd(4) === 0) n.acl = 'Get=*';
    if (leaf) n.value = n.format === 'bin' ? new Uint8Array([rnd(256), 1]) : 'v'.repeat(rnd(300));
    else if (rnd(6)) n.children = Array.from({ length: rnd(5) }, () => gen(depth + 1));
    return n;
  };
  for (let k = 0; k < 5000; k++) {
    const root = {
      name: '',
      format: 'node',
      verNo: 0,
      ...(rnd(8) ? { children: Array.from({ length: rnd(5) }, () => gen(1)) } : {}),
    } as TNode;
    const next = treePieces(root, 256);
    const pieces: string[] = [];
    for (let p = next(); p !== undefined; p = next()) pieces.push(p);
    assert.equal(pieces.join(''), serializeTree(root));
    // A piece ends with the node that took it past the size: at most one node's JSON (here < 400) over.
    for (const p of pieces) assert.ok(p.length < 256 + 400, `piece of ${p.length}`);
    assert.equal(next(), undefined);
  }
});

test('a storage that takes pieces gets the tree that way, and it reads back the same', () => {
  const parts: number[] = [];
  const inner = new MemoryStorage();
  const storage: Storage = {
    read: (k) => inner.read(k),
    remove: (k) => inner.remove(k),
    keys: () => inner.keys(),
    write: (k, v) => {
      if (k === 'tree') throw new Error('the tree must come in pieces');
      inner.write(k, v);
    },
    writeParts: (k, next) => {
      let text = '';
      for (let p = next(); p !== undefined; p = next()) {
        parts.push(p.length);
        text += p;
      }
      inner.write(k, text);
    },
  };
  const { tree } = openTree(storage, desc);
  for (let i = 0; i < 40; i++) tree.add(`./SCOMO/Download/x${i}`, { format: 'node' }, DEVICE);
  tree.commit();
  assert.ok(parts.length > 3, `${parts.length} pieces`);
  const again = openTree(new MemoryStorage(), desc).tree;
  for (let i = 0; i < 40; i++) again.add(`./SCOMO/Download/x${i}`, { format: 'node' }, DEVICE);
  assert.equal(inner.read('tree'), serializeTree(again.root));
  assert.equal(openTree(storage, desc).tree.nodeCount, tree.nodeCount);
});
