// FUMO against the real lab server in process: a user check updates the firmware, which restarts and reports
// 200 from the new firmware; a firmware that never confirms returns and reports 410; and a power cut at every
// persistence step (tree commits, nonces, the alert queue, the FUMO journal, the slots' boot record) and
// inside the image transfer leaves a device that boots, reports, and ends on the new firmware.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DmAgent } from '../../agent/agent.js';
import { parseDeviceDescription } from '../../agent/description/parse.js';
import { DEVICE } from '../../agent/tree/types.js';
import { nodeCrypto } from '../../platform/node/crypto.js';
import { loadCatalog } from '../../lab/server/catalog.js';
import { MemoryStorage } from '../helpers/memory-storage.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { FirmwareBench } from '../helpers/fake-firmware.js';
import { repoRoot } from '../helpers/peers.js';
import { PKG_BASE, catalogHardware, makeServer } from '../lab/server/fixtures.js';

const desc = parseDeviceDescription(JSON.parse(readFileSync(join(repoRoot, 'lab/examples/device-current.json'), 'utf8')));
const IMAGE = 'fw-ts-agent-1-1.1.0.json';
const catalog = () => loadCatalog(join(repoRoot, 'lab/examples/catalog-firmware.json'));

function bench(storage: MemoryStorage) {
  const b = new FirmwareBench(storage, { firmware: 'TS-Agent-1', version: '1.0.0' });
  b.files.set(`${PKG_BASE}/${IMAGE}`, new Uint8Array(readFileSync(join(repoRoot, 'lab/examples/packages', IMAGE))));
  return b;
}

/** One power-on: the slots start (the bootloader's choice), then the agent boots on the same flash. */
function boot(storage: MemoryStorage, b: FirmwareBench, server: ReturnType<typeof makeServer>['server'], confirmAnswer = 200) {
  const hw = catalogHardware(desc.components.map((c) => ({ id: c.id, name: c.name, version: c.version })));
  return DmAgent.boot(
    desc,
    {
      storage,
      clock: quickClock(),
      crypto: nodeCrypto,
      ...hw,
      firmware: b.powerOn(),
      transport: {
        exchange: async (out) => {
          const r = await server.handle(out.body, { uri: out.uri, contentType: out.contentType });
          if (!r || (r.status ?? 200) !== 200) throw new Error('server refused');
          return { body: r.body, contentType: r.contentType };
        },
      },
    },
    { ui: { answer: async () => ({ status: confirmAnswer, items: [] }) } },
  );
}

/** A virtual clock whose pauses end at once: the download's retry pauses cost no time and need no driver. */
function quickClock(): FakeClock {
  const c = new FakeClock();
  c.setTimeout = (fn) => setImmediate(fn);
  return c;
}

const fwv = (a: DmAgent) => a.tree.get('./DevDetail/FwV', DEVICE).data;
const state = (a: DmAgent) => a.tree.get('./FUMO/fw/State', DEVICE).data;

test('a user check on the lab server: the firmware downloads, the device restarts, the new firmware reports 200', async () => {
  const { server, logs } = makeServer({ catalog: catalog() });
  const storage = new MemoryStorage();
  const b = bench(storage);
  const a = await boot(storage, b, server);
  assert.equal(fwv(a), '1.0.0');
  a.requestUpdate('user');
  const r = await a.runSession();
  assert.equal(r.ok, true, JSON.stringify(r.error));
  assert.equal(r.sessions, 1, 'no follow-up before the restart: the new firmware reports');
  assert.equal(a.fumo?.restarted, true);
  const ui = server.uiAnswers();
  assert.equal(ui.at(-1)?.text, 'Firmware 1.1.0 is available. Install now? The device will restart.');
  assert.equal(server.deployments()[0]?.operation, 'DownloadAndUpdate');
  assert.equal(server.deployments()[0]?.state, 'accepted');

  const n = await boot(storage, b, server);
  assert.equal(n.fumo?.inTrial, true);
  assert.equal(fwv(n), '1.1.0');
  const r2 = await n.runSession();
  assert.equal(r2.ok, true);
  assert.equal(r2.sessions, 2, 'the session that confirms, then the one that reports');
  assert.equal(state(n), '100');
  const outcomes = server.outcomes();
  assert.deepEqual(
    outcomes.map((o) => [o.resultCode, o.source, o.deployment?.version]),
    [[200, './FUMO/fw/DownloadAndUpdate', '1.1.0']],
  );
  assert.equal(server.deployments()[0]?.state, 'completed');
  assert.deepEqual(server.deviations(), [], logs.join('\n'));
  // The server now sees 1.1.0 and offers nothing more.
  const again = await boot(storage, b, server);
  again.requestUpdate('user');
  await again.runSession();
  assert.equal(server.deployments().length, 1, 'up to date');
});

