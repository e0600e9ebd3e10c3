// The fleet simulator's engine: N simulated agents in one process, each with its own tree, alert queue, DevId
// and credentials, running sessions against a DM server (over HTTP, over MQTT, or in process with the lab
// server). Sessions come either from workers (a ramp and a bounded number in flight) or from each device's own
// check schedule (interval, jitter, back-off) on a fast clock. It reports sessions/s, latency percentiles,
// failures by cause and memory, so device makers can load-test their servers. Each device is a FleetDevice
// (device.ts): with firmware it has A/B slots and restarts after a firmware update; with the console its
// screen and button are the page's (answers.ts, console-device.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DeviceDescription } from '../../agent/description/description.js';
import type { Clock, OutboundMessage, Transport } from '../../agent/ports.js';
import { HttpTransport } from '../../platform/node/http-transport.js';
import { MqttTransport } from '../../platform/node/mqtt-transport.js';
import { systemClock } from '../../platform/node/clock.js';
import type { LabDmServer } from '../server/dm-server.js';
import type { SimulatedDevices } from '../console/sim.js';
import type { InprocPackages } from './inproc-packages.js';
import { fleetDevice, type FleetAccounts } from './accounts.js';
import { ScaledClock } from './scaled-clock.js';
import { scheduled, workers } from './drivers.js';
import { FleetDevice, firmwareCounts } from './device.js';
import { ConsoleAnswers, headlessAnswer, type ChoicePick } from './answers.js';
import { consoleControls } from './console-device.js';
import { withDefined } from '../../agent/util/options.js';

export interface FleetOptions {
  /** The device every simulated one is cloned from (see accounts.ts for DevIds and credentials). */
  template: DeviceDescription;
  devices: number;
  /** Default 'per-device': device i logs in with the template's username and password made its own. */
  accounts?: FleetAccounts;
  /** Sessions each device runs (with 'schedule': scheduled checks, failed ones included). */
  sessionsPerDevice: number;
  /** Sessions in flight at once (workers only: scheduled checks start when due, as a real fleet's do). */
  concurrency: number;
  /** Seconds over which sessions start (0: all at once, as far as concurrency allows); workers only. */
  rampSeconds: number;
  /**
   * 'user' or 'device': workers start sessions with that trigger. 'schedule': each device runs the
   * template's check schedule (first boot: due after interval + jitter; back-off after a failure) on a clock
   * `speed` times faster than real time.
   */
  trigger: 'user' | 'device' | 'schedule';
  /** Simulated ms per real ms for 'schedule'; e.g. 3600 plays an hour in a second. */
  speed?: number;
  encoding: 'xml' | 'wbxml';
  /**
   * 'inproc': messages go straight to this lab server object (devices address it by `url`), and with
   * `packages` the downloads too (without, over HTTP); else HTTP(S) or MQTT.
   */
  target:
    | { kind: 'inproc'; server: LabDmServer; url: string; packages?: InprocPackages }
    | { kind: 'http'; url: string }
    | { kind: 'mqtt'; url: string; brokerUrl: string };
  /**
   * Gives every device A/B firmware slots (FUMO), in a temporary folder removed at the end; the automatic
   * user then picks the last option of a choice (the lab server's "All of them"), so a firmware offered beside
   * components installs. A firmware update restarts the device (FleetDevice).
   */
  firmware?: boolean;
  /**
   * With the lab console in this process: each device's screen and button are the console's (SimulatedDevices),
   * and a UI alert nobody answers in the page gets the automatic answer `answerAfterMs` later (default 5000)
   * on `clock` (default the system clock: sessions keep real time, and a person answers in it).
   */
  console?: { sims: SimulatedDevices; answerAfterMs?: number; clock?: Clock; closeWith?: (fn: () => void) => void };
  /** Called after each session (progress display). */
  onSession?: (done: number, total: number) => void;
  /** Called after each session with what it was; `startMs`: since the fleet started, simulated with 'schedule'. */
  onRun?: (run: FleetRunRecord) => void;
}

export interface FleetRunRecord {
  device: number;
  startMs: number;
  endMs: number;
  ok: boolean;
}

