// `dm-agent run --device FILE [--server URL] [--transport http|mqtt] [--broker URL] [--encoding xml|wbxml]
//  --trigger user|device [--component ID] [--answers FILE] [--trace FILE] [--state DIR] [--log LEVEL]`: one
// client-initiated session (and the follow-up that reports SCOMO results) against any DM server; exit 0
// when it ended well. The device's tree, queue, packages and components persist in --state.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { listDeployed } from '../../agent/scomo/subtree.js';
import { startNodeDevice } from '../../platform/node/node-device.js';
import { TerminalDisplay, parseAnswers } from '../../platform/node/terminal-display.js';
import { StreamLog, isLogLevel } from '../../platform/node/log.js';
import { traceToFile } from '../../platform/node/trace.js';
import { brokerOption, parseArgs, need, oneOf, serverOption, str, UsageError } from '../args.js';
import { loadDevice } from './alert.js';

export function stateDirFor(devId: string): string {
  return join('.dm-state', devId.replace(/[^A-Za-z0-9._-]/g, '_'));
}

export async function runCommand(argv: string[], out: NodeJS.WritableStream): Promise<number> {
  const args = parseArgs(argv, { values: ['device', 'server', 'transport', 'broker', 'encoding', 'trigger', 'component', 'answers', 'trace', 'state', 'log'], booleans: [] });
  const desc = loadDevice(need(args, 'device'));
  const trigger = oneOf(args, 'trigger', ['user', 'device'] as const);
  const transport = oneOf(args, 'transport', ['http', 'mqtt'] as const, desc.transport?.kind ?? 'http');
  const server = serverOption(args, transport);
  const broker = brokerOption(args);
  const encoding = oneOf(args, 'encoding', ['xml', 'wbxml'] as const, desc.transport?.encoding ?? 'xml');
  const level = str(args, 'log') ?? 'warn';
  if (!isLogLevel(level)) throw new UsageError(`--log must be one of error|warn|info|debug|trace, not '${level}'`);
  const answers = str(args, 'answers') ? parseAnswers(readFileSync(str(args, 'answers')!, 'utf8')) : [];
  const trace = str(args, 'trace');
  const dev = await startNodeDevice({
    desc, stateDir: str(args, 'state') ?? stateDirFor(desc.devInfo.devId), transport, ...(server ? { serverUri: server } : {}),
    ...(broker ? { brokerUrl: broker } : {}),
    display: new TerminalDisplay(out, { answers, quietProgress: true }), log: new StreamLog(out, level),
    ...(trace ? { trace: traceToFile(trace) } : {}), agent: { encoding },
  });
  try {
    dev.agent.requestUpdate(trigger, str(args, 'component'));
    const r = await dev.agent.runSession();
    out.write(`session ${r.ok ? 'ended well' : `failed: ${r.error?.message} [${r.error?.code}]`}: ${r.sessions} session(s), ${r.roundTrips} round trips, ` +
      `${r.bytesSent} B sent, ${r.bytesReceived} B received; ${dev.agent.queue.pending().length} alert(s) still queued\n`);
    out.write(`deployed: ${listDeployed(dev.agent.tree).map((c) => `${c.name} ${c.version}`).join(', ')}\n`);
    return r.ok ? 0 : 1;
  } finally {
    await dev.close();
  }
}
