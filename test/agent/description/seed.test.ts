import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { seedTree } from '../../../agent/description/seed.js';
import { parseDeviceDescription } from '../../../agent/description/parse.js';
import { readAccount, writeNonce } from '../../../agent/tree/dmacc.js';
import { listDeployed } from '../../../agent/scomo/subtree.js';
import { DEVICE } from '../../../agent/tree/types.js';
import { DmError } from '../../../agent/errors.js';
import { repoRoot } from '../../helpers/peers.js';

const example = JSON.parse(readFileSync(join(repoRoot, 'lab/examples/device.json'), 'utf8')) as Record<string, unknown>;
const desc = parseDeviceDescription(example);

test('the example device seeds DevInfo, DevDetail, DMAcc and two deployed SCOMO components', () => {
  const t = seedTree(desc);
  assert.deepEqual(t.get('./DevInfo', DEVICE).children, ['DevId', 'Man', 'Mod', 'DmV', 'Lang', 'Ext']);
  assert.equal(t.get('./DevInfo/DmV', DEVICE).data, '1.2');
  assert.equal(t.get('./SCOMO', DEVICE).type, 'urn:oma:mo:oma-scomo:1.1');
  const deployed = listDeployed(t);
  assert.deepEqual(
    deployed.map((c) => [c.node, c.id, c.version, c.state]),
    [
      ['app1', 'com.example.weather', '1.0', '20'],
      ['app2', 'com.example.sensor', '1.4', '20'],
    ],
  );
  for (const op of ['Activate', 'Deactivate', 'Remove']) t.checkExec(`./SCOMO/Inventory/Deployed/app1/Operations/${op}`, 'labserver');
});

test('ACLs: DevInfo read-only for servers, secrets write-only, accounts private to their server, Download open', () => {
  const t = seedTree(desc);
  const code = (fn: () => unknown) => {
    try {
      fn();
      return 200;
    } catch (e) {
      return (e as DmError).status;
    }
  };
  assert.equal(
    code(() => t.get('./DevInfo/Man', 'other')),
    200,
  );
  assert.equal(
    code(() => t.replace('./DevInfo/Man', { data: 'x' }, 'labserver')),
    425,
  );
  assert.equal(
    code(() => t.delete('./DevInfo', 'labserver')),
    425,
  );
  assert.equal(
    code(() => t.get('./DMAcc/lab/AppAuth/client/AAuthSecret', 'labserver')),
    425,
  );
  assert.equal(
    code(() => t.replace('./DMAcc/lab/AppAuth/client/AAuthSecret', { data: 'new' }, 'labserver')),
    200,
  );
  assert.equal(
    code(() => t.get('./DMAcc/lab/ServerID', 'intruder')),
    425,
  );
  assert.equal(
    code(() => t.add('./SCOMO/Download/p', { format: 'node' }, 'labserver')),
    200,
  );
  assert.equal(
    code(() => t.delete('./SCOMO/Inventory/Deployed/app1', 'labserver')),
    425,
    'removal is the Remove operation',
  );
  // A Download/<x> added by the server grows its Status and executable operations.
  assert.equal(t.get('./SCOMO/Download/p/Status', DEVICE).data, '10');
  t.checkExec('./SCOMO/Download/p/Operations/DownloadInstall', 'labserver');
});

test('a factory nonce in the description seeds AAuthData; without one it is empty', () => {
  const withNonce = parseDeviceDescription({
    ...JSON.parse(JSON.stringify(desc)),
    account: {
      ...desc.account,
      auth: { ...desc.account.auth, nonce: 'AQID' },
      serverAuth: { type: 'md5', username: 's', password: 'sp', nonce: 'BAU=' },
    },
  });
  const a = readAccount(seedTree(withNonce));
  assert.deepEqual(
    [[...a.client.nonce], [...a.server.nonce]],
    [
      [1, 2, 3],
      [4, 5],
    ],
  );
  assert.equal(readAccount(seedTree(desc)).client.nonce.length, 0);
});

test('readAccount and writeNonce', () => {
  const t = seedTree(desc);
  const a = readAccount(t);
  assert.deepEqual(
    [a.serverId, a.serverUri, a.client.type, a.client.name, a.client.secret, a.server.type],
    ['labserver', 'http://127.0.0.1:8080/dm', 'DIGEST', 'dmuser', 'dmpass', 'NONE'],
  );
  writeNonce(t, a, 'client', new Uint8Array([9, 8, 7]));
  assert.deepEqual([...readAccount(t).client.nonce], [9, 8, 7]);
  assert.throws(
    () => readAccount(t, 'unknown'),
    (e: unknown) => e instanceof DmError && e.code === 'DM_ERR_CONFIG',
  );
});
