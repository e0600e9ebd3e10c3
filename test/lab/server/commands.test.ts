import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  childNames,
  deployCommands,
  deployedNode,
  normUri,
  parseResultData,
  readComponentResults,
  uiAlert,
  numberCommands,
} from '../../../lab/server/commands.js';
import type { InventoryComponent } from '../../../lab/server/commands.js';
import { exampleCatalog } from './fixtures.js';

test('URIs: normalised, Deployed/<x> recognised, nothing deeper', () => {
  assert.equal(normUri('SCOMO/Inventory/Deployed/app1/'), './SCOMO/Inventory/Deployed/app1');
  assert.equal(deployedNode('./SCOMO/Inventory/Deployed/app1'), 'app1');
  assert.equal(deployedNode('SCOMO/Inventory/Deployed/app1'), 'app1');
  assert.equal(deployedNode('./SCOMO/Inventory/Deployed/app1/ID'), undefined);
  assert.equal(deployedNode('./SCOMO/Inventory/Deployed'), undefined);
});

test('inventory Results fold into components, at most the number given; unknown items are reported', () => {
  const inv = new Map<string, InventoryComponent>();
  const read = readComponentResults(
    [
      { source: { locURI: './SCOMO/Inventory/Deployed/app1/ID' }, data: 'com.x' },
      { source: { locURI: './SCOMO/Inventory/Deployed/app1/Version' }, data: '1.0' },
      { source: { locURI: './DevInfo/Man' }, data: 'X' },
      { source: { locURI: './SCOMO/Inventory/Deployed/app2/ID' }, data: 'com.y' },
      { source: { locURI: './SCOMO/Inventory/Deployed/app1/Name' }, data: 'X' },
    ],
    inv,
    1,
  );
  assert.deepEqual(
    [...inv.values()],
    [{ node: 'app1', id: 'com.x', version: '1.0', name: 'X' }],
    'app2 is past the one component taken; app1 still takes its leaves',
  );
  assert.deepEqual(read, { stray: ['./DevInfo/Man'], overLimit: 1 });
  assert.deepEqual(childNames([{ data: 'a/b/c' }]), ['a', 'b', 'c']);
  assert.deepEqual(childNames([{ data: '' }]), []);
});

test('result data and UI alert layout', () => {
  assert.deepEqual(parseResultData('<ResultCode>1200</ResultCode><Identifier>com.x</Identifier>'), {
    resultCode: 1200,
    identifier: 'com.x',
  });
  assert.equal(parseResultData('<Result>1200</Result>'), undefined);
  assert.deepEqual(
    uiAlert('1103', 'DR=1', 'Pick', ['a', 'b']).items.map((i) => i.data),
    ['DR=1', 'Pick', 'a', 'b'],
  );
});

test('deployCommands: Add of the Download node and its leaves (interior nodes first), Exec with the Correlator', () => {
  const e = exampleCatalog().entries[0]!;
  const [add, exec] = deployCommands(e, {
    node: 'p1',
    pkgId: 'pk',
    url: 'http://h/p',
    correlator: 'c1',
    operation: 'DownloadInstall',
    sha256: e.sha256,
  });
  assert.deepEqual(
    add.items.map((i) => i.target!.locURI.replace('./SCOMO/Download/p1', '~')),
    ['~', '~/PkgID', '~/Name', '~/PkgURL', '~/Ext', '~/Ext/Size', '~/Ext/SHA256'],
  );
  assert.deepEqual(
    add.items.map((i) => i.meta?.format),
    ['node', 'chr', 'chr', 'chr', 'node', 'int', 'chr'],
  );
  assert.equal(exec.correlator, 'c1');
  assert.equal(exec.items[0]!.target!.locURI, './SCOMO/Download/p1/Operations/DownloadInstall');
  const numbered = numberCommands([add, exec, { kind: 'Sequence', cmdId: '', commands: [add] }]);
  assert.deepEqual(
    numbered.map((c) => c.cmdId),
    ['1', '2', '3'],
  );
  assert.equal((numbered[2] as { commands: { cmdId: string }[] }).commands[0]!.cmdId, '4');
});
