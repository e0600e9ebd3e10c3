// What the device verbs share (lab/commands/common.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join, normalize } from 'node:path';
import { stateDirFor } from '../../lab/commands/common.js';

test('the default state folder is always one folder under .dm-state, whatever the DevId', () => {
  for (const devId of ['..', '.', '', '...', '../x', 'a/../../b', '/etc', 'x'.repeat(300)]) {
    const dir = stateDirFor(devId);
    const name = dir.slice('.dm-state/'.length);
    assert.ok(dir.startsWith(join('.dm-state', '_')) || (name.length > 0 && !/^\.*$/.test(name)), `${JSON.stringify(devId)} → ${dir}`);
    assert.equal(normalize(dir), dir, `${JSON.stringify(devId)} → ${dir} is a plain path`);
    assert.ok(
      !name.includes('/') && name !== '.' && name !== '..' && name.length > 0 && name.length <= 129,
      `${JSON.stringify(devId)} → ${dir}`,
    );
  }
  assert.equal(stateDirFor('IMEI:490154203237518'), join('.dm-state', 'IMEI_490154203237518'), 'an ordinary DevId keeps its name');
  assert.notEqual(stateDirFor('..'), stateDirFor('.'), 'dot names stay distinct');
});