export interface FleetSummary {
  devices: number;
  /** Triggered sessions (runSession calls): what ok, failed and the latencies count. */
  sessions: number;
  /**
   * DM sessions the server saw (package 1 to the end): a run that installs an update adds one for its result.
   * In process, the server's own count; else the sessions that got at least one reply (one whose connection
   * was refused never reached the server).
   */
  dmSessions: number;
  dmSessionsPerS: number;
  ok: number;
  failed: number;
  seconds: number;
  sessionsPerS: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  roundTrips: number;
  bytesSent: number;
  bytesReceived: number;
  failures: Record<string, number>;
  bootSeconds: number;
  heapMB: number;
  rssMB: number;
  /** The process's highest RSS so far (the fleet's peak when it runs alone in its process). */
  peakRssMB: number;
  /** With the in-process lab server: the protocol deviations it logged, by message (numbers masked). */
  serverDeviations?: Record<string, number>;
  /**
   * With firmware: simulated restarts, starts that returned to the previous slot, and the firmware each
   * device runs at the end (version, with "(trial)" for one not confirmed yet) counted by version.
   */
  firmware?: {
    restarts: number;
    returned: number;
    running: Record<string, number>;
    /** In process: the firmware results the lab server recorded in this run, as "firmware:<model> <version> → <code>". */
    serverResults?: Record<string, number>;
  };
  /** With the console: UI alerts the fleet answered because the page did not in time, and those the page answered. */
  answers?: { automatic: number; page: number };
  /** Most sessions in flight at one time. */
  peakInFlight: number;
  /** With 'schedule': the simulated time the run covered and the busiest simulated minute. */
  schedule?: { speed: number; intervalMinutes: number; simulatedMinutes: number; peakStartsPerSimulatedMinute: number };
}

/**
 * An address in a failure cause, kept as it is: a URL's scheme and authority, an IPv4 address, an IPv6 one
 * (bracketed, or with '::'), or localhost or a dotted host name with a port.
 */
const ADDRESS =
  /[a-z][a-z0-9+.-]{0,20}:\/\/[^\s/]{1,300}|\[[0-9a-f:.]{2,45}\](?::\d{1,5})?|\b\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?\b|[0-9a-f:]{0,40}::[0-9a-f:.]{0,45}|\b(?:localhost|[a-z][a-z0-9-]{0,62}(?:\.[a-z0-9-]{1,63}){1,10}):\d{1,5}\b/gi;

/**
 * The group of a failure cause: its text with the numbers that vary from device to device (message ids,
 * nonces, DevId indexes) made N, so that such causes add up; addresses and ports stay, so the cause says
 * which server or broker failed ('connect ECONNREFUSED 127.0.0.1:9').
 */
export function causeGroup(what: string): string {
  let key = '';
  let at = 0;
  for (const m of what.matchAll(ADDRESS)) {
    key += what.slice(at, m.index).replace(/\d+/g, 'N') + m[0];
    at = m.index + m[0].length;
  }
  return key + what.slice(at).replace(/\d+/g, 'N');
}

