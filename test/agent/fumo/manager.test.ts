import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { FumoManager } from '../../../agent/fumo/manager.js';
import { ExecRegistry } from '../../../agent/session/types.js';
import { AlertQueue } from '../../../agent/alerts/queue.js';
import { openTree } from '../../../agent/description/open-tree.js';
import { parseDeviceDescription } from '../../../agent/description/parse.js';
import { DEVICE } from '../../../agent/tree/types.js';
import type { DmError } from '../../../agent/errors.js';
import { nodeCrypto } from '../../../platform/node/crypto.js';
import { MemoryStorage } from '../../helpers/memory-storage.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { FirmwareBench, firmwareImage } from '../../helpers/fake-firmware.js';

const desc = parseDeviceDescription({
  devInfo: { devId: 'D', man: 'M', mod: 'X' },
  devDetail: { fwV: '1.0' },
  account: { serverId: 'labserver', serverUri: 'http://127.0.0.1/dm', auth: { type: 'none', username: '', password: '' } },
  components: [],
});
const URL = 'http://127.0.0.1:8080/firmware/x-1.1.json';
const IMG = firmwareImage('1.1');
const SHA = createHash('sha256').update(IMG).digest('hex');

/** One power-on of the device: the slots start, the tree and queue are read, FUMO recovers. */
async function start(bench: FirmwareBench, storage: MemoryStorage, extra: { healthCheck?: () => boolean } = {}) {
  const slots = bench.powerOn();
  const { tree } = openTree(storage, desc);
  const queue = new AlertQueue(storage);
  const clock = new FakeClock();
  const mgr = new FumoManager({ tree, storage, slots, crypto: nodeCrypto, queue, clock, firmwareName: 'X', ...extra });
  await mgr.recover();
  const reg = new ExecRegistry();
  mgr.register(reg);
  const exec = async (uri: string, correlator?: string) => {
    tree.checkExec(uri, 'labserver');
    return reg.find(uri)!({ uri, principal: 'labserver', tree, ...(correlator ? { correlator } : {}) });
  };
  const stage = (o: { node?: string; sha?: string; size?: number; url?: string } = {}) => {
    const node = o.node ?? 'DownloadAndUpdate';
    tree.replace('./FUMO/fw/PkgVersion', { data: '1.1' }, 'labserver');
    if (o.url !== '') tree.replace(`./FUMO/fw/${node}/PkgURL`, { data: o.url ?? URL }, 'labserver');
    for (const [leaf, v] of [
      ['Size', String(o.size ?? IMG.length)],
      ['SHA256', o.sha ?? SHA],
    ]) {
      const uri = `./FUMO/fw/Ext/${leaf}`;
      if (tree.exists(uri)) tree.replace(uri, { data: v }, 'labserver');
      else tree.add(uri, { format: 'chr', data: v }, 'labserver');
    }
    tree.commit();
  };
  const run = async () => {
    let settled = false;
    const p = mgr.runPending().finally(() => {
      settled = true;
    });
    for (let s = 0; s < 600 && !settled; s++) await clock.advance(1000);
    await p;
  };
  const leaf = (uri: string) => tree.get(uri, DEVICE).data;
  const alerts = () => queue.pending().map(({ id: _id, ...a }) => a);
  return { slots, tree, queue, mgr, exec, stage, run, leaf, alerts };
}

function bench(storage: MemoryStorage) {
  const b = new FirmwareBench(storage);
  b.files.set(URL, IMG);
  return b;
}

test('first boot lays ./FUMO/fw with its ACLs, State 10, and FwV from the running slot', async () => {
  const storage = new MemoryStorage();
  const d = await start(bench(storage), storage);
  assert.equal(d.leaf('./FUMO/fw/State'), '10');
  assert.equal(d.leaf('./FUMO/fw/PkgVersion'), '1.0');
  assert.equal(d.leaf('./DevDetail/FwV'), '1.0');
  assert.equal(d.tree.get('./FUMO/fw', DEVICE).type, 'urn:oma:mo:oma-fumo:1.0');
  assert.throws(
    () => d.tree.replace('./FUMO/fw/State', { data: '50' }, 'labserver'),
    (e: DmError) => e.status === 425,
  );
  assert.throws(
    () => d.tree.replace('./FUMO/fw/Update/PkgData', { data: 'x' }, 'labserver'),
    (e: DmError) => e.status === 425,
  );
  assert.equal(d.tree.get('./FUMO/fw/DownloadAndUpdate', DEVICE).leaf, false, 'Exec targets the interior node');
});

test('a boot with nothing new for FUMO writes no tree: the first lays ./FUMO, a later one on the same firmware only reads', async () => {
  const storage = new MemoryStorage();
  const b = bench(storage);
  await start(b, storage);
  const first = storage.read('tree');
  let writes = 0;
  const write = storage.write.bind(storage);
  storage.write = (key, value) => {
    if (key === 'tree') writes++;
    write(key, value);
  };
  await start(b, storage);
  assert.equal(writes, 0, 'the tree was written at a boot that changed nothing');
  assert.equal(storage.read('tree'), first);
});

