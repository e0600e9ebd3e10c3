import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { ScomoManager } from '../../../agent/scomo/operations.js';
import { ExecRegistry } from '../../../agent/session/types.js';
import { AlertQueue } from '../../../agent/alerts/queue.js';
import { openTree } from '../../../agent/description/open-tree.js';
import { parseDeviceDescription } from '../../../agent/description/parse.js';
import { listDeployed } from '../../../agent/scomo/subtree.js';
import { DEVICE } from '../../../agent/tree/types.js';
import { DmError } from '../../../agent/errors.js';
import { nodeCrypto } from '../../../platform/node/crypto.js';
import { MemoryStorage, PowerCut } from '../../helpers/memory-storage.js';
import { FakeDownloader } from '../../helpers/fake-downloader.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { FakeInstaller } from '../../helpers/fake-installer.js';

const desc = parseDeviceDescription({
  devInfo: { devId: 'D', man: 'M', mod: 'X' },
  account: { serverId: 'labserver', serverUri: 'http://127.0.0.1/dm', auth: { type: 'none', username: '', password: '' } },
  components: [
    { node: 'app1', id: 'com.example.weather', name: 'Weather', version: '1.0' },
    { node: 'app2', id: 'com.example.sensor', name: 'Sensor', version: '1.4' },
  ],
});
const URL = 'http://127.0.0.1:8080/packages/app1-2.0.json';
const PKG = new TextEncoder().encode(
  JSON.stringify({ id: 'com.example.weather', name: 'Weather', version: '2.0', payload: 'x'.repeat(5000) }),
);
const SHA = createHash('sha256').update(PKG).digest('hex');

function hardware() {
  const downloader = new FakeDownloader();
  downloader.files.set(URL, PKG);
  const installer = new FakeInstaller(downloader, [
    { id: 'com.example.weather', name: 'Weather', version: '1.0' },
    { id: 'com.example.sensor', name: 'Sensor', version: '1.4' },
  ]);
  return { downloader, installer };
}

function boot(storage: MemoryStorage, hw: ReturnType<typeof hardware>, extra: { maxPackageBytes?: number } = {}) {
  const { tree } = openTree(storage, desc);
  const queue = new AlertQueue(storage);
  const clock = new FakeClock();
  const mgr = new ScomoManager({
    tree,
    storage,
    downloader: hw.downloader,
    installer: hw.installer,
    crypto: nodeCrypto,
    queue,
    clock,
    ...extra,
  });
  const reg = new ExecRegistry();
  mgr.register(reg);
  const exec = async (uri: string, correlator?: string) => {
    tree.checkExec(uri, 'labserver');
    return reg.find(uri)!({ uri, principal: 'labserver', tree, ...(correlator ? { correlator } : {}) });
  };
  const stage = (o: { size?: number; sha?: string; url?: string } = {}) => {
    tree.add('./SCOMO/Download/pkg1', { format: 'node' }, 'labserver');
    tree.add('./SCOMO/Download/pkg1/PkgID', { format: 'chr', data: 'app1-2.0' }, 'labserver');
    if (o.url !== '') tree.add('./SCOMO/Download/pkg1/PkgURL', { format: 'chr', data: o.url ?? URL }, 'labserver');
    tree.add('./SCOMO/Download/pkg1/Ext/Size', { format: 'int', data: String(o.size ?? PKG.length) }, 'labserver');
    tree.add('./SCOMO/Download/pkg1/Ext/SHA256', { format: 'chr', data: o.sha ?? SHA }, 'labserver');
    tree.commit();
  };
  /** Runs the pending work, moving the clock over the pauses between download attempts. */
  const run = async () => {
    let settled = false;
    const p = mgr.runPending();
    p.then(
      () => {
        settled = true;
      },
      () => {
        settled = true;
      },
    );
    for (let s = 0; s < 600 && !settled; s++) await clock.advance(1000);
    await p;
  };
  return { tree, queue, mgr, exec, stage, clock, run };
}

const version = (tree: ReturnType<typeof boot>['tree'], node = 'app1') =>
  tree.get(`./SCOMO/Inventory/Deployed/${node}/Version`, DEVICE).data;