/** Counts `what` under its group (causeGroup), so that causes differing only in a number add up. */
function tally(into: Record<string, number>, prefix: string, what: string, max: number): void {
  const key = prefix + causeGroup(what).slice(0, max);
  into[key] = (into[key] ?? 0) + 1;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export async function runFleet(o: FleetOptions): Promise<FleetSummary> {
  if (!(o.devices > 0 && o.sessionsPerDevice > 0 && o.concurrency > 0 && o.rampSeconds >= 0)) {
    throw new Error('fleet: devices, sessions per device and concurrency must be > 0, and the ramp >= 0');
  }
  const plan = o.trigger === 'schedule' ? o.template.schedule : undefined;
  if (o.trigger === 'schedule' && !plan) throw new Error('fleet: --trigger schedule needs a device template with a "schedule"');
  // Checked before the fleet boots: a bad speed or schedule is a usage error, not N failed devices.
  if (plan) ScaledClock.check(o.speed ?? DEFAULT_SPEED);
  const serverUri = o.target.url;
  const http = o.target.kind === 'http' ? new HttpTransport({ timeoutMs: 30000, retries: 1 }) : undefined;
  const inproc = o.target.kind === 'inproc' ? o.target.server : undefined;
  const inprocTransport: Transport | undefined = inproc && {
    exchange: async (out) => {
      // A turn of the event loop per message, as a network would give: sessions that never wait on I/O would
      // otherwise run back to back and starve the package downloads, whose latency then measures the queue.
      await new Promise<void>((r) => setImmediate(r));
      const r = await inproc.handle(out.body, withDefined({ uri: out.uri, contentType: out.contentType }, { hmac: out.hmac }));
      if (!r || (r.status ?? 200) !== 200) throw new Error(r ? `lab server answered ${r.status}` : 'lab server dropped the message');
      return withDefined({ body: r.body, contentType: r.contentType }, { hmac: r.hmac });
    },
  };
  const t0 = performance.now();
  const devices: FleetDevice[] = [];
  const transports: Transport[] = [];
  // Replies each device got in its current DM session, and the DM sessions that got one (not in process:
  // there the server counts them itself). A session and its follow-up are told apart by afterSession.
  const replies = new Array<number>(o.devices).fill(0);
  let reachedServer = 0;
  const sessionEnded = (d: number) => {
    if (replies[d]! > 0) reachedServer++;
    replies[d] = 0;
  };
  const inprocSessionsBefore = inproc?.totals().sessions ?? 0;
  const outcomesBefore = new Set(inproc?.outcomes());
  const firmwareRoot = o.firmware ? mkdtempSync(join(tmpdir(), 'dm-fleet-fw-')) : undefined;
  const pick: ChoicePick = o.firmware ? 'last' : 'first';
  const answers = { automatic: 0, page: 0 };
  try {
    for (let i = 0; i < o.devices; i++) {
      const desc = fleetDevice(o.template, i, serverUri, o.accounts ?? 'per-device');
      const transport: Transport =
        inprocTransport ??
        http ??
        new MqttTransport({
          brokerUrl: (o.target as { brokerUrl: string }).brokerUrl,
          devId: desc.devInfo.devId,
          clientId: `fleet-${i}-${process.pid}`,
        });
      transports.push(transport);
      const counted: Transport = withDefined(
        {
          exchange: async (out: OutboundMessage) => {
            const reply = await transport.exchange(out);
            replies[i]!++;
            return reply;
          },
        },
        { maxMessageBytes: transport.maxMessageBytes, endpoint: transport.endpoint },
      );
      const sim = o.console?.sims.add(desc.devInfo.devId, desc.button?.longPressMs ?? 2000);
      const ui = sim
        ? new ConsoleAnswers({
            display: sim.display,
            clock: o.console?.clock ?? systemClock,
            afterMs: o.console?.answerAfterMs ?? 5000,
            pick,
            onAuto: () => answers.automatic++,
            onAnswer: () => answers.page++,
          })
        : { answer: async (a: Parameters<typeof headlessAnswer>[0]) => headlessAnswer(a, pick) };
      const device = await FleetDevice.start(
        withDefined(
          { desc, transport: counted, encoding: o.encoding, ui, afterSession: async () => sessionEnded(i) },
          {
            packages: o.target.kind === 'inproc' ? o.target.packages : undefined,
            firmwareDir: firmwareRoot && join(firmwareRoot, String(i)),
          },
        ),
      );
      if (sim) consoleControls(device, sim, ui as ConsoleAnswers);
      devices.push(device);
    }
    return await runDevices(o, devices, {
      t0,
      inproc,
      inprocSessionsBefore,
      reachedServer: () => reachedServer,
      sessionEnded,
      answers: o.console ? answers : undefined,
      outcomesBefore,
    });
  } finally {
    await Promise.all(transports.map((t) => (t === inprocTransport || t === http ? undefined : t.close?.())));
    // With the console the devices live on after the run (their buttons): their slots go when it closes.
    const removeSlots = () => firmwareRoot && rmSync(firmwareRoot, { recursive: true, force: true });
    if (o.console?.closeWith) o.console.closeWith(removeSlots);
    else removeSlots();
  }
}

interface RunContext {
  t0: number;
  inproc: LabDmServer | undefined;
  inprocSessionsBefore: number;
  reachedServer: () => number;
  sessionEnded: (d: number) => void;
  answers: { automatic: number; page: number } | undefined;
  /** The lab server's outcomes from before this run (a lab left running keeps them). */
  outcomesBefore: Set<unknown>;
}

/** Runs the booted fleet's sessions (workers or schedules) and sums them up. */
async function runDevices(o: FleetOptions, devices: FleetDevice[], ctx: RunContext): Promise<FleetSummary> {
  const { inproc, inprocSessionsBefore, sessionEnded } = ctx;
  const plan = o.trigger === 'schedule' ? o.template.schedule : undefined;
  const bootSeconds = (performance.now() - ctx.t0) / 1000;

  const total = o.devices * o.sessionsPerDevice;
  const latencies: number[] = [];
  const failures: Record<string, number> = {};
  let ok = 0;
  let roundTrips = 0;
  let bytesSent = 0;
  let bytesReceived = 0;
  let inFlight = 0;
  let peakInFlight = 0;
  // The schedules' time starts with them, after the boot.
  const clock = plan ? new ScaledClock(o.speed ?? DEFAULT_SPEED) : undefined;
  const start = performance.now();
  /** Runs device d's session with its trigger; resolves whether it ended well. */
  const session = async (d: number, trigger: 'user' | 'device', at: () => number): Promise<boolean> => {
    const s0 = performance.now();
    const startMs = at();
    peakInFlight = Math.max(peakInFlight, ++inFlight);
    let good = false;
    try {
      const r = await devices[d]!.run(trigger);
      roundTrips += r.roundTrips;
      bytesSent += r.bytesSent;
      bytesReceived += r.bytesReceived;
      good = r.ok;
      if (r.ok) ok++;
      else tally(failures, `${r.error?.code ?? 'unknown'}: `, r.error?.message ?? '', 200);
    } catch (e) {
      tally(failures, 'exception: ', (e as Error).message, 200);
    } finally {
      sessionEnded(d);
      inFlight--;
    }
    latencies.push(performance.now() - s0);
    o.onSession?.(latencies.length, total);
    o.onRun?.({ device: d, startMs, endMs: at(), ok: good });
    return good;
  };
  let schedule: FleetSummary['schedule'];
  if (plan && clock) {
    const starts = await scheduled(
      devices.map((a) => a.storage),
      plan,
      clock,
      o.sessionsPerDevice,
      (d) => session(d, 'device', () => clock.elapsed()),
    );
    const minutes = new Map<number, number>();
    for (const t of starts) minutes.set(Math.floor(t / 60000), (minutes.get(Math.floor(t / 60000)) ?? 0) + 1);
    schedule = {
      speed: clock.speed,
      intervalMinutes: plan.intervalMinutes,
      simulatedMinutes: clock.elapsed() / 60000,
      peakStartsPerSimulatedMinute: Math.max(0, ...minutes.values()),
    };
  } else {
    await workers(o, total, (d) => session(d, o.trigger as 'user' | 'device', () => performance.now() - start));
  }
  const seconds = (performance.now() - start) / 1000;
  const mem = process.memoryUsage();
  latencies.sort((a, b) => a - b);
  const dmSessions = inproc ? inproc.totals().sessions - inprocSessionsBefore : ctx.reachedServer();
  let serverDeviations: Record<string, number> | undefined;
  if (inproc) {
    serverDeviations = {};
    let kept = 0;
    for (const [kind, n] of inproc.deviationKinds()) {
      const key = kind.slice(0, 100);
      serverDeviations[key] = (serverDeviations[key] ?? 0) + n;
      kept += n;
    }
    const notKept = inproc.totals().deviations - kept;
    if (notKept > 0) serverDeviations[`(${notKept} earlier deviations, no longer kept by the server)`] = notKept;
  }
  const result = {
    devices: o.devices,
    sessions: total,
    dmSessions,
    dmSessionsPerS: dmSessions / seconds,
    ok,
    failed: total - ok,
    seconds,
    sessionsPerS: total / seconds,
    latencyMs: {
      p50: percentile(latencies, 50),
      p90: percentile(latencies, 90),
      p99: percentile(latencies, 99),
      max: latencies.at(-1) ?? 0,
    },
    roundTrips,
    bytesSent,
    bytesReceived,
    failures,
    bootSeconds,
    heapMB: mem.heapUsed / 1048576,
    rssMB: mem.rss / 1048576,
    peakRssMB: process.resourceUsage().maxRSS / 1024,
    peakInFlight,
  };
  return withDefined(result, {
    serverDeviations,
    schedule,
    firmware: o.firmware ? firmwareCounts(devices, inproc, ctx.outcomesBefore) : undefined,
    answers: ctx.answers,
  });
}

/** One simulated hour per real second unless told otherwise. */
export const DEFAULT_SPEED = 3600;