test('DownloadAndUpdate: 202, image in the inactive slot, restart; the new firmware confirms after its first good session and reports 200', async () => {
  const storage = new MemoryStorage();
  const b = bench(storage);
  const d = await start(b, storage);
  d.stage();
  assert.equal(await d.exec('./FUMO/fw/DownloadAndUpdate', 'corr-1'), 202);
  assert.equal(d.leaf('./FUMO/fw/State'), '10', 'nothing happens during the session');
  await d.run();
  assert.equal(b.restarts, 1, 'the device restarted');
  assert.equal(d.mgr.restarted, true);
  assert.equal(d.leaf('./FUMO/fw/State'), '60');
  assert.deepEqual(d.alerts(), [], 'no result before the new firmware runs');

  const n = await start(b, storage);
  assert.deepEqual(n.slots.boot(), { slot: 'b', version: '1.1', trial: true });
  assert.equal(n.mgr.inTrial, true);
  assert.equal(n.leaf('./DevDetail/FwV'), '1.1', 'FwV says what runs');
  assert.deepEqual(n.alerts(), [], 'not confirmed yet: no result');
  assert.equal(n.mgr.afterSession(false), false, 'a failed session confirms nothing');
  assert.equal(n.mgr.afterSession(true), true);
  assert.equal(n.slots.boot().trial, false, 'confirmed');
  assert.equal(n.leaf('./FUMO/fw/State'), '100');
  assert.equal(n.leaf('./FUMO/fw/PkgVersion'), '1.1');
  assert.deepEqual(n.alerts(), [
    {
      type: 'org.openmobilealliance.dm.firmwareupdate.downloadandupdate',
      format: 'int',
      source: './FUMO/fw/DownloadAndUpdate',
      correlator: 'corr-1',
      data: '200',
    },
  ]);
  const again = await start(b, storage);
  assert.deepEqual(again.slots.boot(), { slot: 'b', version: '1.1', trial: false }, 'the confirmed firmware stays');
  assert.equal(again.alerts().length, 1, 'reported once');
});

test('a firmware that never confirms: the next start returns to the old slot, which reports 410', async () => {
  const storage = new MemoryStorage();
  const b = bench(storage);
  const d = await start(b, storage);
  d.stage();
  await d.exec('./FUMO/fw/DownloadAndUpdate', 'corr-2');
  await d.run();
  const trial = await start(b, storage);
  assert.equal(trial.mgr.inTrial, true);
  // No session succeeds (server unreachable, a crash): the device restarts.
  const back = await start(b, storage);
  assert.deepEqual(back.slots.boot(), { slot: 'a', version: '1.0', trial: false });
  assert.equal(back.leaf('./DevDetail/FwV'), '1.0');
  assert.equal(back.leaf('./FUMO/fw/State'), '80');
  assert.deepEqual(
    back.alerts().map((a) => [a.type, a.data, a.mark, a.correlator]),
    [['org.openmobilealliance.dm.firmwareupdate.downloadandupdate', '410', 'critical', 'corr-2']],
  );
  assert.equal(back.mgr.inTrial, false);
});

test("the device maker's health check decides instead of the session: false returns to the old slot", async () => {
  const storage = new MemoryStorage();
  const b = bench(storage);
  const d = await start(b, storage);
  d.stage();
  await d.exec('./FUMO/fw/DownloadAndUpdate');
  await d.run();
  const trial = await start(b, storage, { healthCheck: () => false });
  assert.equal(b.restarts, 2, 'a failed check restarts');
  assert.equal(trial.mgr.afterSession(true), false, 'the session does not confirm when a check is configured');
  const back = await start(b, storage);
  assert.equal(back.slots.boot().version, '1.0');
  assert.equal(back.alerts()[0]?.data, '410');
  const s2 = new MemoryStorage();
  const b2 = bench(s2);
  const e = await start(b2, s2);
  e.stage();
  await e.exec('./FUMO/fw/DownloadAndUpdate');
  await e.run();
  const ok = await start(b2, s2, { healthCheck: () => true });
  assert.equal(ok.slots.boot().trial, false, 'a passed check confirms at boot');
  assert.equal(ok.alerts()[0]?.data, '200');
});

test('a wrong SHA-256 or size: 402, State 20, the image dropped, no switch', async () => {
  for (const bad of [{ sha: '0'.repeat(64) }, { size: IMG.length + 1 }]) {
    const storage = new MemoryStorage();
    const b = bench(storage);
    const d = await start(b, storage);
    d.stage(bad);
    await d.exec('./FUMO/fw/DownloadAndUpdate', 'c');
    await d.run();
    assert.equal(b.restarts, 0);
    assert.equal(d.leaf('./FUMO/fw/State'), '20');
    assert.equal(d.slots.written(), 0, 'image dropped');
    assert.deepEqual(
      d.alerts().map((a) => [a.data, a.mark]),
      [['402', 'critical']],
    );
  }
});

