import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startLab } from '../../../lab/server/lab.js';
import { freePort } from '../../helpers/brokers.js';
import { exampleCatalog } from './fixtures.js';

test('a lab whose MQTT broker cannot be reached fails to start, naming the broker, and holds no port', async () => {
  const port = await freePort();
  const closed = await freePort();
  const t0 = performance.now();
  await assert.rejects(
    startLab({ catalog: exampleCatalog(), devices: [], port, mqtt: `mqtt://127.0.0.1:${closed}` }),
    (e: Error) => e.message.startsWith(`MQTT broker mqtt://127.0.0.1:${closed}: `) && /ECONNREFUSED/.test(e.message),
  );
  assert.ok(performance.now() - t0 < 5000, 'a refused connection fails at once, not after the connect timeout');
  // The HTTP server it had started is closed again: the same port serves a new lab.
  const lab = await startLab({ catalog: exampleCatalog(), devices: [], port });
  try {
    assert.equal(lab.dmUrl, `http://127.0.0.1:${port}/dm`);
  } finally {
    await lab.close();
  }
});
