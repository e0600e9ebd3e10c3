import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { main } from '../../lab/cli.js';
import { runFleet } from '../../lab/fleet/fleet.js';
import { InprocPackages } from '../../lab/fleet/inproc-packages.js';
import { fleetAccounts } from '../../lab/fleet/accounts.js';
import { startLab } from '../../lab/server/lab.js';
import { loadCatalog } from '../../lab/server/catalog.js';
import { parseDevices } from '../../lab/server/auth.js';
import { loadDevice } from '../../lab/commands/common.js';
import { repoRoot } from '../helpers/peers.js';

class Sink {
  text = '';
  write(s: string | Uint8Array) {
    this.text += typeof s === 'string' ? s : Buffer.from(s).toString();
    return true;
  }
}

const template = () => loadDevice(join(repoRoot, 'lab/examples/device.json'));

test('fleet with firmware: every device updates its firmware, restarts into it, and reports 200 from 1.1.0; the lab server records it', async () => {
  const catalog = loadCatalog(join(repoRoot, 'lab/examples/catalog-firmware.json'));
  const lab = await startLab({ catalog, devices: parseDevices(fleetAccounts(template(), 4, 'per-device')) });
  try {
    const s = await runFleet({
      template: template(),
      devices: 4,
      sessionsPerDevice: 1,
      concurrency: 4,
      rampSeconds: 0,
      trigger: 'user',
      encoding: 'xml',
      firmware: true,
      target: { kind: 'inproc', server: lab.server, url: lab.dmUrl, packages: new InprocPackages(catalog, lab.packagesUrl) },
    });
    assert.equal(s.ok, 4, JSON.stringify(s.failures));
    assert.deepEqual(s.firmware, {
      restarts: 4,
      returned: 0,
      running: { '1.1.0': 4 },
      serverResults: { 'firmware:TS-Agent-1 1.1.0 → 200': 4 },
    });
    // What the server recorded, device by device: the firmware result, and the components chosen with it.
    for (let i = 0; i < 4; i++) {
      const devId = `IMEI:493005100592800-${i}`;
      const mine = lab.server.outcomes().filter((r) => r.devId === devId);
      const fw = mine.filter((r) => r.deployment?.componentId === 'firmware:TS-Agent-1');
      assert.deepEqual(
        fw.map((r) => [r.deployment?.version, r.resultCode]),
        [['1.1.0', 200]],
        `${devId}: one firmware result, 200 for 1.1.0`,
      );
      // Reported by the new firmware: in a session after the one that sent the update.
      assert.notEqual(fw[0]!.sessionId, fw[0]!.deployment!.sessionId, `${devId}: the result came from the restarted device`);
      assert.deepEqual(
        mine
          .filter((r) => r.deployment && !r.deployment.componentId.startsWith('firmware:'))
          .map((r) => `${r.deployment!.componentId} ${r.deployment!.version} ${r.resultCode}`)
          .sort(),
        ['com.example.sensor 1.5 1200', 'com.example.weather 2.0 1200'],
        `${devId}: "All of them" installed the components too`,
      );
    }
    assert.deepEqual(lab.server.deviations(), [], 'the lab server saw conforming devices');
  } finally {
    await lab.close();
  }
});

test('fleet --firmware on the command line: the catalog with firmware by default, the summary counts the firmware results', async () => {
  const out = new Sink();
  const code = await main(
    ['fleet', '--devices', '3', '--server', 'inproc', '--firmware', '--trigger', 'user', '--json'],
    out as never,
    out as never,
  );
  assert.equal(code, 0, out.text);
  const s = JSON.parse(out.text);
  assert.equal(s.ok, 3);
  assert.deepEqual(s.firmware.running, { '1.1.0': 3 });
  assert.deepEqual(s.firmware.serverResults, { 'firmware:TS-Agent-1 1.1.0 → 200': 3 });
  const text = new Sink();
  assert.equal(
    await main(['fleet', '--devices', '3', '--server', 'inproc', '--firmware', '--trigger', 'user'], text as never, text as never),
    0,
  );
  assert.match(
    text.text,
    /firmware: 3 restarts, 0 returned to the previous slot; running now: 1\.1\.0 ×3; results on the server: firmware:TS-Agent-1 1\.1\.0 → 200 ×3/,
  );
});

test('fleet with a firmware that fails its health check: each device restarts into it, returns to 1.0.0, and reports the failure from there', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-fw-bad-'));
  try {
    writeFileSync(join(dir, 'fw-1.2.0.json'), JSON.stringify({ firmware: 'TS-Agent-1', version: '1.2.0', healthy: false }));
    writeFileSync(
      join(dir, 'catalog.json'),
      JSON.stringify({ components: [], firmware: [{ model: 'TS-Agent-1', version: '1.2.0', package: 'fw-1.2.0.json', autoUpdate: true }] }),
    );
    const catalog = loadCatalog(join(dir, 'catalog.json'));
    const lab = await startLab({ catalog, devices: parseDevices(fleetAccounts(template(), 3, 'per-device')) });
    try {
      // Device-triggered checks: the firmware is marked autoUpdate, so no one is asked.
      const s = await runFleet({
        template: template(),
        devices: 3,
        sessionsPerDevice: 1,
        concurrency: 3,
        rampSeconds: 0,
        trigger: 'device',
        encoding: 'wbxml',
        firmware: true,
        target: { kind: 'inproc', server: lab.server, url: lab.dmUrl, packages: new InprocPackages(catalog, lab.packagesUrl) },
      });
      assert.equal(s.firmware?.returned, 3, JSON.stringify(s));
      assert.deepEqual(s.firmware?.running, { '1.0.0': 3 }, 'every device runs its old firmware again');
      assert.deepEqual(s.firmware?.serverResults, { 'firmware:TS-Agent-1 1.2.0 → 410': 3 }, 'each reported Update Failed (410)');
      assert.deepEqual(lab.server.deviations(), []);
    } finally {
      await lab.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('fleet with firmware over HTTP: the images are fetched from the lab’s packages URL into each device’s slot', async () => {
  const catalog = loadCatalog(join(repoRoot, 'lab/examples/catalog-firmware.json'));
  const logs: string[] = [];
  const lab = await startLab({
    catalog,
    devices: parseDevices(fleetAccounts(template(), 3, 'per-device')),
    log: { log: (_l, m) => logs.push(m) },
  });
  try {
    const s = await runFleet({
      template: template(),
      devices: 3,
      sessionsPerDevice: 1,
      concurrency: 3,
      rampSeconds: 0,
      trigger: 'user',
      encoding: 'wbxml',
      firmware: true,
      target: { kind: 'http', url: lab.dmUrl },
    });
    assert.equal(s.ok, 3, JSON.stringify(s.failures));
    assert.deepEqual(s.firmware, { restarts: 3, returned: 0, running: { '1.1.0': 3 } });
    assert.equal(logs.filter((m) => m.startsWith('GET /packages/fw-ts-agent-1-1.1.0.json')).length, 3, 'one image GET per device');
    assert.equal(
      lab.server.outcomes().filter((r) => r.deployment?.componentId === 'firmware:TS-Agent-1' && r.resultCode === 200).length,
      3,
    );
  } finally {
    await lab.close();
  }
});