test('DownloadInstall: 202, download checked, installed active, Download entry gone, result alert with correlator', async () => {
  const hw = hardware();
  const w = boot(new MemoryStorage(), hw);
  w.stage();
  assert.equal(await w.exec('./SCOMO/Download/pkg1/Operations/DownloadInstall', 'corr-9'), 202);
  assert.equal(version(w.tree), '1.0', 'nothing happens during the session');
  await w.run();
  assert.equal(version(w.tree), '2.0');
  assert.equal(w.tree.get('./SCOMO/Inventory/Deployed/app1/State', DEVICE).data, '20');
  assert.equal(w.tree.get('./SCOMO/Inventory/Deployed/app1/PkgIDRef', DEVICE).data, 'app1-2.0');
  assert.equal(w.tree.exists('./SCOMO/Download/pkg1'), false);
  assert.deepEqual(
    w.queue.pending().map(({ id: _id, ...a }) => a),
    [
      {
        type: 'urn:oma:at:scomo:1.0:OperationComplete',
        format: 'xml',
        source: './SCOMO/Download/pkg1/Operations/DownloadInstall',
        target: './SCOMO/Inventory/Deployed/app1',
        correlator: 'corr-9',
        data: '<ResultCode>1200</ResultCode><Identifier>com.example.weather</Identifier>',
      },
    ],
  );
  assert.equal(hw.installer.installed().find((c) => c.id === 'com.example.weather')?.version, '2.0');
  assert.equal(hw.downloader.storedSize('app1-2.0'), 0, 'package store cleaned');
  assert.equal(w.mgr.journal.open().length, 0);
});

test('DownloadInstallInactive installs inactive; Download alone delivers', async () => {
  const a = boot(new MemoryStorage(), hardware());
  a.stage();
  await a.exec('./SCOMO/Download/pkg1/Operations/DownloadInstallInactive');
  await a.run();
  assert.equal(a.tree.get('./SCOMO/Inventory/Deployed/app1/State', DEVICE).data, '10');
  const b = boot(new MemoryStorage(), hardware());
  b.stage();
  await b.exec('./SCOMO/Download/pkg1/Operations/Download', 'd1');
  await b.run();
  assert.equal(b.tree.get('./SCOMO/Inventory/Delivered/pkg1/State', DEVICE).data, '10');
  assert.equal(b.tree.get('./SCOMO/Inventory/Delivered/pkg1/PkgID', DEVICE).data, 'app1-2.0');
  assert.equal(version(b.tree), '1.0');
  assert.match(b.queue.pending()[0]!.data, /<ResultCode>1200<\/ResultCode>/);
});

test('Activate, Deactivate, Remove: states, result alerts; activating an active component is 200 at once', async () => {
  const hw = hardware();
  const w = boot(new MemoryStorage(), hw);
  assert.equal(await w.exec('./SCOMO/Inventory/Deployed/app2/Operations/Activate'), 200);
  assert.equal(await w.exec('./SCOMO/Inventory/Deployed/app2/Operations/Deactivate', 'c-d'), 202);
  await w.run();
  assert.equal(w.tree.get('./SCOMO/Inventory/Deployed/app2/State', DEVICE).data, '10');
  assert.equal(await w.exec('./SCOMO/Inventory/Deployed/app2/Operations/Activate', 'c-a'), 202);
  await w.run();
  assert.equal(w.tree.get('./SCOMO/Inventory/Deployed/app2/State', DEVICE).data, '20');
  assert.equal(await w.exec('./SCOMO/Inventory/Deployed/app2/Operations/Remove', 'c-r'), 202);
  await w.run();
  assert.equal(w.tree.exists('./SCOMO/Inventory/Deployed/app2'), false);
  assert.equal(
    hw.installer.installed().some((c) => c.id === 'com.example.sensor'),
    false,
  );
  assert.deepEqual(
    w.queue.pending().map((a) => [a.correlator, a.target, a.data]),
    [
      ['c-d', './SCOMO/Inventory/Deployed/app2', '<ResultCode>1200</ResultCode><Identifier>com.example.sensor</Identifier>'],
      ['c-a', './SCOMO/Inventory/Deployed/app2', '<ResultCode>1200</ResultCode><Identifier>com.example.sensor</Identifier>'],
      ['c-r', './SCOMO/Inventory/Deployed/app2', '<ResultCode>1200</ResultCode><Identifier>com.example.sensor</Identifier>'],
    ],
  );
  hw.installer.failNext = 'deactivate';
  const w2 = boot(new MemoryStorage(), hw);
  await w2.exec('./SCOMO/Inventory/Deployed/app1/Operations/Deactivate');
  await w2.run();
  assert.match(w2.queue.pending()[0]!.data, /<ResultCode>1410<\/ResultCode>/);
  assert.equal(w2.queue.pending()[0]!.mark, 'critical');
  assert.equal(w2.tree.get('./SCOMO/Inventory/Deployed/app1/Status', DEVICE).data, '60');
});

