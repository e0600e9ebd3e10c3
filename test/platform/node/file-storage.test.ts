import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileStorage } from '../../../platform/node/file-storage.js';
import { openTree } from '../../../agent/description/open-tree.js';
import { parseDeviceDescription } from '../../../agent/description/parse.js';
import { DEVICE } from '../../../agent/tree/types.js';
import { DmError } from '../../../agent/errors.js';

test('values survive a new instance; keys are plain names; remove and keys work', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fs-'));
  const s = new FileStorage(dir);
  s.write('tree', '{"a":1}');
  s.write('alerts', 'x');
  assert.equal(new FileStorage(dir).read('tree'), '{"a":1}');
  assert.deepEqual(new FileStorage(dir).keys().sort(), ['alerts', 'tree']);
  s.remove('alerts');
  assert.equal(s.read('alerts'), undefined);
  for (const bad of ['../x', 'a/b', '', '.hidden', 'x.tmp']) {
    assert.throws(
      () => s.write(bad, 'v'),
      (e: unknown) => e instanceof DmError && e.status === 510,
      bad,
    );
  }
});

test('a crash between the temporary write and the rename leaves the old value (and no stray key)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fs-'));
  const s = new FileStorage(dir);
  s.write('tree', 'old');
  writeFileSync(join(dir, 'tree.tmp'), 'half-written new val'); // what a power cut before rename leaves
  assert.equal(new FileStorage(dir).read('tree'), 'old');
  assert.deepEqual(new FileStorage(dir).keys(), ['tree']);
  s.write('tree', 'new');
  assert.equal(s.read('tree'), 'new');
  assert.deepEqual(readdirSync(dir).sort(), ['tree']);
});

test('the DM tree persists through files across a reboot', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fs-'));
  const desc = parseDeviceDescription({
    devInfo: { devId: 'D', man: 'M', mod: 'X' },
    account: { serverId: 's', serverUri: 'http://127.0.0.1/dm', auth: { type: 'none', username: '', password: '' } },
    components: [],
  });
  const a = openTree(new FileStorage(dir), desc);
  a.tree.replace('./DevInfo/Lang', { data: 'sv-SE' }, DEVICE);
  a.tree.commit();
  const b = openTree(new FileStorage(dir), desc);
  assert.equal(b.seeded, false);
  assert.equal(b.tree.get('./DevInfo/Lang', DEVICE).data, 'sv-SE');
});
