import { test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { startEmbeddedBroker } from '../../../lab/server/broker.js';

test('embedded broker: MQTT 3.1.1 QoS 1 round trip on loopback, then closes', async () => {
  const broker = await startEmbeddedBroker();
  assert.match(broker.url, /^mqtt:\/\/127\.0\.0\.1:\d+$/);
  const a = await mqtt.connectAsync(broker.url, { protocolVersion: 4 });
  const b = await mqtt.connectAsync(broker.url, { protocolVersion: 4 });
  await b.subscribeAsync('t/x', { qos: 1 });
  const got = new Promise<string>((r) => b.on('message', (_t, p) => r(p.toString())));
  await a.publishAsync('t/x', 'hello', { qos: 1 });
  assert.equal(await got, 'hello');
  await a.endAsync();
  await b.endAsync();
  await broker.close();
  await assert.rejects(mqtt.connectAsync(broker.url, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 500 }));
});