test('validation at Exec time: no PkgURL 400, unknown node 404, an operation in progress 405; nothing journaled', async () => {
  const w = boot(new MemoryStorage(), hardware());
  w.stage({ url: '' });
  const code = async (p: Promise<number>) => {
    try {
      return await p;
    } catch (e) {
      return (e as DmError).status;
    }
  };
  assert.equal(await code(w.exec('./SCOMO/Download/pkg1/Operations/DownloadInstall')), 400);
  assert.equal(await code(Promise.resolve().then(() => w.exec('./SCOMO/Download/nope/Operations/DownloadInstall'))), 404);
  assert.equal(w.mgr.journal.open().length, 0);
  assert.equal(await w.exec('./SCOMO/Inventory/Deployed/app1/Operations/Deactivate'), 202);
  assert.equal(await code(w.exec('./SCOMO/Inventory/Deployed/app1/Operations/Remove')), 405);
});

test('a cut download resumes from the byte where it stopped', async () => {
  const hw = hardware();
  hw.downloader.cutAt = 1000;
  const w = boot(new MemoryStorage(), hw);
  w.stage();
  await w.exec('./SCOMO/Download/pkg1/Operations/DownloadInstall');
  await w.run();
  assert.deepEqual(hw.downloader.offsetsAsked, [0, 1000]);
  assert.equal(version(w.tree), '2.0');
});

test('size or SHA-256 mismatch: 1407, package discarded, the old version keeps running', async () => {
  for (const bad of [{ size: PKG.length + 1 }, { sha: '0'.repeat(64) }]) {
    const hw = hardware();
    const w = boot(new MemoryStorage(), hw);
    w.stage(bad);
    await w.exec('./SCOMO/Download/pkg1/Operations/DownloadInstall', 'c');
    await w.run();
    assert.match(w.queue.pending()[0]!.data, /<ResultCode>1407<\/ResultCode>/, JSON.stringify(bad));
    assert.equal(version(w.tree), '1.0');
    assert.equal(hw.installer.installed().find((c) => c.id === 'com.example.weather')?.version, '1.0');
    assert.equal(hw.downloader.storedSize('app1-2.0'), 0);
    assert.equal(w.tree.get('./SCOMO/Download/pkg1/Status', DEVICE).data, '20');
  }
});

test('a package larger than maxPackageBytes: refused before the download when Ext/Size says so, 1404 (out of memory)', async () => {
  const hw = hardware();
  const w = boot(new MemoryStorage(), hw, { maxPackageBytes: 1 << 20 });
  w.stage({ size: (1 << 20) + 1 });
  assert.equal(await w.exec('./SCOMO/Download/pkg1/Operations/DownloadInstall', 'c'), 202);
  await w.run();
  assert.deepEqual(hw.downloader.offsetsAsked, [], 'no byte fetched');
  assert.match(w.queue.pending()[0]!.data, /<ResultCode>1404<\/ResultCode>/);
  assert.equal(w.queue.pending()[0]!.mark, 'critical');
  assert.equal(w.tree.get('./SCOMO/Download/pkg1/Status', DEVICE).data, '20');
  assert.equal(version(w.tree), '1.0', 'the old version keeps running');
  // Without Ext/Size the limit still holds: the package is fetched, found too large, discarded: 1404, not 1405.
  const hw2 = hardware();
  const w2 = boot(new MemoryStorage(), hw2, { maxPackageBytes: PKG.length - 1 });
  w2.stage();
  w2.tree.delete('./SCOMO/Download/pkg1/Ext/Size', DEVICE);
  await w2.exec('./SCOMO/Download/pkg1/Operations/Download', 'c');
  await w2.run();
  assert.match(w2.queue.pending()[0]!.data, /<ResultCode>1404<\/ResultCode>/);
  assert.equal(hw2.downloader.storedSize('app1-2.0'), 0, 'discarded');
  // At the limit it is taken.
  const hw3 = hardware();
  const w3 = boot(new MemoryStorage(), hw3, { maxPackageBytes: PKG.length });
  w3.stage();
  await w3.exec('./SCOMO/Download/pkg1/Operations/DownloadInstall', 'c');
  await w3.run();
  assert.equal(version(w3.tree), '2.0');
  assert.throws(() => boot(new MemoryStorage(), hardware(), { maxPackageBytes: 0 }), /maxPackageBytes must be an integer > 0/);
});

test('install failure: 1405 and the inventory unchanged; download failure: 1402', async () => {
  const hw = hardware();
  hw.installer.failNext = 'install';
  const w = boot(new MemoryStorage(), hw);
  w.stage();
  await w.exec('./SCOMO/Download/pkg1/Operations/DownloadInstall');
  await w.run();
  assert.match(w.queue.pending()[0]!.data, /<ResultCode>1405<\/ResultCode>/);
  assert.equal(version(w.tree), '1.0');
  const hw2 = hardware();
  hw2.downloader.failWith = 'connection refused';
  const w2 = boot(new MemoryStorage(), hw2);
  w2.stage();
  await w2.exec('./SCOMO/Download/pkg1/Operations/DownloadInstall');
  await w2.run();
  assert.match(w2.queue.pending()[0]!.data, /<ResultCode>1402<\/ResultCode>/);
  assert.equal(hw2.downloader.offsetsAsked.length, 3, 'bounded retries');
});

