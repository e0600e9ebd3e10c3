import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { DmAgent } from '../../../agent/agent.js';
import { parseDeviceDescription } from '../../../agent/description/parse.js';
import { listDeployed } from '../../../agent/scomo/subtree.js';
import { decodeMessage } from '../../../agent/syncml/codec.js';
import { MqttTransport, replyRefs } from '../../../platform/node/mqtt-transport.js';
import { TransportError } from '../../../platform/node/transport-error.js';
import { nodeCrypto } from '../../../platform/node/crypto.js';
import { startMqttServer } from '../../../lab/server/mqtt.js';
import type { LabDmServer } from '../../../lab/server/dm-server.js';
import { MemoryStorage } from '../../helpers/memory-storage.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { needPeer, repoRoot } from '../../helpers/peers.js';
import { startBroker, freePort, type BrokerKind } from '../../helpers/brokers.js';
import { makeServer, catalogHardware } from '../../lab/server/fixtures.js';

const DEV_ID = 'IMEI:493005100592800';

function device(transport: MqttTransport, encoding: 'xml' | 'wbxml', answer = 'yes') {
  const desc = parseDeviceDescription(JSON.parse(readFileSync(join(repoRoot, 'lab/examples/device.json'), 'utf8')));
  const { downloader, installer } = catalogHardware(desc.components.map((c) => ({ id: c.id, name: c.name, version: c.version })));
  const storage = new MemoryStorage();
  return {
    desc,
    storage,
    installer,
    boot: () =>
      DmAgent.boot(
        desc,
        { storage, clock: new FakeClock(), crypto: nodeCrypto, transport, downloader, installer },
        {
          encoding,
          ui: { answer: async (a) => ({ status: answer === 'yes' ? 200 : 304, items: a.data === '1103' ? [{ data: '1' }] : [] }) },
        },
      ),
  };
}

/** Lab server over the broker; `hook` may hold a device message before the server sees it. */
async function labOverMqtt(url: string, hook?: (n: number, body: Uint8Array) => Promise<void>) {
  const { server, logs } = makeServer();
  let n = 0;
  const wrapped = {
    handle: async (body: Uint8Array, ctx: { uri: string }) => {
      await hook?.(++n, body);
      return server.handle(body, ctx);
    },
  } as unknown as LabDmServer;
  const srv = await startMqttServer({ server: wrapped, brokerUrl: url });
  return { server, srv, logs, seen: () => n };
}

for (const kind of ['aedes', 'mosquitto'] as BrokerKind[]) {
  const skip = kind === 'mosquitto' ? needPeer('mosquitto') : false;

  test(`${kind}: user check with confirm and update, XML and WBXML, through the real lab server`, { skip }, async () => {
    const broker = await startBroker(kind);
    const lab = await labOverMqtt(broker.url);
    try {
      for (const encoding of ['xml', 'wbxml'] as const) {
        const t = new MqttTransport({ brokerUrl: broker.url, devId: DEV_ID, clientId: `dev-${encoding}` });
        const d = device(t, encoding);
        const agent = await d.boot();
        agent.requestUpdate('user', 'app1');
        const r = await agent.runSession();
        await t.close();
        assert.equal(r.ok, true, JSON.stringify(r.error));
        assert.equal(r.sessions, 2, 'the result alert goes back in a follow-up session');
        assert.deepEqual(listDeployed(agent.tree).find((c) => c.node === 'app1')?.version, '2.0');
        assert.equal(agent.queue.pending().length, 0);
        assert.equal(t.stats.published, r.roundTrips, 'one publication per round trip');
        assert.equal(t.stats.bytesUp, r.bytesSent);
        assert.equal(t.stats.bytesDown, r.bytesReceived);
      }
      assert.deepEqual(
        lab.server.outcomes().map((o) => o.resultCode),
        [1200, 1200],
      );
      assert.deepEqual(lab.server.deviations(), []);
    } finally {
      await lab.srv.close();
      await broker.stop();
    }
  });

  test(`${kind}: the broker restarts mid-session; the device re-publishes and the session ends well, with no command run twice`, {
    skip,
  }, async () => {
    const broker = await startBroker(kind);
    let restarted = false;
    const lab = await labOverMqtt(broker.url, async (n) => {
      // The second device message reaches the server, then the broker dies before the reply goes out.
      if (n === 2 && !restarted) {
        restarted = true;
        await broker.stop();
        await new Promise((r) => setTimeout(r, 200));
        await broker.restart();
      }
    });
    try {
      const t = new MqttTransport({ brokerUrl: broker.url, devId: DEV_ID, reconnectMs: 100, timeoutMs: 1500, retries: 4 });
      const d = device(t, 'wbxml');
      const agent = await d.boot();
      agent.requestUpdate('device');
      const r = await agent.runSession();
      await t.close();
      assert.equal(restarted, true);
      assert.equal(r.ok, true, JSON.stringify(r.error));
      assert.ok(t.stats.reconnects >= 1, 'the device reconnected');
      assert.ok(t.stats.republished >= 1, 'the message in flight was published again');
      // The autoUpdate component (sensor) is updated once: the repeated message did not start a second deployment.
      assert.deepEqual(
        lab.server.deployments().map((x) => x.state),
        ['completed'],
      );
      assert.deepEqual(d.installer.installed().find((c) => c.id === 'com.example.sensor')?.version, '1.5');
    } finally {
      await lab.srv.close();
      await broker.stop();
    }
  });
}

