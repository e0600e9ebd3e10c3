import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toAlertCommand } from '../../../agent/alerts/generic-alert.js';
import { buildUpdateRequest, resolveComponentUri } from '../../../agent/scomo/update-request.js';
import { seedTree } from '../../../agent/description/seed.js';
import { parseDeviceDescription } from '../../../agent/description/parse.js';
import { DmError } from '../../../agent/errors.js';

const tree = seedTree(
  parseDeviceDescription({
    devInfo: { devId: 'D', man: 'M', mod: 'X' },
    account: { serverId: 's', serverUri: 'http://127.0.0.1/dm', auth: { type: 'none', username: '', password: '' } },
    components: [{ node: 'app1', id: 'com.example.weather', name: 'W', version: '1.0' }],
  }),
);

test('user and device triggers map to the two SCOMO 1.1 alert types; Data always present', () => {
  const u = buildUpdateRequest(tree, 'user');
  assert.deepEqual(u, { type: 'urn:oma:at:scomo:1.1:UpdateUserRequest', format: 'chr', data: '' });
  const d = buildUpdateRequest(tree, 'device', undefined, 'vendor=1');
  assert.equal(d.type, 'urn:oma:at:scomo:1.1:UpdateDeviceRequest');
  assert.equal(d.data, 'vendor=1');
  const cmd = toAlertCommand({ id: 'x', ...u }, '3');
  assert.equal(cmd.data, '1226');
  assert.equal(cmd.items[0]!.source, undefined, 'no LocURI: the server checks everything');
  assert.equal(cmd.items[0]!.data, '');
});

test('a component is named by node, URI or ID and becomes a Deployed LocURI; anything else is refused', () => {
  for (const name of ['app1', './SCOMO/Inventory/Deployed/app1', 'com.example.weather']) {
    assert.equal(resolveComponentUri(tree, name), './SCOMO/Inventory/Deployed/app1', name);
  }
  for (const bad of ['nope', './DevInfo/Man', './SCOMO/Inventory/Deployed', './SCOMO/Inventory/Deployed/app1/ID', '../x']) {
    assert.throws(
      () => buildUpdateRequest(tree, 'user', bad),
      (e: unknown) => e instanceof DmError && e.code === 'DM_ERR_UNKNOWN_COMPONENT' && e.status === 404,
      bad,
    );
  }
  const a = toAlertCommand({ id: 'x', ...buildUpdateRequest(tree, 'user', 'app1'), correlator: 'c1' }, '1');
  assert.equal(a.items[0]!.source?.locURI, './SCOMO/Inventory/Deployed/app1');
  assert.equal(a.correlator, 'c1');
});
