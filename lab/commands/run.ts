// `dm-agent run`: one client-initiated session (and the follow-up that reports SCOMO results) against any DM
// server. The device's tree, queue, packages and components persist in --state. The exit code says what
// happened (EXIT below); --json prints the run's outcome as one JSON object for a lab's CI.
import { StateInUseError, startNodeDevice } from '../../platform/node/node-device.js';
import { StreamLog } from '../../platform/node/log.js';
import { traceToFile } from '../../platform/node/trace.js';
import { ALERT_TYPE_OPERATION_COMPLETE, type GenericAlert } from '../../agent/alerts/types.js';
import { listDeployed } from '../../agent/scomo/subtree.js';
import type { SessionReport } from '../../agent/agent.js';
import { defineVerb, parse, serverOption, type Verb } from '../args.js';
import {
  DEVICE_OPTIONS,
  ENCODING_OPTION,
  EXIT,
  EXIT_CODES_TEXT,
  deployedList,
  deviceScreen,
  loadDevice,
  readAnswers,
  stateDirFor,
  REQUEST_OPTIONS,
} from './common.js';
import { withDefined } from '../../agent/util/options.js';

export const runSpec = defineVerb({
  name: 'run',
  summary: 'run one session against a DM server; exit 0 when it ended well and every update it ran succeeded',
  description: [
    'One client-initiated session, and the follow-up that reports SCOMO results, against any DM server. Packages download ' +
      'over HTTP(S) with resume and install as components. The tree, the alert queue, packages and components persist in ' +
      '--state, so an alert that could not be sent goes with the next run.',
    EXIT_CODES_TEXT,
    'With --json, stdout holds one JSON object at the end, and the log and the screens go to stderr: exit (the code), ' +
      'reason (ok, session-failed, update-failed, answer-misfit, state-in-use: then only exit, reason and error), error, sessions, roundTrips, bytesSent, bytesReceived, alertsSent and ' +
      'alertsQueued (type, source, target, data of each), scomo (one per OperationComplete sent or queued: source, target, ' +
      'resultCode, ok), stoppedJobs (SCOMO jobs left in the journal: id, op, node, step) and deployed (name, version).',
  ],
  options: {
    ...DEVICE_OPTIONS,
    encoding: { ...ENCODING_OPTION, defaultText: "the device file's transport.encoding, else xml" },
    ...REQUEST_OPTIONS,
    log: { ...DEVICE_OPTIONS.log, default: 'warn' },
    json: { type: 'boolean', description: 'print the outcome as one JSON object on stdout (the log and the screens go to stderr)' },
  },
});

/** The SCOMO result an OperationComplete alert carries: its <ResultCode>, 12xx a success. */
function scomoResult(a: GenericAlert): { source?: string; target?: string; resultCode: number; ok: boolean } {
  const m = /<ResultCode>(\d{1,5})<\/ResultCode>/.exec(a.data);
  const resultCode = m ? Number(m[1]) : 0;
  return withDefined({ resultCode, ok: resultCode >= 1200 && resultCode < 1300 }, { source: a.source, target: a.target });
}

const alertJson = (a: GenericAlert) => withDefined({ type: a.type, data: a.data }, { source: a.source, target: a.target });