test('username and password on mosquitto: right ones connect, wrong ones are refused for good (not retried)', {
  skip: needPeer('mosquitto'),
}, async () => {
  const broker = await startBroker('mosquitto', { users: { dev1: 's3cret' } });
  try {
    const good = new MqttTransport({ brokerUrl: broker.url, devId: DEV_ID, username: 'dev1', password: 's3cret' });
    await good.connect();
    await good.close();
    const bad = new MqttTransport({ brokerUrl: broker.url, devId: DEV_ID, username: 'dev1', password: 'wrong', connectTimeoutMs: 3000 });
    const err = await bad.connect().then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof TransportError, String(err));
    assert.equal(err.info.kind, 'refused');
    assert.equal(err.info.retryable, false);
  } finally {
    await broker.stop();
  }
});

/** A server's reply to message `msgRef` of session `sessionId` (only its SyncHdr Status), padded with layout to `size` bytes. */
function serverReply(sessionId: string, msgRef: string, size = 0): Buffer {
  const xml =
    `<SyncML><SyncHdr><VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto><SessionID>${sessionId}</SessionID><MsgID>9</MsgID>` +
    `<Target><LocURI>${DEV_ID}</LocURI></Target><Source><LocURI>http://s/dm</LocURI></Source></SyncHdr><SyncBody>` +
    `<Status><CmdID>1</CmdID><MsgRef>${msgRef}</MsgRef><CmdRef>0</CmdRef><Cmd>SyncHdr</Cmd><Data>200</Data></Status><Final/></SyncBody></SyncML>`;
  return Buffer.from(xml + ' '.repeat(Math.max(0, size - xml.length)));
}

test('duplicates and strays on /down are dropped: only the reply to the message in flight is delivered', async () => {
  const broker = await startBroker('aedes');
  const t = new MqttTransport({ brokerUrl: broker.url, devId: DEV_ID, timeoutMs: 3000 });
  const peer = await mqtt.connectAsync(broker.url, { protocolVersion: 4 });
  try {
    await peer.subscribeAsync(t.topics.up, { qos: 1 });
    peer.on('message', () => {
      // A stale reply of another session, a reply to an earlier message, then the real one, then its duplicate.
      void (async () => {
        await peer.publishAsync(t.topics.down, serverReply('77', '2'), { qos: 1 });
        await peer.publishAsync(t.topics.down, serverReply('5', '1'), { qos: 1 });
        await peer.publishAsync(t.topics.down, serverReply('5', '2'), { qos: 1 });
        await peer.publishAsync(t.topics.down, serverReply('5', '2'), { qos: 1 });
      })();
    });
    const reply = await t.exchange({
      uri: 'http://s/dm',
      body: new TextEncoder().encode('<SyncML/>'),
      contentType: 'application/vnd.syncml.dm+xml',
      sessionId: '5',
      msgId: '2',
    });
    assert.equal(decodeMessage(reply.body).hdr.sessionId, '5');
    assert.deepEqual(replyRefs(reply.body)?.msgRefs, ['2']);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(t.stats.dropped, 3, 'the stray, the stale and the duplicate');
  } finally {
    await t.close();
    await peer.endAsync();
    await broker.stop();
  }
});