test('a cut transfer resumes from the byte the slot holds; a server that keeps failing: 503, State 20', async () => {
  const storage = new MemoryStorage();
  const b = bench(storage);
  const d = await start(b, storage);
  d.stage();
  b.cutAt = 4000;
  await d.exec('./FUMO/fw/DownloadAndUpdate');
  await d.run();
  assert.deepEqual(b.offsetsAsked, [0, 4000]);
  assert.equal(b.restarts, 1);
  const s2 = new MemoryStorage();
  const b2 = bench(s2);
  const e = await start(b2, s2);
  e.stage();
  b2.failWith = { message: 'connection refused' };
  await e.exec('./FUMO/fw/DownloadAndUpdate');
  await e.run();
  assert.equal(e.leaf('./FUMO/fw/State'), '20');
  assert.equal(e.alerts()[0]?.data, '503');
  const s3 = new MemoryStorage();
  const b3 = bench(s3);
  const f = await start(b3, s3);
  f.stage();
  b3.failWith = { message: 'HTTP 503', httpStatus: 503 };
  await f.exec('./FUMO/fw/DownloadAndUpdate');
  await f.run();
  assert.equal(f.alerts()[0]?.data, '500', 'a 5xx from the download server is 500');
});

test('Download, then Update: State 40 and a download alert; the Update switches; an image that is no firmware is 405', async () => {
  const storage = new MemoryStorage();
  const b = bench(storage);
  const d = await start(b, storage);
  d.stage({ node: 'Download' });
  assert.equal(await d.exec('./FUMO/fw/Download', 'dl'), 202);
  await d.run();
  assert.equal(d.leaf('./FUMO/fw/State'), '40');
  assert.deepEqual(
    d.alerts().map((a) => [a.type, a.data]),
    [['org.openmobilealliance.dm.firmwareupdate.download', '200']],
  );
  assert.equal(b.restarts, 0);
  assert.equal(await d.exec('./FUMO/fw/Update', 'up'), 202);
  await d.run();
  assert.equal(b.restarts, 1);
  const n = await start(b, storage);
  n.mgr.afterSession(true);
  assert.deepEqual(
    n
      .alerts()
      .map((a) => [a.type, a.data, a.correlator])
      .slice(-1),
    [['org.openmobilealliance.dm.firmwareupdate.update', '200', 'up']],
  );

  const s2 = new MemoryStorage();
  const b2 = new FirmwareBench(s2);
  const junk = new TextEncoder().encode('not a firmware');
  b2.files.set(URL, junk);
  const e = await start(b2, s2);
  e.stage({ sha: createHash('sha256').update(junk).digest('hex'), size: junk.length });
  await e.exec('./FUMO/fw/DownloadAndUpdate');
  await e.run();
  assert.equal(b2.restarts, 0);
  assert.equal(e.leaf('./FUMO/fw/State'), '80');
  assert.equal(e.alerts()[0]?.data, '405');
});

test('Exec checks: no PkgURL or not http(s) 400; Update with nothing downloaded 405; a second operation 405', async () => {
  const storage = new MemoryStorage();
  const d = await start(bench(storage), storage);
  const status = async (uri: string) => {
    try {
      return await d.exec(uri);
    } catch (e) {
      return (e as DmError).status;
    }
  };
  assert.equal(await status('./FUMO/fw/DownloadAndUpdate'), 400);
  d.stage({ url: 'ftp://x/y' });
  assert.equal(await status('./FUMO/fw/DownloadAndUpdate'), 400);
  assert.equal(await status('./FUMO/fw/Update'), 405);
  d.stage();
  assert.equal(await status('./FUMO/fw/DownloadAndUpdate'), 202);
  assert.equal(await status('./FUMO/fw/Download'), 405);
  assert.equal(await status('./FUMO/fw/State'), 425, 'State: the ACL grants no Exec');
});

test("a new Download after an image was left in the slot starts from byte 0, not from the old image's end", async () => {
  const storage = new MemoryStorage();
  const b = bench(storage);
  const other = 'http://127.0.0.1:8080/firmware/x-1.2.json';
  const img2 = firmwareImage('1.2', { payload: 'g'.repeat(12000) });
  b.files.set(other, img2);
  const d = await start(b, storage);
  d.stage({ node: 'Download' });
  await d.exec('./FUMO/fw/Download');
  await d.run();
  assert.equal(d.leaf('./FUMO/fw/State'), '40');
  d.stage({ url: other, sha: createHash('sha256').update(img2).digest('hex'), size: img2.length });
  d.tree.replace('./FUMO/fw/PkgVersion', { data: '1.2' }, 'labserver');
  await d.exec('./FUMO/fw/DownloadAndUpdate', 'c2');
  await d.run();
  assert.deepEqual(b.offsetsAsked, [0, 0]);
  const n = await start(b, storage);
  assert.equal(n.slots.boot().version, '1.2');
});
