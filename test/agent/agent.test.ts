// DmAgent end to end against a scripted server: user trigger on a component, UI confirm on the display,
// SCOMO DownloadInstall (202), install after the session, and the result reported in a follow-up session.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { DmAgent } from '../../agent/agent.js';
import type { InboundMessage, OutboundMessage, Transport } from '../../agent/ports.js';
import type { AlertCmd, Command, SyncMLMessage } from '../../agent/syncml/model.js';
import { decodeMessage, encodeMessage } from '../../agent/syncml/codec.js';
import { parseDeviceDescription } from '../../agent/description/parse.js';
import { listDeployed } from '../../agent/scomo/subtree.js';
import { DmError } from '../../agent/errors.js';
import { nodeCrypto } from '../../platform/node/crypto.js';
import { MemoryStorage } from '../helpers/memory-storage.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { FakeDisplay } from '../helpers/fake-display.js';
import { FakeDownloader } from '../helpers/fake-downloader.js';
import { FakeInstaller } from '../helpers/fake-installer.js';
import { reply, statusesFor } from '../helpers/scripted-server.js';

const desc = parseDeviceDescription({
  devInfo: { devId: 'IMEI:1', man: 'M', mod: 'X' },
  account: { serverId: 'labserver', serverUri: 'http://127.0.0.1:8080/dm', auth: { type: 'basic', username: 'u', password: 'p' } },
  components: [{ node: 'app1', id: 'com.example.weather', name: 'Weather', version: '1.0' }],
});
const URL = 'http://127.0.0.1:8080/packages/w2.json';
const PKG = new TextEncoder().encode(JSON.stringify({ id: 'com.example.weather', name: 'Weather', version: '2.0' }));

function scripted(steps: ((m: SyncMLMessage) => SyncMLMessage)[]): Transport & { seen: SyncMLMessage[] } {
  const seen: SyncMLMessage[] = [];
  return {
    seen,
    exchange: async (out: OutboundMessage): Promise<InboundMessage> => {
      const m = decodeMessage(out.body);
      seen.push(m);
      const step = steps.shift();
      if (!step) throw new Error('server has nothing more to say');
      return { body: encodeMessage(step(m), 'xml') };
    },
  };
}

test('user update with confirm, DownloadInstall, install, then the result alert in a follow-up session', async () => {
  const downloader = new FakeDownloader();
  downloader.files.set(URL, PKG);
  const installer = new FakeInstaller(downloader, [{ id: 'com.example.weather', name: 'Weather', version: '1.0' }]);
  const display = new FakeDisplay();
  const clock = new FakeClock();
  const deploy: Command[] = [
    { kind: 'Alert', cmdId: '', data: '1101', items: [{ data: '' }, { data: 'Install Weather 2.0?' }] },
    {
      kind: 'Add',
      cmdId: '',
      items: [
        { target: { locURI: './SCOMO/Download/w2' }, meta: { format: 'node' } },
        { target: { locURI: './SCOMO/Download/w2/PkgID' }, meta: { format: 'chr' }, data: 'w2' },
        { target: { locURI: './SCOMO/Download/w2/PkgURL' }, meta: { format: 'chr' }, data: URL },
        {
          target: { locURI: './SCOMO/Download/w2/Ext/SHA256' },
          meta: { format: 'chr' },
          data: createHash('sha256').update(PKG).digest('hex'),
        },
      ],
    },
    { kind: 'Exec', cmdId: '', correlator: 'op-1', items: [{ target: { locURI: './SCOMO/Download/w2/Operations/DownloadInstall' } }] },
  ];
  const transport = scripted([
    (c) => reply(c, 212, [...statusesFor(c), { kind: 'Sequence', cmdId: '', commands: deploy }]),
    (c) => reply(c, 200, []),
    (c) => reply(c, 212, statusesFor(c)), // follow-up session: the result alert is acknowledged
  ]);
  const agent = await DmAgent.boot(desc, {
    storage: new MemoryStorage(),
    clock,
    crypto: nodeCrypto,
    transport,
    display,
    downloader,
    installer,
  });
  agent.requestUpdate('user', 'app1');
  const running = agent.runSession();
  for (let i = 0; i < 20 && display.last?.kind !== 'confirm'; i++) await clock.advance(0);
  assert.equal(display.last?.kind, 'confirm');
  display.press({ kind: 'yes' });
  const report = await running;
  assert.equal(report.ok, true, JSON.stringify(report.error));
  assert.equal(report.sessions, 2);
  assert.equal(listDeployed(agent.tree)[0]!.version, '2.0');
  const result = transport.seen[2]!.body.find((c) => c.kind === 'Alert' && c.data === '1226') as AlertCmd;
  assert.equal(result.correlator, 'op-1');
  assert.equal(result.items[0]!.meta?.type, 'urn:oma:at:scomo:1.0:OperationComplete');
  assert.equal(result.items[0]!.data, '<ResultCode>1200</ResultCode><Identifier>com.example.weather</Identifier>');
  assert.equal(agent.queue.pending().length, 0, 'acknowledged alerts left the queue');
  assert.ok(
    display.screens.some((s) => s.kind === 'progress'),
    'download progress was shown',
  );
});

