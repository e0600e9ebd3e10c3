// `dm-agent run --device FILE [--server URL] [--encoding xml|wbxml] --trigger user|device [--component ID]
//  [--answers FILE] [--trace FILE] [--state DIR]`: one client-initiated session against any DM server over
// HTTP(S); exit 0 when the session ended well. The device's tree and queue persist in --state.
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DmAgent } from '../../agent/agent.js';
import type { Clock, Transport } from '../../agent/ports.js';
import { formatMessage } from '../../agent/syncml/codec.js';
import { nodeCrypto } from '../../platform/node/crypto.js';
import { FileStorage } from '../../platform/node/file-storage.js';
import { HttpTransport } from '../../platform/node/http-transport.js';
import { parseArgs, need, oneOf, str, UsageError } from '../args.js';
import { loadDevice } from './alert.js';
import { ConsoleDisplay } from '../demo/console-display.js';

const systemClock: Clock = {
  now: () => Date.now(), monotonic: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export async function runCommand(argv: string[], out: NodeJS.WritableStream): Promise<number> {
  const args = parseArgs(argv, { values: ['device', 'server', 'transport', 'encoding', 'trigger', 'component', 'answers', 'trace', 'state'], booleans: [] });
  const desc = loadDevice(need(args, 'device'));
  const trigger = oneOf(args, 'trigger', ['user', 'device'] as const);
  const kind = oneOf(args, 'transport', ['http', 'mqtt'] as const, desc.transport?.kind ?? 'http');
  if (kind === 'mqtt') throw new UsageError('--transport mqtt is not available yet (the MQTT binding is still to be built)');
  const server = str(args, 'server');
  if (server) desc.account.serverUri = server;
  const encoding = oneOf(args, 'encoding', ['xml', 'wbxml'] as const, desc.transport?.encoding ?? 'xml');
  const answers = str(args, 'answers') ? readFileSync(str(args, 'answers')!, 'utf8').split('\n').filter((l) => l.trim() && !l.trim().startsWith('#')) : [];
  const trace = str(args, 'trace');
  const http = new HttpTransport({ ...(desc.transport?.timeoutMs ? { timeoutMs: desc.transport.timeoutMs } : {}),
    ...(desc.transport?.retries !== undefined ? { retries: desc.transport.retries } : {}),
    ...(desc.transport?.caFile ? { ca: readFileSync(desc.transport.caFile) } : {}) });
  const transport: Transport = {
    exchange: async (msg) => {
      if (trace) appendFileSync(trace, `── device → ${msg.uri} (${new Date().toISOString()}, ${msg.body.length} bytes)\n${formatMessage(msg.body)}`);
      const reply = await http.exchange(msg);
      if (trace) appendFileSync(trace, `── server → device (${new Date().toISOString()}, ${reply.body.length} bytes)\n${formatMessage(reply.body)}`);
      return reply;
    },
  };
  const state = str(args, 'state') ?? join('.dm-state', desc.devInfo.devId.replace(/[^A-Za-z0-9._-]/g, '_'));
  const agent = await DmAgent.boot(desc, { storage: new FileStorage(state), clock: systemClock, crypto: nodeCrypto, transport,
    display: new ConsoleDisplay(out, answers) }, { encoding });
  agent.requestUpdate(trigger, str(args, 'component'));
  const r = await agent.runSession();
  out.write(`session ${r.ok ? 'ended well' : `failed: ${r.error?.message} [${r.error?.code}]`}: ${r.sessions} session(s), ${r.roundTrips} round trips, ` +
    `${r.bytesSent} B sent, ${r.bytesReceived} B received; ${agent.queue.pending().length} alert(s) still queued\n`);
  return r.ok ? 0 : 1;
}
