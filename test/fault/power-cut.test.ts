// A power cut at every persistence step of a user check with update (tree commits, nonces, the alert
// queue, the SCOMO journal), against the real lab server in process. After the cut the device reboots on the
// same flash and the same installed software and checks again until its queue is empty.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DmAgent } from '../../agent/agent.js';
import { parseDeviceDescription } from '../../agent/description/parse.js';
import { readAccount } from '../../agent/tree/dmacc.js';
import { listDeployed } from '../../agent/scomo/subtree.js';
import { decodeMessage } from '../../agent/syncml/codec.js';
import { nodeCrypto } from '../../platform/node/crypto.js';
import { MemoryStorage } from '../helpers/memory-storage.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { repoRoot } from '../helpers/peers.js';
import { makeServer, catalogHardware } from '../lab/server/fixtures.js';

const desc = parseDeviceDescription(JSON.parse(readFileSync(join(repoRoot, 'lab/examples/device.json'), 'utf8')));

const hardware = () => catalogHardware(desc.components.map((c) => ({ id: c.id, name: c.name, version: c.version })));

function boot(storage: MemoryStorage, hw: ReturnType<typeof hardware>, server: ReturnType<typeof makeServer>['server']) {
  return DmAgent.boot(
    desc,
    {
      storage,
      clock: new FakeClock(),
      crypto: nodeCrypto,
      ...hw,
      transport: {
        exchange: async (out) => {
          const r = await server.handle(out.body, { uri: out.uri, contentType: out.contentType });
          if (!r || (r.status ?? 200) !== 200) throw new Error('server refused');
          return { body: r.body, contentType: r.contentType };
        },
      },
    },
    { ui: { answer: async () => ({ status: 200, items: [] }) } },
  );
}

test('a power cut at every persistence step of a user check with update: last committed tree, no alert lost or run twice, old or new version', async () => {
  // An undisturbed run, to count its writes.
  const probe = new MemoryStorage();
  const p = await boot(probe, hardware(), makeServer().server);
  p.requestUpdate('user', 'app1');
  const before = probe.writes;
  assert.equal((await p.runSession()).ok, true);
  const steps = probe.writes - before;
  assert.ok(steps >= 10, `${steps} persistence steps`);

  const resent: number[] = [];
  for (let k = 0; k <= steps; k++) {
    const { server } = makeServer();
    const hw = hardware();
    const storage = new MemoryStorage();
    const a = await boot(storage, hw, server);
    a.requestUpdate('user', 'app1');
    storage.failAfter(k);
    let cut = false;
    try {
      const r = await a.runSession();
      cut = !r.ok;
    } catch {
      cut = true;
    }
    storage.restorePower();
    // Reboot: recovery finishes or rolls forward SCOMO work; then the device checks until its queue is empty.
    let b = await boot(storage, hw, server);
    for (let attempt = 0; attempt < 3 && b.queue.pending().length > 0; attempt++) {
      await b.runSession();
      b = await boot(storage, hw, server);
    }
    const where = `cut after ${k} of ${steps} writes${cut ? '' : ' (run unaffected)'}`;
    assert.deepEqual(b.queue.pending(), [], `${where}: queue drained`);
    const installed = hw.installer.installed().find((c) => c.id === 'com.example.weather')!.version;
    assert.equal(installed, '2.0', `${where}: the update lands in the end`);
    assert.equal(
      listDeployed(b.tree).find((c) => c.id === 'com.example.weather')!.version,
      installed,
      `${where}: tree inventory = installer`,
    );
    // Every deployment the device accepted was reported, once; none is left waiting for a result.
    const deployments = server.deployments();
    assert.ok(
      deployments.every((d) => d.state !== 'accepted' && d.state !== 'sent'),
      `${where}: ${JSON.stringify(deployments.map((d) => d.state))}`,
    );
    const perCorrelator = new Map<string, number>();
    for (const o of server.outcomes()) perCorrelator.set(o.correlator ?? '', (perCorrelator.get(o.correlator ?? '') ?? 0) + 1);
    for (const [c, n] of perCorrelator) assert.equal(n, 1, `${where}: result for ${c} recorded ${n} times`);
    // The device re-sends a result only when the cut fell between the server's acknowledgement and the
    // queue write that records it (at-least-once: no transport can do better); the server counts it once.
    assert.ok(server.duplicateResults() <= 1, `${where}: ${server.duplicateResults()} repeated results`);
    if (server.duplicateResults() === 1) resent.push(k);
    assert.equal(deployments.filter((d) => d.state === 'completed').length, 1, `${where}: installed once`);
  }
  // Only cuts in the last writes of the run (after the server acknowledged the result, before the queue
  // recorded it: the nonce and tree commits of that reply, then the queue write) make the device re-send.
  assert.ok(resent.length <= 4, `re-sent after cuts at writes ${resent.join(', ')}`);
  resent.forEach((k, i) =>
    assert.equal(
      k,
      steps - resent.length + i,
      `re-sent after cuts at writes ${resent.join(', ')} of ${steps}: only the window before the acknowledgement is recorded may cause it`,
    ),
  );
});

test("nonces: one the server sends rides on the next commit or the session's end, not a flash write per message; it survives a reboot", async () => {
  const { server } = makeServer();
  const storage = new MemoryStorage();
  const hw = hardware();
  const a = await boot(storage, hw, server);
  let challenges = 0;
  const exchange = a.ports.transport.exchange;
  a.ports.transport.exchange = async (out) => {
    const r = await exchange(out);
    if (decodeMessage(r.body).body.some((c) => c.kind === 'Status' && c.cmdRef === '0' && c.chal?.meta.nextNonce)) challenges++;
    return r;
  };
  // Tree writes that change nothing but ./DMAcc (where the nonces live).
  const branches = (json: string) => new Map((JSON.parse(json).root.c as { n: string }[]).map((b) => [b.n, JSON.stringify(b)]));
  let last = storage.read('tree')!;
  let nonceOnly = 0;
  const write = storage.write.bind(storage);
  storage.write = (key, value) => {
    write(key, value);
    if (key !== 'tree') return;
    const [was, now] = [branches(last), branches(value)];
    if ([...now].every(([n, b]) => n === 'DMAcc' || was.get(n) === b) && was.get('DMAcc') !== now.get('DMAcc')) nonceOnly++;
    last = value;
  };
  a.requestUpdate('user', 'app1');
  const r = await a.runSession();
  assert.equal(r.ok, true);
  assert.equal(r.sessions, 2);
  assert.ok(challenges >= 3, `${challenges} server messages carried a new nonce`);
  assert.ok(nonceOnly <= r.sessions, `${nonceOnly} tree writes for a nonce alone in ${r.sessions} sessions`);
  const rebooted = await boot(storage, hw, server);
  assert.deepEqual(readAccount(rebooted.tree).client.nonce, readAccount(a.tree).client.nonce, 'the last nonce is on flash');
  const verdicts: string[] = [];
  const next = rebooted.ports.transport.exchange;
  rebooted.ports.transport.exchange = async (out) => {
    const reply = await next(out);
    for (const c of decodeMessage(reply.body).body) if (c.kind === 'Status' && c.cmdRef === '0') verdicts.push(c.data);
    return reply;
  };
  rebooted.requestUpdate('device');
  assert.equal((await rebooted.runSession()).ok, true);
  assert.equal(verdicts[0], '212', `the next session authenticates at once, no 401 for a stale nonce: ${verdicts.join(', ')}`);
});