test('AgentOptions.maxPackageBytes reaches SCOMO: a package whose Ext/Size is larger is refused, 1404, nothing fetched', async () => {
  const downloader = new FakeDownloader();
  downloader.files.set(URL, PKG);
  const installer = new FakeInstaller(downloader, [{ id: 'com.example.weather', name: 'Weather', version: '1.0' }]);
  const clock = new FakeClock();
  const transport = scripted([
    (c) =>
      reply(c, 212, [
        ...statusesFor(c),
        {
          kind: 'Add',
          cmdId: '',
          items: [
            { target: { locURI: './SCOMO/Download/w2' }, meta: { format: 'node' } },
            { target: { locURI: './SCOMO/Download/w2/PkgURL' }, meta: { format: 'chr' }, data: URL },
            { target: { locURI: './SCOMO/Download/w2/Ext/Size' }, meta: { format: 'int' }, data: String((1 << 20) + 1) },
          ],
        },
        { kind: 'Exec', cmdId: '', correlator: 'op-2', items: [{ target: { locURI: './SCOMO/Download/w2/Operations/DownloadInstall' } }] },
      ]),
    (c) => reply(c, 200, []),
    (c) => reply(c, 212, statusesFor(c)),
  ]);
  const agent = await DmAgent.boot(
    desc,
    { storage: new MemoryStorage(), clock, crypto: nodeCrypto, transport, downloader, installer },
    { maxPackageBytes: 1 << 20 },
  );
  agent.requestUpdate('device');
  const report = await agent.runSession();
  assert.equal(report.ok, true, JSON.stringify(report.error));
  assert.deepEqual(downloader.offsetsAsked, [], 'no byte fetched');
  const result = transport.seen[2]!.body.find((c) => c.kind === 'Alert' && c.data === '1226') as AlertCmd;
  assert.equal(result.items[0]!.data, '<ResultCode>1404</ResultCode><Identifier></Identifier>');
  assert.equal(listDeployed(agent.tree)[0]!.version, '1.0');
});

test('an unknown component is refused before anything is queued or sent', async () => {
  const transport = scripted([]);
  const agent = await DmAgent.boot(desc, { storage: new MemoryStorage(), clock: new FakeClock(), crypto: nodeCrypto, transport });
  assert.throws(
    () => agent.requestUpdate('user', 'nope'),
    (e: unknown) => e instanceof DmError && e.code === 'DM_ERR_UNKNOWN_COMPONENT',
  );
  assert.equal(agent.queue.pending().length, 0);
  assert.equal(transport.seen.length, 0);
});

test('server unreachable: the session fails cleanly and the alert stays queued for the next one', async () => {
  const transport: Transport = {
    exchange: async () => {
      throw new Error('connect ECONNREFUSED 127.0.0.1:8080');
    },
  };
  const storage = new MemoryStorage();
  const agent = await DmAgent.boot(desc, { storage, clock: new FakeClock(), crypto: nodeCrypto, transport });
  agent.requestUpdate('device');
  const r = await agent.runSession();
  assert.equal(r.ok, false);
  assert.equal(r.error?.code, 'DM_ERR_TRANSPORT');
  const again = await DmAgent.boot(desc, { storage, clock: new FakeClock(), crypto: nodeCrypto, transport });
  assert.equal(again.queue.pending().length, 1, 'still queued after a reboot');
});