export async function runCommand(argv: string[], out: NodeJS.WritableStream, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  const { options: o } = parse(runSpec, argv);
  const desc = loadDevice(o.device);
  const transport = o.transport ?? desc.transport?.kind ?? 'http';
  const server = serverOption(o.server, transport);
  const answers = readAnswers(o.answers);
  // Opened before the device starts: a trace that cannot be written fails here, with nothing queued or sent.
  const trace = o.trace ? traceToFile(o.trace) : undefined;
  const screen = o.json ? err : out;
  const log = new StreamLog(screen, o.log);
  // run reads no keys: the answers file is the only way to answer a screen.
  let halt: ((reason: string) => void) | undefined;
  const ui = deviceScreen(screen, answers, { keys: false, log, halt: () => halt });
  const start = startNodeDevice(
    withDefined(
      {
        desc,
        stateDir: o.state ?? stateDirFor(desc.devInfo.devId),
        transport,
        display: ui.display,
        log,
        agent: { encoding: o.encoding ?? desc.transport?.encoding ?? 'xml', ui: ui.ui },
      },
      { serverUri: server || undefined, brokerUrl: o.broker || undefined, prefix: o.prefix || undefined, trace },
    ),
  );
  let dev: Awaited<typeof start>;
  try {
    dev = await start;
  } catch (e) {
    // A folder in use is an outcome a lab's CI may meet (two jobs on one device): it gets its object too.
    if (!(o.json && e instanceof StateInUseError)) throw e;
    err.write(`dm-agent run: ${e.message}\n`);
    out.write(`${JSON.stringify({ exit: EXIT.stateInUse, reason: 'state-in-use', error: { message: e.message } })}\n`);
    return EXIT.stateInUse;
  }
  halt = dev.halt;
  try {
    // Every alert this run may send: those queued before it, and those queued during it (SCOMO results).
    const queue = dev.agent.queue;
    const seen = new Map(queue.pending().map((a) => [a.id, a]));
    const enqueue = queue.enqueue.bind(queue);
    queue.enqueue = (a) => {
      const queued = enqueue(a);
      seen.set(queued.id, queued);
      return queued;
    };
    let r: SessionReport | undefined;
    dev.agent.onSessionEnd = (report) => {
      r = report;
    };
    dev.agent.requestUpdate(o.trigger, o.component);
    try {
      await dev.agent.runSession();
    } catch {
      /* onSessionEnd has the failed report */
    }
    const report = r!;
    const pending = queue.pending();
    const acknowledged = new Set(report.acknowledged);
    const sent = [...seen.values()].filter((a) => acknowledged.has(a.id));
    const scomo = [...sent, ...pending].filter((a) => a.type === ALERT_TYPE_OPERATION_COMPLETE).map(scomoResult);
    const stoppedJobs = (dev.agent.scomo?.journal.open() ?? []).map((j) => ({ id: j.id, op: j.op, node: j.node, step: j.step }));
    const updateFailed = scomo.some((s) => !s.ok) || stoppedJobs.length > 0;
    const code = ui.misfit() ? EXIT.answers : !report.ok ? EXIT.sessionFailed : updateFailed ? EXIT.updateFailed : EXIT.ok;
    const reason = (
      {
        [EXIT.ok]: 'ok',
        [EXIT.sessionFailed]: 'session-failed',
        [EXIT.updateFailed]: 'update-failed',
        [EXIT.answers]: 'answer-misfit',
      } as Record<number, string>
    )[code];
    if (o.json) {
      out.write(
        `${JSON.stringify({
          exit: code,
          reason,
          error: report.error,
          sessions: report.sessions,
          roundTrips: report.roundTrips,
          bytesSent: report.bytesSent,
          bytesReceived: report.bytesReceived,
          alertsSent: sent.map(alertJson),
          alertsQueued: pending.map(alertJson),
          scomo,
          stoppedJobs,
          deployed: listDeployed(dev.agent.tree).map((c) => ({ name: c.name, version: c.version })),
        })}\n`,
      );
      return code;
    }
    if (ui.misfit()) out.write(`run stopped: ${ui.misfit()}\n`);
    out.write(
      `session ${report.ok ? 'ended well' : `failed: ${report.error?.message} [${report.error?.code}]`}: ${report.sessions} session(s), ${report.roundTrips} round trips, ` +
        `${report.bytesSent} B sent, ${report.bytesReceived} B received; ${pending.length} alert(s) still queued\n`,
    );
    for (const s of scomo.filter((x) => !x.ok)) out.write(`update failed: SCOMO result ${s.resultCode} for ${s.target ?? s.source}\n`);
    for (const j of stoppedJobs)
      out.write(`update failed: SCOMO job ${j.id} (${j.op} ${j.node}) stopped at ${j.step}; its result is not reported\n`);
    out.write(`deployed: ${deployedList(dev.agent.tree)}\n`);
    return code;
  } finally {
    await dev.close();
  }
}

export const runVerb: Verb = { spec: runSpec, run: runCommand };
