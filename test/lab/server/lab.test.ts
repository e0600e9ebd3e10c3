import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reachableAddress, startLab } from '../../../lab/server/lab.js';
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

test('a lab on 0.0.0.0 without --public-url tells devices a reachable address, not 0.0.0.0, and says so', async () => {
  const logs: string[] = [];
  const lab = await startLab({
    catalog: exampleCatalog(),
    devices: [],
    host: '0.0.0.0',
    port: 0,
    log: {
      log: (level, message) => {
        logs.push(`${level} ${message}`);
      },
    },
  });
  try {
    assert.doesNotMatch(lab.dmUrl, /0\.0\.0\.0/);
    assert.doesNotMatch(lab.packagesUrl, /0\.0\.0\.0/);
    const address = reachableAddress();
    if (address !== undefined) {
      assert.equal(new URL(lab.dmUrl).hostname, address);
      assert.ok(
        logs.some((l) => l.startsWith('warn listening on 0.0.0.0: devices are told')),
        logs.join('\n'),
      );
    }
  } finally {
    await lab.close();
  }
  // A machine with only loopback has nothing to tell: the warning asks for --public-url.
  assert.equal(
    reachableAddress({
      lo: [{ address: '127.0.0.1', family: 'IPv4', internal: true, netmask: '255.0.0.0', mac: '00:00:00:00:00:00', cidr: '127.0.0.1/8' }],
    }),
    undefined,
  );
  assert.equal(
    reachableAddress({
      eth0: [
        {
          address: '198.51.100.7',
          family: 'IPv4',
          internal: false,
          netmask: '255.255.255.0',
          mac: '02:00:00:00:00:01',
          cidr: '198.51.100.7/24',
        },
      ],
    }),
    '198.51.100.7',
  );
});
