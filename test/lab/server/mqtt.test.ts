import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import mqtt from 'mqtt';
import { startMqttServer, startEmbeddedBroker, topicDevId, dmTopics } from '../../../lab/server/mqtt.js';
import { decodeMessage, encodeMessage } from '../../../agent/syncml/codec.js';
import type { SyncMLMessage } from '../../../agent/syncml/model.js';
import { DEV_ID, devMsg, hdrStatusOf, makeServer, md5Cred, pkg1Body } from './fixtures.js';
import { needPeer } from '../../helpers/peers.js';

test('topic names: URL-safe DevId, optional prefix', () => {
  assert.equal(topicDevId('IMEI:49/30+0#1'), 'IMEI_49_30_0_1');
  assert.deepEqual(dmTopics(DEV_ID, 'lab/'), {
    up: 'lab/dm/IMEI_493005100592800/up',
    down: 'lab/dm/IMEI_493005100592800/down',
    notify: 'lab/dm/IMEI_493005100592800/notify',
  });
  assert.equal(dmTopics(DEV_ID).up, 'dm/IMEI_493005100592800/up');
});

/** A device-side MQTT client: publishes on /up, collects what arrives on /down and /notify. */
async function device(url: string, prefix: string) {
  const t = dmTopics(DEV_ID, prefix);
  const c = mqtt.connect(url, { protocolVersion: 4, clientId: `dev-${Math.random().toString(16).slice(2)}` });
  await new Promise<void>((r, j) => {
    c.once('connect', () => r());
    c.once('error', j);
  });
  await c.subscribeAsync([t.down, t.notify], { qos: 1 });
  const down: SyncMLMessage[] = [];
  const notes: string[] = [];
  const waiters: (() => void)[] = [];
  c.on('message', (topic, payload) => {
    if (topic === t.notify) notes.push(payload.toString());
    else down.push(decodeMessage(new Uint8Array(payload)));
    waiters.splice(0).forEach((w) => w());
  });
  const until = async (pred: () => boolean) => {
    const deadline = Date.now() + 5000;
    while (!pred()) {
      if (Date.now() > deadline) throw new Error('timed out waiting for MQTT');
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 100);
      });
    }
  };
  return { c, t, down, notes, until, up: (bytes: Uint8Array) => c.publishAsync(t.up, Buffer.from(bytes), { qos: 1 }) };
}

async function exercise(brokerUrl: string, prefix: string): Promise<void> {
  const { server } = makeServer();
  const srv = await startMqttServer({ server, brokerUrl, prefix });
  const d = await device(brokerUrl, prefix);
  try {
    const m1 = encodeMessage(devMsg({ msgId: 1, body: pkg1Body() }), 'wbxml');
    await d.up(m1);
    await d.until(() => d.down.length === 1);
    assert.equal(hdrStatusOf(d.down[0]!).data, '407');
    // A QoS 1 redelivery of the same message: the same reply again, not a second challenge with a new nonce.
    await d.up(m1);
    await d.until(() => d.down.length === 2);
    assert.equal(hdrStatusOf(d.down[1]!).chal?.meta.nextNonce, hdrStatusOf(d.down[0]!).chal?.meta.nextNonce);
    const nonce = hdrStatusOf(d.down[0]!).chal!.meta.nextNonce!;
    await d.up(encodeMessage(devMsg({ msgId: 2, cred: md5Cred(nonce), body: pkg1Body() }), 'wbxml'));
    await d.until(() => d.down.length === 3);
    assert.equal(hdrStatusOf(d.down[2]!).data, '212');
    await srv.notify(DEV_ID, 'update-available');
    await d.until(() => d.notes.length === 1);
    assert.deepEqual(d.notes, ['update-available']);
  } finally {
    await d.c.endAsync();
    await srv.close();
  }
}

test("MQTT over the embedded broker: reply on /down in the device's encoding, redelivery deduplicated, notify", async () => {
  const broker = await startEmbeddedBroker();
  try {
    await exercise(broker.url, 'lab');
  } finally {
    await broker.close();
  }
});

test('MQTT through mosquitto', { skip: needPeer('mosquitto') }, async () => {
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  const proc = spawn('mosquitto', ['-p', String(port)], { stdio: 'ignore' });
  try {
    const url = `mqtt://127.0.0.1:${port}`;
    for (let i = 0; ; i++) {
      try {
        const probe = await mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 500 });
        await probe.endAsync();
        break;
      } catch (e) {
        if (i > 30) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    await exercise(url, '');
  } finally {
    proc.kill();
  }
});
