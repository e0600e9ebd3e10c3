// Firmware in the console's API: a device's firmware as the server read it, the firmware deployment pending,
// the FUMO result in the result history; the catalog's firmware images, one retired, an image refused as
// an upload (package inspect does not check firmware images).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startConsoleLab } from './helpers.js';
import { loadDevice } from '../../../lab/commands/common.js';
import { startConsoleDevice } from '../../../lab/console/sim-device.js';
import { repoRoot } from '../../helpers/peers.js';

/** Waits for a condition of the lab (a screen, a record): the device works on its own event loop. */
async function until<T>(get: () => T | undefined | false, what: string): Promise<T> {
  for (let i = 0; i < 1000; i++) {
    const v = get();
    if (v) return v;
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`never came: ${what}`);
}

interface Catalog {
  kind: string;
  model: string | null;
  id: string;
  version: string;
}

test('a firmware update in the console: FwV and FUMO State as read, the deployment pending, result 200 in the history', async () => {
  const c = await startConsoleLab({ catalog: 'lab/examples/catalog-firmware.json' });
  const tmp = mkdtempSync(join(tmpdir(), 'console-fw-'));
  const desc = loadDevice(join(repoRoot, 'lab/examples/device-current.json'));
  desc.account.serverUri = c.lab.dmUrl;
  const devId = desc.devInfo.devId;
  const dev = await startConsoleDevice(c.bench, { desc, stateDir: join(tmp, 'state'), transport: 'http', firmware: true });
  try {
    const sim = c.bench.sims.get(devId)!;
    sim.button.press(false);
    const confirm = await until(() => sim.display.screen?.kind === 'confirm' && sim.display.screen, 'the confirm');
    assert.match(confirm.lines.join(' '), /Firmware 1\.1\.0 is available\. Install now\? The device will restart\./);
    // Before the answer: the server has read the firmware, nothing is deployed yet.
    const before = (await (await fetch(`${c.origin}/api/devices/${encodeURIComponent(devId)}`)).json()) as {
      firmware: { version: string; state: string; stateName: string; session: string; pending: unknown; lastResult: unknown };
    };
    assert.equal(before.firmware.version, '1.0.0', 'DevDetail/FwV as read');
    assert.equal(before.firmware.state, '10');
    assert.equal(before.firmware.stateName, 'idle');
    assert.match(before.firmware.session, /^s\d+$/);
    assert.equal(before.firmware.pending, null);
    assert.equal(before.firmware.lastResult, null);
    const list = (await (await fetch(`${c.origin}/api/devices`)).json()) as { devId: string; firmware: string | null }[];
    assert.equal(list.find((d) => d.devId === devId)?.firmware, '1.0.0', '/api/devices has the firmware as read');

    sim.display.input({ kind: 'yes' });
    await until(() => dev.restarts > 0 && c.bench.log.contact(devId)?.results.some((r) => r.firmware), 'the firmware result');
    const d = (await (await fetch(`${c.origin}/api/devices/${encodeURIComponent(devId)}`)).json()) as {
      firmware: { version: string; pending: unknown; lastResult: { resultCode: number; ok: boolean; version: string; correlator: string } };
      pending: unknown[];
      deployments: { componentId: string; version: string; operation: string; state: string; correlator: string }[];
      results: { resultCode: number; correlator: string; firmware: boolean; component: string; version: string; at: string }[];
    };
    const fw = d.deployments.find((x) => x.operation === 'DownloadAndUpdate');
    assert.ok(fw, 'the firmware deployment is among the deployments');
    assert.equal(fw.componentId, 'firmware:TS-Agent-1');
    assert.equal(fw.state, 'completed');
    assert.deepEqual(d.pending, [], 'nothing pending once the result came');
    assert.equal(d.firmware.pending, null);
    const r = d.results.find((x) => x.firmware);
    assert.ok(r, 'the FUMO result is in the result history');
    assert.equal(r.resultCode, 200);
    assert.equal(r.correlator, fw.correlator, 'with the Exec’s correlator');
    assert.equal(r.version, '1.1.0');
    assert.ok(!Number.isNaN(Date.parse(r.at)), 'with its time');
    assert.deepEqual(
      [d.firmware.lastResult.resultCode, d.firmware.lastResult.ok, d.firmware.lastResult.version, d.firmware.lastResult.correlator],
      [200, true, '1.1.0', fw.correlator],
    );
    assert.equal(dev.device.firmware?.boot().version, '1.1.0', 'the device runs the new firmware');
  } finally {
    await dev.close();
    await c.close();
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('the catalog API lists the firmware images per model, retires one, and refuses one as an upload', async () => {
  const c = await startConsoleLab({ catalog: 'lab/examples/catalog-firmware.json' });
  try {
    const list = (await (await fetch(`${c.origin}/api/catalog`)).json()) as Catalog[];
    const fw = list.filter((e) => e.kind === 'firmware');
    assert.deepEqual(
      fw.map((e) => [e.id, e.model, e.version]),
      [['firmware:TS-Agent-1', 'TS-Agent-1', '1.1.0']],
    );
    assert.ok(
      list.filter((e) => e.kind === 'component').every((e) => e.model === null),
      'components have no model',
    );

    const image = readFileSync(join(repoRoot, 'lab/examples/packages/fw-ts-agent-1-1.1.0.json'));
    const up = await fetch(`${c.origin}/api/catalog`, { method: 'POST', body: image });
    assert.equal(up.status, 400);
    assert.match(((await up.json()) as { error: string }).error, /firmware image is not taken by upload \(package inspect/);

    const gone = await fetch(`${c.origin}/api/catalog/${encodeURIComponent('firmware:TS-Agent-1')}/1.1.0`, { method: 'DELETE' });
    assert.equal(gone.status, 200);
    assert.equal(((await gone.json()) as { retired: Catalog }).retired.kind, 'firmware');
    const after = (await (await fetch(`${c.origin}/api/catalog`)).json()) as Catalog[];
    assert.equal(after.filter((e) => e.kind === 'firmware').length, 0, 'no firmware offered any more');
    assert.equal(c.catalog.firmware?.length, 0, 'the server offers it no more either');
    const again = await fetch(`${c.origin}/api/catalog/${encodeURIComponent('firmware:TS-Agent-1')}/1.1.0`, { method: 'DELETE' });
    assert.equal(again.status, 404);
  } finally {
    await c.close();
  }
});
