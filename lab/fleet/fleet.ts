// The fleet simulator's engine: N simulated agents in one process, each with its own tree, alert queue, DevId
// and credentials, running sessions against a DM server (over HTTP, over MQTT, or in process with the lab
// server). Sessions come either from workers (a ramp and a bounded number in flight) or from each device's own
// check schedule (interval, jitter, back-off) on a fast clock. It reports sessions/s, latency percentiles,
// failures by cause and memory, so device makers can load-test their servers.
import { DmAgent } from '../../agent/agent.js';
import type { DeviceDescription } from '../../agent/description/description.js';
import { CheckSchedule, planScheduleOptions, type SchedulePlan } from '../../agent/triggers/schedule.js';
import type { OutboundMessage, Transport } from '../../agent/ports.js';
import { systemClock } from '../../platform/node/clock.js';
import { nodeCrypto } from '../../platform/node/crypto.js';
import { nodeUtf8 } from '../../platform/node/utf8.js';
import { HttpTransport } from '../../platform/node/http-transport.js';
import { MqttTransport } from '../../platform/node/mqtt-transport.js';
import { MemoryStorage } from '../../platform/node/memory-storage.js';
import { MemoryDownloader } from '../../platform/node/memory-downloader.js';
import { FileInstaller } from '../../platform/node/file-installer.js';
import type { LabDmServer } from '../server/dm-server.js';
import { InprocDownloader, type InprocPackages } from './inproc-packages.js';
import { fleetDevice, type FleetAccounts } from './accounts.js';
import { ScaledClock } from './scaled-clock.js';
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
  const agents: { agent: DmAgent; transport: Transport; storage: MemoryStorage }[] = [];
  // Replies each device got in its current DM session, and the DM sessions that got one (not in process:
  // there the server counts them itself). A session and its follow-up are told apart by afterSession.
  const replies = new Array<number>(o.devices).fill(0);
  let reachedServer = 0;
  const sessionEnded = (d: number) => {
    if (replies[d]! > 0) reachedServer++;
    replies[d] = 0;
  };
  const inprocSessionsBefore = inproc?.totals().sessions ?? 0;
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
    const storage = new MemoryStorage();
    const downloader = o.target.kind === 'inproc' && o.target.packages ? new InprocDownloader(o.target.packages) : new MemoryDownloader();
    const installer = new FileInstaller(
      new MemoryStorage(),
      downloader,
      desc.components.map((c) => ({ id: c.id, name: c.name, version: c.version })),
    );
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
    const agent = await DmAgent.boot(
      desc,
      { storage, clock: systemClock, crypto: nodeCrypto, utf8: nodeUtf8, transport: counted, downloader, installer },
      {
        encoding: o.encoding,
        afterSession: async () => sessionEnded(i),
        ui: { answer: async (a) => ({ status: 200, items: a.data === '1103' || a.data === '1104' ? [{ data: '1' }] : [] }) },
      },
    );
    agents.push({ agent, transport, storage });
  }
  const bootSeconds = (performance.now() - t0) / 1000;

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
    const { agent } = agents[d]!;
    const s0 = performance.now();
    const startMs = at();
    peakInFlight = Math.max(peakInFlight, ++inFlight);
    let good = false;
    try {
      agent.requestUpdate(trigger);
      const r = await agent.runSession();
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
      agents.map((a) => a.storage),
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
  await Promise.all(agents.map((a) => (a.transport === inprocTransport || a.transport === http ? undefined : a.transport.close?.())));
  latencies.sort((a, b) => a - b);
  const dmSessions = inproc ? inproc.totals().sessions - inprocSessionsBefore : reachedServer;
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
  return withDefined(result, { serverDeviations, schedule });
}

/** One simulated hour per real second unless told otherwise. */
export const DEFAULT_SPEED = 3600;

/** `concurrency` workers take the fleet's sessions in turn: device n % devices runs its (n / devices)-th. */
async function workers(o: FleetOptions, total: number, session: (d: number) => Promise<boolean>): Promise<void> {
  let next = 0;
  const busy = new Set<number>();
  const rampMs = o.rampSeconds * 1000;
  const worker = async (w: number) => {
    if (rampMs > 0) await new Promise((r) => setTimeout(r, (rampMs * w) / o.concurrency));
    for (;;) {
      const n = next++;
      if (n >= total) return;
      // One session per device at a time.
      const d = n % o.devices;
      while (busy.has(d)) await new Promise((r) => setTimeout(r, 1));
      busy.add(d);
      try {
        await session(d);
      } finally {
        busy.delete(d);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.concurrency, total) }, (_, w) => worker(w)));
}

/**
 * Every device runs the agent's own CheckSchedule (persisted in its storage, jitter from its random source,
 * back-off after a failure) on the fleet's clock, until it has run `checks` checks. Resolves with the
 * simulated start time of every check.
 */
function scheduled(
  storages: MemoryStorage[],
  plan: SchedulePlan,
  clock: ScaledClock,
  checks: number,
  session: (d: number) => Promise<boolean>,
): Promise<number[]> {
  const starts: number[] = [];
  return new Promise((resolve, reject) => {
    let running = storages.length;
    const schedules = storages.map((storage, d) => {
      let ran = 0;
      const s: CheckSchedule = new CheckSchedule(
        planScheduleOptions(plan, nodeCrypto, {
          storage,
          clock,
          onDue: async () => {
            starts.push(clock.elapsed());
            const good = await session(d);
            if (++ran >= checks) {
              s.stop();
              if (--running === 0) resolve(starts);
            }
            return good;
          },
        }),
      );
      return s;
    });
    try {
      for (const s of schedules) s.start();
    } catch (e) {
      for (const s of schedules) s.stop();
      reject(e);
    }
  });
}