test('a reply over maxReplyBytes is refused without being decoded; one at the limit is taken', async () => {
  const broker = await startBroker('aedes');
  const t = new MqttTransport({ brokerUrl: broker.url, devId: DEV_ID, timeoutMs: 3000, maxReplyBytes: 4096 });
  const peer = await mqtt.connectAsync(broker.url, { protocolVersion: 4 });
  try {
    await peer.subscribeAsync(t.topics.up, { qos: 1 });
    let n = 0;
    peer.on('message', () => {
      n++;
      void peer.publishAsync(t.topics.down, serverReply('5', String(n), n === 1 ? 4097 : 4096), { qos: 1 });
    });
    const out = (msgId: string) => ({
      uri: 'http://s/dm',
      body: new TextEncoder().encode('<SyncML/>'),
      contentType: 'application/vnd.syncml.dm+xml',
      sessionId: '5',
      msgId,
    });
    await assert.rejects(
      t.exchange(out('1')),
      (e: unknown) =>
        e instanceof TransportError &&
        e.info.kind === 'other' &&
        !e.info.retryable &&
        /4097 bytes, more than the 4096 bytes taken/.test(e.message),
    );
    const taken = await t.exchange(out('2'));
    assert.equal(taken.body.length, 4096);
    assert.deepEqual(replyRefs(taken.body)?.msgRefs, ['2']);
    assert.equal(t.stats.dropped, 1, 'the oversized reply only');
  } finally {
    await t.close();
    await peer.endAsync();
    await broker.stop();
  }
  assert.throws(() => new MqttTransport({ brokerUrl: 'mqtt://x', devId: DEV_ID, maxReplyBytes: 0 }), /maxReplyBytes/);
});

test('no broker: a refused connection is a clean failure and the alert stays queued', async () => {
  const port = await freePort();
  const t = new MqttTransport({ brokerUrl: `mqtt://127.0.0.1:${port}`, devId: DEV_ID, connectTimeoutMs: 800, reconnectMs: 100 });
  const d = device(t, 'xml');
  const agent = await d.boot();
  agent.requestUpdate('user', 'app1');
  const r = await agent.runSession();
  await t.close();
  assert.equal(r.ok, false);
  assert.equal(r.error?.code, 'DM_ERR_TRANSPORT');
  assert.match(r.error?.message ?? '', /refused|ECONNREFUSED/);
  assert.equal(agent.queue.pending().length, 1);
});

test('a server that never answers: re-published, then a timeout; the alert stays queued for the next session', async () => {
  const broker = await startBroker('aedes');
  const ups: Buffer[] = [];
  const peer = await mqtt.connectAsync(broker.url, { protocolVersion: 4 });
  try {
    const t = new MqttTransport({ brokerUrl: broker.url, devId: DEV_ID, timeoutMs: 300, retries: 2 });
    await peer.subscribeAsync(t.topics.up, { qos: 1 });
    peer.on('message', (_t, p) => ups.push(p));
    const d = device(t, 'xml');
    const agent = await d.boot();
    agent.requestUpdate('device');
    const r = await agent.runSession();
    await t.close();
    assert.equal(r.ok, false);
    assert.match(r.error?.message ?? '', /after 3 publication\(s\)/);
    assert.equal(ups.length, 3, 'published once and re-published twice');
    assert.ok(
      ups.every((u) => u.equals(ups[0]!)),
      'the same bytes each time (the server dedupes on SessionID+MsgID)',
    );
    assert.equal(agent.queue.pending().length, 1);
  } finally {
    await peer.endAsync();
    await broker.stop();
  }
});

test('HMAC accounts cannot use MQTT: refused with a clear error before anything is published', async () => {
  const t = new MqttTransport({ brokerUrl: 'mqtt://127.0.0.1:1', devId: DEV_ID });
  await assert.rejects(
    t.exchange({ uri: 'x', body: new Uint8Array(1), contentType: 'x', hmac: 'algorithm=MD5', sessionId: '1', msgId: '1' }),
    (e: unknown) => e instanceof TransportError && /x-syncml-hmac/.test(e.message),
  );
  assert.throws(() => new MqttTransport({ brokerUrl: 'http://x', devId: DEV_ID }), /mqtt:\/\//);
  assert.throws(() => new MqttTransport({ brokerUrl: 'mqtt://x', devId: DEV_ID, timeoutMs: 0 }), /timeoutMs/);
});

test('the transport names its broker and topic for errors, without the credentials of the broker URL', async () => {
  const t = new MqttTransport({ brokerUrl: 'mqtt://dev:secret@127.0.0.1:1883', devId: 'IMEI:1', prefix: 'lab1/' });
  try {
    assert.equal(t.endpoint, 'mqtt://127.0.0.1:1883, topic lab1/dm/IMEI_1/up'); // ':' is escaped in a topic level (agent/binding/mqtt-topics.ts)
  } finally {
    await t.close();
  }
});
