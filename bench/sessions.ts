// Whole sessions (package 1 to the server's Final) per second in one process: the agent against the lab
// server in process (no sockets), a device check with nothing to update, state in memory. What it measures is
// the protocol work of both ends: codec, auth, tree, session engine, and the server's logic.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DmAgent } from '../agent/agent.js';
import { parseDeviceDescription } from '../agent/description/parse.js';
import { nodeCrypto } from '../platform/node/crypto.js';
import { nodeUtf8 } from '../platform/node/utf8.js';
import { LabDmServer } from '../lab/server/dm-server.js';
import { loadCatalog } from '../lab/server/catalog.js';
import { MemoryStorage } from '../test/helpers/memory-storage.js';
import { FakeClock } from '../test/helpers/fake-clock.js';

const root = new URL('..', import.meta.url).pathname;

export async function measureSessions(o: {
  encoding: 'xml' | 'wbxml';
  ms?: number;
}): Promise<{ sessionsPerS: number; sessions: number; roundTripsPerSession: number }> {
  const server = new LabDmServer({
    catalog: loadCatalog(join(root, 'lab/examples/catalog.json')),
    devices: [{ username: 'dmuser', password: 'dmpass', auth: 'md5' }],
    serverId: 'labserver',
    serverUri: 'http://127.0.0.1:8080/dm',
    packageBaseUrl: 'http://127.0.0.1:8080/packages',
  });
  const json = JSON.parse(readFileSync(join(root, 'lab/examples/device.json'), 'utf8'));
  json.components[0].version = '2.0';
  json.components[1].version = '1.5';
  const agent = await DmAgent.boot(
    parseDeviceDescription(json),
    {
      storage: new MemoryStorage(),
      clock: new FakeClock(),
      crypto: nodeCrypto,
      utf8: nodeUtf8,
      transport: {
        exchange: async (out) => {
          const r = await server.handle(out.body, { uri: out.uri, contentType: out.contentType });
          if (!r || (r.status ?? 200) !== 200) throw new Error('lab server refused the message');
          return { body: r.body, contentType: r.contentType };
        },
      },
    },
    { encoding: o.encoding },
  );
  const one = async () => {
    agent.requestUpdate('device');
    const r = await agent.runSession();
    if (!r.ok) throw new Error(`session failed: ${r.error?.message}`);
    return r.roundTrips;
  };
  for (let i = 0; i < 20; i++) await one();
  let n = 0;
  let trips = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < (o.ms ?? 2000)) {
    trips += await one();
    n++;
  }
  return { sessionsPerS: (n * 1000) / (performance.now() - t0), sessions: n, roundTripsPerSession: trips / n };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(await measureSessions({ encoding: 'xml' }), await measureSessions({ encoding: 'wbxml' }));
}