test("a session id never repeats the previous session's, even when the random source does (and 0 is not an id)", async () => {
  const ids: string[] = [];
  const transport: Transport = {
    exchange: async (out) => {
      ids.push(decodeMessage(out.body).hdr.sessionId);
      throw new Error('offline');
    },
  };
  for (const draw of [
    [0x9c, 0xf6],
    [0, 0],
    [0xff, 0xff],
  ]) {
    const crypto = { ...nodeCrypto, randomBytes: (n: number) => new Uint8Array(n).map((_, i) => draw[i] ?? 0) };
    const agent = await DmAgent.boot(desc, { storage: new MemoryStorage(), clock: new FakeClock(), crypto, transport });
    agent.requestUpdate('device');
    for (let i = 0; i < 3; i++) await agent.runSession();
  }
  assert.deepEqual(ids, ['9CF6', '9CF7', '9CF6', '1', '2', '1', 'FFFF', '1', 'FFFF']);
});

test("onSessionEnd hears every session's end: a failed one with its error, and one whose run rejected", async () => {
  const refused: Transport = {
    exchange: async () => {
      throw new Error('connect ECONNREFUSED 127.0.0.1:8080');
    },
  };
  const agent = await DmAgent.boot(desc, { storage: new MemoryStorage(), clock: new FakeClock(), crypto: nodeCrypto, transport: refused });
  const ends: { ok: boolean; code?: string; message?: string }[] = [];
  agent.onSessionEnd = (r) => {
    ends.push({ ok: r.ok, ...(r.error ? { code: r.error.code, message: r.error.message } : {}) });
  };
  agent.requestUpdate('device');
  const r = await agent.runSession();
  assert.equal(r.ok, false);
  assert.deepEqual(
    ends.map((e) => [e.ok, e.code]),
    [[false, 'DM_ERR_TRANSPORT']],
  );
  assert.match(ends[0]!.message ?? '', /ECONNREFUSED/);

  // A session that cannot even start (here the random source fails) rejects, and is still heard.
  const broken = {
    ...nodeCrypto,
    randomBytes: (): Uint8Array => {
      throw new Error('no entropy');
    },
  };
  const other = await DmAgent.boot(desc, { storage: new MemoryStorage(), clock: new FakeClock(), crypto: broken, transport: refused });
  const heard: string[] = [];
  other.onSessionEnd = (e) => {
    heard.push(`${e.ok} ${e.error?.message ?? ''}`);
    throw new Error('a listener that throws changes nothing');
  };
  await assert.rejects(other.runSession(), /no entropy/);
  assert.deepEqual(heard, ['false no entropy']);
});

test("the check schedule reports to the device's log (a corrupt stored state, here)", async () => {
  const storage = new MemoryStorage();
  const lines: string[] = [];
  const log = {
    log: (level: string, message: string) => {
      lines.push(`${level} ${message}`);
    },
  };
  const scheduled = parseDeviceDescription({
    devInfo: { devId: 'IMEI:1', man: 'M', mod: 'X' },
    account: { serverId: 'labserver', serverUri: 'http://127.0.0.1:8080/dm', auth: { type: 'basic', username: 'u', password: 'p' } },
    components: [{ node: 'app1', id: 'com.example.weather', name: 'Weather', version: '1.0' }],
    schedule: { intervalMinutes: 60 },
  });
  const transport: Transport = {
    exchange: async () => {
      throw new Error('not reached');
    },
  };
  const agent = await DmAgent.boot(scheduled, { storage, clock: new FakeClock(), crypto: nodeCrypto, transport, log });
  storage.write('schedule', '{not json');
  agent.armTriggers();
  assert.ok(lines.includes('warn stored schedule state is corrupt; starting over'), lines.join('\n'));
});

test("a transport that names its endpoint is named when no reply comes (over MQTT the broker, not the DM server's http URL)", async () => {
  const transport: Transport = {
    endpoint: 'mqtt://127.0.0.1:1883, topic dm/IMEI:1/up',
    exchange: async () => {
      throw new Error('no reply within 30000 ms');
    },
  };
  const agent = await DmAgent.boot(desc, { storage: new MemoryStorage(), clock: new FakeClock(), crypto: nodeCrypto, transport });
  agent.requestUpdate('device');
  const r = await agent.runSession();
  assert.equal(r.error?.message, 'no reply from mqtt://127.0.0.1:1883, topic dm/IMEI:1/up: no reply within 30000 ms');
});
