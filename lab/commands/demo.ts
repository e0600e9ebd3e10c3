// `npm start` / `dm-agent demo`: one simulated device and the embedded demo DM server in one process. The
// device boots (first boot seeds its tree), the user presses update for the Weather app, the server
// challenges (MD5), reads the component's version, shows what it found and asks for consent on the device
// screen; a scripted user answers. Every message is traced as indented XML.
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DmAgent } from '../../agent/agent.js';
import type { Clock, Storage, Transport } from '../../agent/ports.js';
import { formatMessage } from '../../agent/syncml/codec.js';
import { listDeployed } from '../../agent/tree/dmacc.js';
import { nodeCrypto } from '../../platform/node/crypto.js';
import { parseArgs, str, oneOf } from '../args.js';
import { loadDevice } from './alert.js';
import { ConsoleDisplay } from '../demo/console-display.js';
import { DemoDmServer } from '../demo/responder.js';

const here = dirname(fileURLToPath(import.meta.url));

class MapStorage implements Storage {
  private m = new Map<string, string>();
  read(k: string) { return this.m.get(k); }
  write(k: string, v: string) { this.m.set(k, v); }
  remove(k: string) { this.m.delete(k); }
  keys() { return [...this.m.keys()]; }
}

const systemClock: Clock = {
  now: () => Date.now(), monotonic: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export async function demoCommand(argv: string[], out: NodeJS.WritableStream): Promise<number> {
  const args = parseArgs(argv, { values: ['device', 'answers', 'encoding', 'component'], booleans: ['quiet'] });
  const desc = loadDevice(str(args, 'device') ?? join(here, '../examples/device.json'));
  const answers = str(args, 'answers') ? readFileSync(str(args, 'answers')!, 'utf8').split('\n').filter((l) => l.trim() && !l.startsWith('#')) : ['yes'];
  const encoding = oneOf(args, 'encoding', ['xml', 'wbxml'] as const, 'xml');
  const quiet = args.flags.has('quiet');
  const server = new DemoDmServer({
    users: { [desc.account.auth.username]: desc.account.auth.password }, serverUri: desc.account.serverUri,
    catalog: [{ id: 'com.example.weather', name: 'Weather', version: '2.0' }, { id: 'com.example.sensor', name: 'Sensor driver', version: '1.4' }],
  });
  let n = 0;
  const transport: Transport = {
    exchange: async (msg) => {
      if (!quiet) out.write(`\n── device → server (message ${++n}, ${msg.body.length} bytes) ──\n${formatMessage(msg.body)}`);
      const reply = server.handle(msg);
      if (!quiet) out.write(`\n── server → device (${reply.body.length} bytes) ──\n${formatMessage(reply.body)}`);
      return reply;
    },
  };
  const display = new ConsoleDisplay(out, answers);
  const agent = await DmAgent.boot(desc, { storage: new MapStorage(), clock: systemClock, crypto: nodeCrypto, transport, display }, { encoding });
  const component = str(args, 'component') ?? 'app1';
  out.write(`Device ${desc.devInfo.devId} booted; deployed: ${listDeployed(agent.tree).map((c) => `${c.name} ${c.version}`).join(', ')}\n`);
  out.write(`The user presses "update" for ${component}.\n`);
  agent.requestUpdate('user', component);
  const report = await agent.runSession();
  out.write(`\nServer saw: ${server.log.join('; ')}\n`);
  out.write(`Session ${report.ok ? 'ended well' : `failed: ${report.error?.message}`}: ${report.roundTrips} round trips, ` +
    `${report.bytesSent} bytes sent, ${report.bytesReceived} bytes received (${encoding}).\n`);
  out.write('Download and install (SCOMO) are not built yet: the lab server will deploy updates once they are.\n');
  return report.ok ? 0 : 1;
}
