import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
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

test('an embedded broker on a port that is taken fails, names the address, and leaves the process free to end', () => {
  // Before, aedes stayed open after the listen error: `serve --mqtt embedded --broker-port <busy>` printed
  // EADDRINUSE and went on running. The limit is a backstop against that hang only.
  const r = spawnSync(process.execPath, ['--import', 'tsx', new URL('./fixtures/busy-broker-port.ts', import.meta.url).pathname], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(r.signal, null, `the process ended by itself (stderr: ${r.stderr.slice(0, 300)})`);
  assert.match(r.stdout, /^refused: embedded MQTT broker: cannot listen on 127\.0\.0\.1:\d+ \(EADDRINUSE\)/m);
});
