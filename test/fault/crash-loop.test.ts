// A package whose install brings the device down (a VM abort, a watchdog reset) every time. The SCOMO
// journal records the install step before the installer runs, so each boot resumes the install; without a
// bound the device would restart forever. After MAX_STEP_TRIES entries the job fails with 1405, the old
// version keeps running, and the server hears of it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DmAgent } from '../../agent/agent.js';
import type { ComponentInfo, Installer } from '../../agent/ports.js';
import { parseDeviceDescription } from '../../agent/description/parse.js';
import { listDeployed } from '../../agent/scomo/subtree.js';
import { MAX_STEP_TRIES } from '../../agent/scomo/jobs.js';
import { ScomoResult } from '../../agent/scomo/result-codes.js';
import { nodeCrypto } from '../../platform/node/crypto.js';
import { MemoryStorage } from '../helpers/memory-storage.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { repoRoot } from '../helpers/peers.js';
import { makeServer, catalogHardware } from '../lab/server/fixtures.js';

const desc = parseDeviceDescription(JSON.parse(readFileSync(join(repoRoot, 'lab/examples/device.json'), 'utf8')));

/** An installer whose install never returns, as if the device died inside it; the rest is the real fake. */
class DyingInstaller implements Installer {
  installCalls = 0;
  constructor(private readonly inner: Installer) {}
  install(): Promise<ComponentInfo[]> {
    this.installCalls++;
    return new Promise(() => {});
  }
  activate(id: string) {
    return this.inner.activate(id);
  }
  deactivate(id: string) {
    return this.inner.deactivate(id);
  }
  remove(id: string) {
    return this.inner.remove(id);
  }
  installed() {
    return this.inner.installed();
  }
}

test(`an install that takes the device down at every boot is given up after ${MAX_STEP_TRIES} tries, and reported`, async () => {
  const { server } = makeServer();
  const hw = catalogHardware(desc.components.map((c) => ({ id: c.id, name: c.name, version: c.version })));
  const dying = new DyingInstaller(hw.installer);
  const storage = new MemoryStorage();
  const logs: string[] = [];
  const ports = (installer: Installer) => ({
    storage,
    clock: new FakeClock(),
    crypto: nodeCrypto,
    downloader: hw.downloader,
    installer,
    log: {
      log: (_l: string, m: string) => {
        logs.push(m);
      },
    },
    transport: {
      exchange: async (out: { body: Uint8Array; uri: string; contentType: string }) => {
        const r = await server.handle(out.body, { uri: out.uri, contentType: out.contentType });
        if (!r || (r.status ?? 200) !== 200) throw new Error('server refused');
        return { body: r.body, contentType: r.contentType };
      },
    },
  });
  const options = { ui: { answer: async () => ({ status: 200, items: [] }) } };
  const until = async (cond: () => boolean) => {
    for (let i = 0; i < 1000 && !cond(); i++) await new Promise((r) => setImmediate(r));
    assert.ok(cond(), 'cond()');
  };

  // The update session accepts the deployment; the install after it never comes back: the device is "dead".
  const first = await DmAgent.boot(desc, ports(dying), options);
  first.requestUpdate('user', 'app1');
  void first.runSession();
  await until(() => dying.installCalls === 1);
  // Each boot resumes the install, which dies again; the boot never finishes.
  for (let boot = 2; boot <= MAX_STEP_TRIES; boot++) {
    void DmAgent.boot(desc, ports(dying), options);
    await until(() => dying.installCalls === boot);
  }
  // The next boot gives up instead of installing: it completes, with the failure queued for the server.
  const after = await Promise.race([
    DmAgent.boot(desc, ports(dying), options),
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`boot ${MAX_STEP_TRIES + 1} ran the install again (${dying.installCalls} calls)`)), 5000).unref(),
    ),
  ]);
  assert.equal(dying.installCalls, MAX_STEP_TRIES, 'the installer is not called again');
  assert.ok(
    logs.some((m) => /restarted during 'installing' 3 times/.test(m)),
    logs.join('\n'),
  );
  assert.equal(listDeployed(after.tree).find((c) => c.id === 'com.example.weather')!.version, '1.0', 'the old version stays');
  assert.equal(after.queue.pending().length, 1);
  assert.match(after.queue.pending()[0]!.data, new RegExp(`<ResultCode>${ScomoResult.InstallFailed}</ResultCode>`));
  const r = await after.runSession();
  assert.equal(r.ok, true, r.error?.message);
  assert.deepEqual(
    server.outcomes().map((o) => o.resultCode),
    [ScomoResult.InstallFailed],
  );
  assert.deepEqual(after.queue.pending(), []);
});
