import { test } from 'node:test';
import assert from 'node:assert/strict';
import { main } from '../../lab/cli.js';
import { runFleet } from '../../lab/fleet/fleet.js';
import { startLab } from '../../lab/server/lab.js';
import { parseDevices } from '../../lab/server/auth.js';
import { loadDevice } from '../../lab/commands/alert.js';
import { exampleCatalog } from './server/fixtures.js';
import { repoRoot } from '../helpers/peers.js';
import { join } from 'node:path';

class Sink { text = ''; write(s: string | Uint8Array) { this.text += typeof s === 'string' ? s : Buffer.from(s).toString(); return true; } }
const template = () => loadDevice(join(repoRoot, 'lab/examples/device.json'));

test('fleet in process: every device its own DevId, tree and update; the summary adds up', async () => {
  const out = new Sink();
  const code = await main(['fleet', '--devices', '20', '--server', 'inproc', '--sessions', '3', '--concurrency', '4', '--json'], out as never, out as never);
  assert.equal(code, 0, out.text);
  const s = JSON.parse(out.text);
  assert.equal(s.sessions, 60);
  assert.equal(s.ok, 60);
  assert.equal(s.dmSessions, 80, 'each device\'s first session installs an update and reports it in a second DM session');
  assert.ok(s.sessionsPerS > 0 && s.latencyMs.p50 <= s.latencyMs.p99 && s.latencyMs.p99 <= s.latencyMs.max);
  assert.ok(s.roundTrips >= 60 * 3, 'challenge, check and report at least');
  assert.deepEqual(s.serverDeviations, {}, 'the lab server saw a conforming client');
});

test('fleet over HTTP and over MQTT against the lab server: the autoUpdate component lands on every device once', async () => {
  const lab = await startLab({ catalog: exampleCatalog(), mqtt: 'embedded', devices: parseDevices([{ username: 'dmuser', password: 'dmpass', auth: 'md5' }]) });
  try {
    const http = await runFleet({ template: template(), devices: 5, sessionsPerDevice: 2, concurrency: 5, rampSeconds: 0, trigger: 'device', encoding: 'wbxml',
      target: { kind: 'http', url: lab.dmUrl } });
    assert.equal(http.ok, 10, JSON.stringify(http.failures));
    // One deployment per DevId: the second session of each device found it current.
    assert.deepEqual(lab.server.deployments().map((d) => d.devId).sort(), [0, 1, 2, 3, 4].map((i) => `IMEI:493005100592800-${i}`));
    assert.ok(lab.server.deployments().every((d) => d.state === 'completed'));
    const seen = [0, 1, 2, 3, 4].reduce((n, i) => n + lab.server.device(`IMEI:493005100592800-${i}`)!.sessions, 0);
    assert.equal(http.dmSessions, seen, 'the DM sessions counted are the ones the server saw');
    assert.equal(seen, 15, 'update + result, then a check, per device');
    const mqtt = await runFleet({ template: template(), devices: 5, sessionsPerDevice: 1, concurrency: 5, rampSeconds: 0, trigger: 'device', encoding: 'xml',
      target: { kind: 'mqtt', url: lab.dmUrl, brokerUrl: lab.brokerUrl! } });
    assert.equal(mqtt.ok, 5, JSON.stringify(mqtt.failures));
    // The MQTT fleet is new hardware with the old version under the same DevIds: updated once more each.
    assert.equal(lab.server.deployments().filter((d) => d.state === 'completed').length, 10);
  } finally {
    await lab.close();
  }
});

test('a factory nonce the server shares saves each device its first 401; a stale one costs that 401 and no more', async () => {
  const nonce = Buffer.from('factory-nonce-01').toString('base64');
  const lab = await startLab({ catalog: exampleCatalog(), devices: parseDevices([{ username: 'dmuser', password: 'dmpass', auth: 'md5', nonce }]) });
  try {
    const run = async (deviceNonce: string, first: number) => {
      const t = template();
      t.devInfo.devId = `IMEI:${first}`;
      t.account.auth.nonce = deviceNonce;
      return runFleet({ template: t, devices: 4, sessionsPerDevice: 1, concurrency: 4, rampSeconds: 0, trigger: 'device', encoding: 'xml',
        target: { kind: 'inproc', server: lab.server, url: lab.dmUrl } });
    };
    const shared = await run(nonce, 1);
    assert.equal(shared.ok, 4, JSON.stringify(shared.failures));
    // Check, inventory, deployment and end of session, then the result report: no challenge in between.
    assert.equal(shared.roundTrips, 4 * 4);
    const stale = await run(Buffer.from('some-other-nonce').toString('base64'), 2);
    assert.equal(stale.ok, 4, JSON.stringify(stale.failures));
    assert.equal(stale.roundTrips, 4 * 5, 'one 401 with a new nonce, then the same run');
    assert.deepEqual(lab.server.deviations(), []);
  } finally {
    await lab.close();
  }
});

test('fleet against a server that is not there: failures counted by cause, exit 1', async () => {
  const out = new Sink();
  const code = await main(['fleet', '--devices', '3', '--server', 'http://127.0.0.1:9/dm'], out as never, out as never);
  assert.equal(code, 1);
  assert.match(out.text, /3 failed/);
  assert.match(out.text, /failed ×3: DM_ERR_TRANSPORT/);
});