test('a firmware that never confirms: the next start returns to 1.0.0, which reports 410 to the server', async () => {
  const { server } = makeServer({ catalog: catalog() });
  const storage = new MemoryStorage();
  const b = bench(storage);
  const a = await boot(storage, b, server);
  a.requestUpdate('user');
  await a.runSession();
  const trial = await boot(storage, b, server);
  assert.equal(trial.fumo?.inTrial, true);
  // The new firmware never gets a good session (it hangs, crashes, the network is down) and restarts.
  const back = await boot(storage, b, server);
  assert.equal(fwv(back), '1.0.0');
  assert.equal(back.fumo?.started.slot, 'a');
  await back.runSession();
  assert.deepEqual(
    server.outcomes().map((o) => [o.resultCode, o.ok]),
    [[410, false]],
  );
  assert.equal(server.deployments()[0]?.state, 'failed');
  assert.equal(state(back), '80');
});

test('the user says no: nothing is downloaded, nothing restarts', async () => {
  const { server } = makeServer({ catalog: catalog() });
  const storage = new MemoryStorage();
  const b = bench(storage);
  const a = await boot(storage, b, server, 304);
  a.requestUpdate('user');
  await a.runSession();
  assert.equal(b.restarts, 0);
  assert.equal(server.deployments().length, 0);
  assert.equal(b.offsetsAsked.length, 0);
});

/** Boots and checks until the device runs 1.1.0 with nothing left to report (a failed update is asked again). */
async function settle(storage: MemoryStorage, b: FirmwareBench, server: ReturnType<typeof makeServer>['server'], where: string) {
  let a = await boot(storage, b, server);
  for (let i = 0; i < 12; i++) {
    const idle = !a.fumo?.journal.current() && a.queue.pending().length === 0;
    if (idle && a.fumo?.started.version === '1.1.0') return a;
    if (idle) a.requestUpdate('user');
    if (!a.fumo?.restarted) await a.runSession();
    a = await boot(storage, b, server);
  }
  assert.fail(`${where}: the device did not settle on 1.1.0`);
}

test('a power cut at every persistence step, and inside the image transfer: the device boots, reports, and ends on 1.1.0', async () => {
  // An undisturbed update, to count its writes: the check, the restart, the trial's sessions.
  const probe = new MemoryStorage();
  const pb = bench(probe);
  const { server: ps } = makeServer({ catalog: catalog() });
  const p = await boot(probe, pb, ps);
  p.requestUpdate('user');
  const before = probe.writes;
  await p.runSession();
  await (await boot(probe, pb, ps)).runSession();
  const steps = probe.writes - before;
  assert.ok(steps >= 15, `${steps} persistence steps`);

  const cuts: { k?: number; bytes?: number }[] = [];
  for (let k = 0; k <= steps; k++) cuts.push({ k });
  for (const bytes of [0, 1, 100, 150]) cuts.push({ bytes });
  let failedThenRetried = 0;
  for (const cut of cuts) {
    const { server } = makeServer({ catalog: catalog() });
    const storage = new MemoryStorage();
    const b = bench(storage);
    const a = await boot(storage, b, server);
    a.requestUpdate('user');
    if (cut.k !== undefined) storage.failAfter(cut.k);
    if (cut.bytes !== undefined) b.powerCutAt = cut.bytes;
    try {
      await a.runSession();
      // The power may also go in the new firmware's first start.
      if (a.fumo?.restarted) await (await boot(storage, b, server)).runSession();
    } catch {
      /* the cut */
    }
    storage.restorePower();
    const where = cut.k !== undefined ? `cut after ${cut.k} of ${steps} writes` : `cut at byte ${cut.bytes} of the image`;
    const end = await settle(storage, b, server, where);
    assert.equal(fwv(end), '1.1.0', `${where}: FwV says what runs`);
    assert.equal(state(end), '100', `${where}: State`);
    assert.equal(end.fumo?.started.trial, false, `${where}: confirmed`);
    const deployments = server.deployments();
    assert.ok(
      deployments.every((d) => d.state === 'completed' || d.state === 'failed' || d.state === 'refused' || d.state === 'sent'),
      `${where}: every accepted update was reported: ${JSON.stringify(deployments.map((d) => d.state))}`,
    );
    assert.equal(deployments.filter((d) => d.state === 'completed').length, 1, `${where}: updated once`);
    assert.ok(server.duplicateResults() <= 1, `${where}: ${server.duplicateResults()} repeated results`);
    if (deployments.some((d) => d.state === 'failed')) failedThenRetried++;
  }
  // Only a cut during the trial (before its confirmation) sends the device back: then it says so, and the next check updates it.
  assert.ok(failedThenRetried < cuts.length / 2, `${failedThenRetried} of ${cuts.length} cuts ended in a reported failure first`);
});
