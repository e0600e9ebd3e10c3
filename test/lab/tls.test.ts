// TLS end to end, with certificates openssl makes at run time (test/helpers/tls.ts): the lab server over
// HTTPS, and the Node device with the test CA as transport.caFile completes an update. Everything is on
// 127.0.0.1.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLab, type RunningLab } from '../../lab/server/lab.js';
import { parseDevices } from '../../lab/server/auth.js';
import { loadDevice } from '../../lab/commands/common.js';
import { startNodeDevice, type NodeDevice } from '../../platform/node/node-device.js';
import type { SessionReport } from '../../agent/agent.js';
import { exampleCatalog } from './server/fixtures.js';
import { needPeer, repoRoot } from '../helpers/peers.js';
import { makeTestPki, type CertFiles, type TestPki } from '../helpers/tls.js';

const noOpenssl = needPeer('openssl');
// Its update needs no user's consent (autoUpdate in lab/examples/catalog.json): the device has no UI here.
const SENSOR = 'com.example.sensor';

let pki: TestPki;
before(() => {
  if (!noOpenssl) pki = makeTestPki();
});

const pem = (c: CertFiles) => ({ cert: readFileSync(c.cert), key: readFileSync(c.key) });

function labOver(cert: CertFiles): Promise<RunningLab> {
  return startLab({
    catalog: exampleCatalog(),
    devices: parseDevices([{ username: 'dmuser', password: 'dmpass', auth: 'md5' }]),
    tls: pem(cert),
  });
}

/** The example device, trusting the test CA only, with an update of the Sensor driver queued. */
async function deviceFor(lab: RunningLab): Promise<NodeDevice> {
  const desc = loadDevice(join(repoRoot, 'lab/examples/device.json'));
  desc.transport = { ...desc.transport, kind: 'http', caFile: pki.caFile, retries: 2 };
  const dev = await startNodeDevice({ desc, stateDir: mkdtempSync(join(tmpdir(), 'dm-tls-')), serverUri: lab.dmUrl });
  dev.agent.requestUpdate('device', SENSOR);
  return dev;
}

const sensorVersion = (dev: NodeDevice) => dev.installer.installed().find((c) => c.id === SENSOR)?.version;

function assertUpdated(lab: RunningLab, dev: NodeDevice, report: SessionReport): void {
  assert.ok(report.ok, `the session ends well: ${report.error?.message}`);
  assert.deepEqual(
    lab.server.outcomes().map((o) => o.resultCode),
    [1200],
    'the server records a successful update',
  );
  assert.equal(dev.agent.queue.pending().length, 0, 'the alerts were delivered');
  assert.equal(sensorVersion(dev), '1.5', 'the new Sensor driver is installed');
}

describe('over HTTPS', { skip: noOpenssl }, () => {
  test('the lab server announces https:// URLs; a device that trusts its CA completes an update (packages over HTTPS too)', async () => {
    const lab = await labOver(pki.server);
    try {
      assert.match(lab.dmUrl, /^https:\/\/127\.0\.0\.1:\d+\/dm$/);
      assert.match(lab.packagesUrl, /^https:\/\/127\.0\.0\.1:\d+\/packages$/);
      const dev = await deviceFor(lab);
      try {
        // The package came from lab.packagesUrl, https:// (the server serves nothing over plain HTTP).
        assertUpdated(lab, dev, await dev.agent.runSession());
      } finally {
        await dev.close();
      }
    } finally {
      await lab.close();
    }
  });
});
