// The fleet simulator's engine: N simulated agents in one process, each with its own tree, alert queue and
// DevId, running sessions against a DM server (over HTTP, over MQTT, or in process with the lab server), with
// a ramp and a bounded number of sessions in flight. It reports sessions/s, latency percentiles, failures by
// cause and memory, so device makers can load-test their servers.
import { DmAgent } from '../../agent/agent.js';
import type { DeviceDescription } from '../../agent/device.js';
import type { Transport } from '../../agent/ports.js';
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

export interface FleetOptions {
  /** The device every simulated one is cloned from; DevIds get the index appended. */
  template: DeviceDescription;
  devices: number;
  /** Sessions each device runs. */
  sessionsPerDevice: number;
  /** Sessions in flight at once. */
  concurrency: number;
  /** Seconds over which sessions start (0: all at once, as far as concurrency allows). */
  rampSeconds: number;
  trigger: 'user' | 'device';
  encoding: 'xml' | 'wbxml';
  /**
   * 'inproc': messages go straight to this lab server object (devices address it by `url`), and with
   * `packages` the downloads too (without, over HTTP); else HTTP(S) or MQTT.
   */
  target: { kind: 'inproc'; server: LabDmServer; url: string; packages?: InprocPackages } | { kind: 'http'; url: string } | { kind: 'mqtt'; url: string; brokerUrl: string };
  /** Called after each session (progress display). */
  onSession?: (done: number, total: number) => void;
}

export interface FleetSummary {
  devices: number;
  /** Triggered sessions (runSession calls): what ok, failed and the latencies count. */
  sessions: number;
  /** DM sessions the server saw (package 1 to the end): a run that installs an update adds one for its result. */
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
}

/** Counts `what` under its text with numbers masked, so that causes differing only in a number add up. */
function tally(into: Record<string, number>, prefix: string, what: string, max: number): void {
  const key = prefix + what.replace(/\d+/g, 'N').slice(0, max);
  into[key] = (into[key] ?? 0) + 1;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function deviceDescription(t: DeviceDescription, i: number, serverUri: string): DeviceDescription {
  const d: DeviceDescription = JSON.parse(JSON.stringify(t));
  d.devInfo.devId = `${t.devInfo.devId}-${i}`;
  d.account.serverUri = serverUri;
  delete d.schedule;
  return d;
}

export async function runFleet(o: FleetOptions): Promise<FleetSummary> {
  if (!(o.devices > 0 && o.sessionsPerDevice > 0 && o.concurrency > 0 && o.rampSeconds >= 0)) {
    throw new Error('fleet: devices, sessions per device and concurrency must be > 0, and the ramp >= 0');
  }
  const serverUri = o.target.url;
  const http = o.target.kind === 'http' ? new HttpTransport({ timeoutMs: 30000, retries: 1 }) : undefined;
  const inproc = o.target.kind === 'inproc' ? o.target.server : undefined;
  const inprocTransport: Transport | undefined = inproc && {
    exchange: async (out) => {
      // A turn of the event loop per message, as a network would give: sessions that never wait on I/O would
      // otherwise run back to back and starve the package downloads, whose latency then measures the queue.
      await new Promise<void>((r) => setImmediate(r));
      const r = await inproc.handle(out.body, { uri: out.uri, contentType: out.contentType, ...(out.hmac ? { hmac: out.hmac } : {}) });
      if (!r || (r.status ?? 200) !== 200) throw new Error(r ? `lab server answered ${r.status}` : 'lab server dropped the message');
      return { body: r.body, contentType: r.contentType, ...(r.hmac ? { hmac: r.hmac } : {}) };
    },
  };
  const t0 = performance.now();
  const agents: { agent: DmAgent; transport: Transport }[] = [];
  for (let i = 0; i < o.devices; i++) {
    const desc = deviceDescription(o.template, i, serverUri);
    const transport = inprocTransport ?? http ?? new MqttTransport({ brokerUrl: (o.target as { brokerUrl: string }).brokerUrl, devId: desc.devInfo.devId, clientId: `fleet-${i}-${process.pid}` });
    const storage = new MemoryStorage();
    const downloader = o.target.kind === 'inproc' && o.target.packages ? new InprocDownloader(o.target.packages) : new MemoryDownloader();
    const installer = new FileInstaller(new MemoryStorage(), downloader, desc.components.map((c) => ({ id: c.id, name: c.name, version: c.version })));
    const agent = await DmAgent.boot(desc, { storage, clock: systemClock, crypto: nodeCrypto, utf8: nodeUtf8, transport, downloader, installer },
      { encoding: o.encoding, ui: { answer: async (a) => ({ status: 200, items: a.data === '1103' || a.data === '1104' ? [{ data: '1' }] : [] }) } });
    agents.push({ agent, transport });
  }
  const bootSeconds = (performance.now() - t0) / 1000;

  const total = o.devices * o.sessionsPerDevice;
  const latencies: number[] = [];
  const failures: Record<string, number> = {};
  let ok = 0;
  let next = 0;
  let roundTrips = 0;
  let dmSessions = 0;
  let bytesSent = 0;
  let bytesReceived = 0;
  const busy = new Set<number>();
  const start = performance.now();
  const rampMs = o.rampSeconds * 1000;
  const worker = async (w: number) => {
    if (rampMs > 0) await new Promise((r) => setTimeout(r, (rampMs * w) / o.concurrency));
    for (;;) {
      const n = next++;
      if (n >= total) return;
      // Device n % devices runs its (n / devices)-th session; one session per device at a time.
      const d = n % o.devices;
      while (busy.has(d)) await new Promise((r) => setTimeout(r, 1));
      busy.add(d);
      const { agent } = agents[d]!;
      const s0 = performance.now();
      try {
        agent.requestUpdate(o.trigger);
        const r = await agent.runSession();
        roundTrips += r.roundTrips;
        dmSessions += r.sessions;
        bytesSent += r.bytesSent;
        bytesReceived += r.bytesReceived;
        if (r.ok) ok++;
        else tally(failures, `${r.error?.code ?? 'unknown'}: `, r.error?.message ?? '', 80);
      } catch (e) {
        tally(failures, 'exception: ', (e as Error).message, 80);
      } finally {
        busy.delete(d);
      }
      latencies.push(performance.now() - s0);
      o.onSession?.(latencies.length, total);
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.concurrency, total) }, (_, w) => worker(w)));
  const seconds = (performance.now() - start) / 1000;
  const mem = process.memoryUsage();
  await Promise.all(agents.map((a) => (a.transport === inprocTransport || a.transport === http ? undefined : a.transport.close?.())));
  latencies.sort((a, b) => a - b);
  let serverDeviations: Record<string, number> | undefined;
  if (inproc) {
    serverDeviations = {};
    for (const d of inproc.deviations()) tally(serverDeviations, '', d.message, 100);
  }
  return {
    devices: o.devices, sessions: total, dmSessions, dmSessionsPerS: dmSessions / seconds, ok, failed: total - ok, seconds, sessionsPerS: total / seconds,
    latencyMs: { p50: percentile(latencies, 50), p90: percentile(latencies, 90), p99: percentile(latencies, 99), max: latencies.at(-1) ?? 0 },
    roundTrips, bytesSent, bytesReceived, failures, bootSeconds, heapMB: mem.heapUsed / 1048576, rssMB: mem.rss / 1048576, peakRssMB: process.resourceUsage().maxRSS / 1024,
    ...(serverDeviations ? { serverDeviations } : {}),
  };
}