test("a download failure is 1500 when the server answered 5xx, read from the error's httpStatus, not from its text", async () => {
  const resultOf = async (failWith: string, failStatus?: number) => {
    const hw = hardware();
    hw.downloader.failWith = failWith;
    if (failStatus !== undefined) hw.downloader.failStatus = failStatus;
    const w = boot(new MemoryStorage(), hw);
    w.stage();
    await w.exec('./SCOMO/Download/pkg1/Operations/DownloadInstall');
    await w.run();
    return /<ResultCode>(\d+)<\/ResultCode>/.exec(w.queue.pending()[0]!.data)?.[1];
  };
  assert.equal(await resultOf('GET /packages/app1-2.0.json: HTTP 503', 503), '1500');
  assert.equal(await resultOf('GET /packages/app1-2.0.json: HTTP 404', 404), '1402');
  // A transfer cut at byte 512 is no server error, whatever digits its message holds.
  assert.equal(await resultOf('GET /packages/app1-2.0.json stopped at byte 512'), '1402');
});

test('a power cut at every persistence step of a DownloadInstall: old or new version, inventory in step, one alert', async () => {
  // Count the writes of an undisturbed run.
  const probe = new MemoryStorage();
  const pw = boot(probe, hardware());
  pw.stage();
  const before = probe.writes;
  await pw.exec('./SCOMO/Download/pkg1/Operations/DownloadInstall', 'c1');
  await pw.run();
  const steps = probe.writes - before;
  assert.ok(steps >= 8, `${steps} persistence steps`);
  for (let k = 0; k < steps; k++) {
    const storage = new MemoryStorage();
    const hw = hardware();
    const w = boot(storage, hw);
    w.stage();
    storage.failAfter(k);
    let accepted = false;
    try {
      accepted = (await w.exec('./SCOMO/Download/pkg1/Operations/DownloadInstall', 'c1')) === 202;
      await w.run();
    } catch (e) {
      assert.ok(e instanceof PowerCut || (e instanceof DmError && /power cut/.test(e.message)), `k=${k}: ${String(e)}`);
    }
    storage.restorePower();
    const r = boot(storage, hw); // reboot on the same flash and the same installed software
    await r.mgr.recover();
    const installed = hw.installer.installed().find((c) => c.id === 'com.example.weather')!.version;
    assert.ok(installed === '1.0' || installed === '2.0', `k=${k}`);
    const inTree = listDeployed(r.tree).find((c) => c.id === 'com.example.weather')!.version;
    assert.equal(inTree, installed, `k=${k}: inventory in step with the installer`);
    const alerts = r.queue.pending().filter((a) => a.correlator === 'c1');
    if (accepted || k > 0) assert.ok(alerts.length <= 1, `k=${k}: ${alerts.length} alerts`);
    if (r.mgr.journal.open().length === 0 && (accepted || installed === '2.0'))
      assert.equal(alerts.length, 1, `k=${k}: exactly one result alert`);
    assert.equal(r.mgr.journal.open().length, 0, `k=${k}: nothing left half done`);
  }
});

test('download attempts back off (2 s, then 4 s); a failure the transport calls final is not tried again', async () => {
  const attemptsAt = async (failure: Error & { retryable?: boolean }) => {
    const hw = hardware();
    const w = boot(new MemoryStorage(), hw);
    const at: number[] = [];
    hw.downloader.fetch = async () => {
      at.push(w.clock.monotonic());
      throw failure;
    };
    w.stage();
    await w.exec('./SCOMO/Download/pkg1/Operations/DownloadInstall');
    await w.run();
    assert.match(w.queue.pending()[0]!.data, /<ResultCode>1402<\/ResultCode>/);
    return at;
  };
  assert.deepEqual(await attemptsAt(Object.assign(new Error('connection reset'), { retryable: true })), [0, 2000, 6000]);
  assert.deepEqual(await attemptsAt(Object.assign(new Error('HTTP 404'), { retryable: false, httpStatus: 404 })), [0]);
  const hw = hardware();
  const { tree } = openTree(new MemoryStorage(), desc);
  assert.throws(
    () =>
      new ScomoManager({
        tree,
        storage: new MemoryStorage(),
        downloader: hw.downloader,
        installer: hw.installer,
        crypto: nodeCrypto,
        queue: new AlertQueue(new MemoryStorage()),
        clock: new FakeClock(),
        retryDelayMs: 0,
      }),
    /retryDelayMs must be > 0/,
  );
});
