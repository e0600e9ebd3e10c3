// `dm-agent run`: one client-initiated session (and the follow-up that reports SCOMO results) against any DM
// server; exit 0 when it ended well. The device's tree, queue, packages and components persist in --state.
import { startNodeDevice } from '../../platform/node/node-device.js';
import { TerminalDisplay } from '../../platform/node/terminal-display.js';
import { StreamLog } from '../../platform/node/log.js';
import { traceToFile } from '../../platform/node/trace.js';
import { defineVerb, parse, serverOption, type Verb } from '../args.js';
import { DEVICE_OPTIONS, ENCODING_OPTION, deployedList, loadDevice, readAnswers, stateDirFor } from './common.js';

export const runSpec = defineVerb({
  name: 'run',
  summary: 'run one session against a DM server; exit 0 when it ended well',
  description: [
    'One client-initiated session, and the follow-up that reports SCOMO results, against any DM server. Packages download ' +
    'over HTTP(S) with resume and install as components. The tree, the alert queue, packages and components persist in ' +
    '--state, so an alert that could not be sent goes with the next run.',
  ],
  options: {
    ...DEVICE_OPTIONS,
    encoding: { ...ENCODING_OPTION, defaultText: "the device file's transport.encoding, else xml" },
    trigger: { type: 'choice', choices: ['user', 'device'], required: true, description: 'user: UpdateUserRequest (the button); device: UpdateDeviceRequest (the schedule)' },
    component: { type: 'string', value: 'ID', description: 'the component the request names: a Deployed node name, its URI or the component ID' },
    log: { ...DEVICE_OPTIONS.log, default: 'warn' },
  },
});

export async function runCommand(argv: string[], out: NodeJS.WritableStream): Promise<number> {
  const { options: o } = parse(runSpec, argv);
  const desc = loadDevice(o.device);
  const transport = o.transport ?? desc.transport?.kind ?? 'http';
  const server = serverOption(o.server, transport);
  const answers = readAnswers(o.answers);
  const dev = await startNodeDevice({
    desc, stateDir: o.state ?? stateDirFor(desc.devInfo.devId), transport, ...(server ? { serverUri: server } : {}),
    ...(o.broker ? { brokerUrl: o.broker } : {}), ...(o.prefix ? { prefix: o.prefix } : {}),
    display: new TerminalDisplay(out, { answers, quietProgress: true }), log: new StreamLog(out, o.log),
    ...(o.trace ? { trace: traceToFile(o.trace) } : {}), agent: { encoding: o.encoding ?? desc.transport?.encoding ?? 'xml' },
  });
  try {
    dev.agent.requestUpdate(o.trigger, o.component);
    const r = await dev.agent.runSession();
    out.write(`session ${r.ok ? 'ended well' : `failed: ${r.error?.message} [${r.error?.code}]`}: ${r.sessions} session(s), ${r.roundTrips} round trips, ` +
      `${r.bytesSent} B sent, ${r.bytesReceived} B received; ${dev.agent.queue.pending().length} alert(s) still queued\n`);
    out.write(`deployed: ${deployedList(dev.agent.tree)}\n`);
    return r.ok ? 0 : 1;
  } finally {
    await dev.close();
  }
}

export const runVerb: Verb = { spec: runSpec, run: runCommand };
