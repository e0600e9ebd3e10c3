// The host side of the engine harness: bundles agent/ with the driver (esbuild, one script), runs a scenario
// on the real XS engine (xsnap) or on Node, and plays the DM server (the real lab server, in process) and the
// crypto, package and randomness services behind the driver's host calls. Randomness is a seeded counter on
// both sides, so the two engines must put byte-identical messages on the wire.
import '@endo/init/pre-remoting.js';
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import os from 'node:os';
import fs from 'node:fs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { build, type BuildOptions } from 'esbuild';
import type { Crypto } from '../../agent/ports.js';
import { nodeCrypto } from '../../platform/node/crypto.js';
import { LabDmServer } from '../../lab/server/dm-server.js';
import { loadCatalog } from '../../lab/server/catalog.js';
import type { Scenario, ScenarioResult } from './driver.js';
import { deviceWorker, CHUNK_ENV, HEAP_ENV, STACK_ENV } from './device-worker.js';
import { deviceWorkerSpawn, evaluatePreloaded, preloadSkip } from './preload.js';

const here = new URL('.', import.meta.url).pathname;
const root = join(here, '../..');

/**
 * A TypeScript entry and what it imports as one IIFE script, as the XS engine loads it. What a Moddable
 * device lacks is shadowed as undefined around the script on both engines (xsnap and Node have some of
 * these), so agent/ reaching for one fails here instead of on the device.
 */
export async function bundleScript(entry: string, options: Pick<BuildOptions, 'plugins' | 'define'> = {}): Promise<string> {
  const r = await build({
    entryPoints: [entry],
    bundle: true,
    format: 'iife',
    platform: 'neutral',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
    minify: false,
    ...options,
  });
  const hidden = [
    'TextEncoder',
    'TextDecoder',
    'Buffer',
    'process',
    'console',
    'setTimeout',
    'setInterval',
    'setImmediate',
    'queueMicrotask',
    'fetch',
    'crypto',
    'Intl',
    'require',
  ];
  // Strict, as the device's modules are: there, writing to what preload froze throws instead of doing nothing.
  return `(function (${hidden.join(', ')}) {\n"use strict";\n${r.outputFiles[0]!.text}\n})();`;
}

const bundled = new Map<string, string>();
/** agent/ and the driver as one script (bundleScript); `entry` (from test/xs/) replaces entry.ts in tests of the harness. */
export async function bundleDriver(entry = 'entry.ts'): Promise<string> {
  let b = bundled.get(entry);
  if (b === undefined) bundled.set(entry, (b = await bundleScript(join(here, entry))));
  return b;
}

function seeded(seed: string): (n: number) => Uint8Array {
  let counter = 0;
  return (n) => {
    const out = new Uint8Array(n);
    for (let o = 0; o < n; o += 32)
      out.set(
        createHash('sha256')
          .update(`${seed}:${counter++}`)
          .digest()
          .subarray(0, Math.min(32, n - o)),
        o,
      );
    return out;
  };
}

export interface RunOptions {
  /** Replace the server's reply to this exchange (1-based) with garbage. */
  garbleReply?: number;
  /**
   * Play the server instead of the lab server: the reply to exchange n (1-based) to the device's message,
   * or undefined to let the lab server answer.
   */
  serve?: (n: number, message: Uint8Array) => Uint8Array | undefined;
  /** On XS: run on a worker with this many stack slots (test/xs/device-worker.ts) instead of xsnap's 4096. */
  stackSlots?: number;
  /** On XS: a chunk heap of this many bytes that never grows (running out aborts, as on the device). */
  chunkBytes?: number;
  /** On XS: bytes of that heap taken before the scenario starts, so that only the rest is left for it. */
  ballastBytes?: number;
  /** On XS: a slot heap of this many slots that never grows (running out aborts, as on the device). */
  heapSlots?: number;
  /** On XS: objects kept before the scenario starts, in the slot heap only (ballastObjectSlots slots each). */
  ballastObjects?: number;
  /** The bundle's entry, from test/xs/ (default entry.ts): tests of the harness itself give another. */
  entry?: string;
  /** The lab server's catalog, from lab/examples/ (default catalog.json; catalog-firmware.json adds firmware). */
  catalog?: string;
}

/** The sizes of an XS worker: what RunOptions says about the engine. */
type WorkerSizes = Pick<RunOptions, 'stackSlots' | 'chunkBytes' | 'ballastBytes' | 'heapSlots' | 'ballastObjects' | 'entry'>;

export interface EngineRun {
  result: ScenarioResult;
  /** Every message in order: device, server, device, server … */
  wire: Uint8Array[];
  server: LabDmServer;
  /** compute: XS's meter over the whole run; liveHeapCount: heap slots still in use after a collection at the end. */
  meters?: { compute: number; liveHeapCount: number };
}

function makeHost(o: RunOptions) {
  const serverRandom = seeded('server');
  const serverCrypto: Crypto = { ...nodeCrypto, randomBytes: serverRandom };
  const catalog = loadCatalog(join(root, 'lab/examples', o.catalog ?? 'catalog.json'));
  const server = new LabDmServer({
    catalog,
    devices: [{ username: 'dmuser', password: 'dmpass', auth: 'md5' }],
    serverId: 'labserver',
    serverUri: 'http://127.0.0.1:8080/dm',
    packageBaseUrl: 'http://127.0.0.1:8080/packages',
    crypto: serverCrypto,
  });
  const deviceRandom = seeded('device');
  const wire: Uint8Array[] = [];
  let exchanges = 0;
  const sync = (op: string, arg: string): Uint8Array | undefined => {
    if (op === 'md5') return new Uint8Array(createHash('md5').update(Buffer.from(arg, 'base64')).digest());
    if (op === 'sha256') return new Uint8Array(createHash('sha256').update(Buffer.from(arg, 'base64')).digest());
    if (op === 'random') return deviceRandom(Number(arg));
    return undefined;
  };
  const asyncOp = async (op: string, arg: string): Promise<Uint8Array> => {
    if (op === 'fetch') {
      const file = arg.split('/').pop()!;
      return new Uint8Array(readFileSync(join(catalog.packagesDir, file)));
    }
    if (op === 'exchange') {
      const m = JSON.parse(arg) as { uri: string; contentType: string; body: string; hmac?: string };
      const body = new Uint8Array(Buffer.from(m.body, 'base64'));
      wire.push(body);
      exchanges++;
      const scripted = o.serve?.(exchanges, body);
      const r = scripted
        ? undefined
        : await server.handle(body, { uri: m.uri, contentType: m.contentType, ...(m.hmac ? { hmac: m.hmac } : {}) });
      let reply = scripted ?? r?.body ?? new Uint8Array(0);
      if (exchanges === o.garbleReply) reply = new TextEncoder().encode('<SyncML><SyncHdr><VerDTD>1.2</Ver');
      wire.push(reply);
      return reply;
    }
    throw new Error(`unknown host op ${op}`);
  };
  return { server, wire, sync, asyncOp };
}

// @agoric/xsnap expects the SES globals (assert, HandledPromise, harden). Full lockdown() would freeze this
// process's intrinsics under tsx and the lab server, so harden here freezes the object graph it is given
// (what @endo/pass-style checks) without locking down the realm.
function hardenGraph<T>(root: T): T {
  const seen = new WeakSet<object>();
  const walk = (o: unknown): void => {
    if ((typeof o !== 'object' || o === null) && typeof o !== 'function') return;
    if (seen.has(o as object)) return;
    seen.add(o as object);
    Object.freeze(o);
    for (const k of Reflect.ownKeys(o as object)) {
      const d = Object.getOwnPropertyDescriptor(o as object, k)!;
      if ('value' in d) walk(d.value);
      else {
        walk(d.get);
        walk(d.set);
      }
    }
  };
  walk(root);
  return root;
}

export async function loadXsnap() {
  const g = globalThis as unknown as { harden?: <T>(x: T) => T };
  g.harden ??= hardenGraph;
  return (await import('@agoric/xsnap')).xsnap;
}

/**
 * Whether the agent's bundle is loaded as preloaded modules (test/xs/preload.ts): wherever the device-sized
 * worker can be built, which is wherever @agoric/xsnap could be installed (both need make and a C compiler).
 * Elsewhere a NOTICE says so once, and under DM_PEERS=required it is an error.
 */
let preloadChecked: boolean | undefined;
export function preloadAvailable(): boolean {
  preloadChecked ??= preloadSkip() === false;
  return preloadChecked;
}

/**
 * The device-sized worker (test/xs/device-worker.ts), with these sizes when given, or xsnap's own worker
 * where that one cannot be built (then only without sizes).
 */
function workerSpawn(sizes: WorkerSizes): typeof spawn {
  const sized = sizes.stackSlots !== undefined || sizes.chunkBytes !== undefined || sizes.heapSlots !== undefined;
  if (!sized && !preloadAvailable()) return spawn;
  const env: Record<string, string> = {};
  if (sizes.stackSlots !== undefined) env[STACK_ENV] = String(sizes.stackSlots);
  if (sizes.chunkBytes !== undefined) env[CHUNK_ENV] = String(sizes.chunkBytes);
  if (sizes.heapSlots !== undefined) env[HEAP_ENV] = String(sizes.heapSlots);
  return deviceWorkerSpawn(env);
}

/** Evaluates a script on a fresh XS worker (with `stackSlots` stack slots when given); rejects as the worker fails. */
export async function evaluateOnXs(code: string, stackSlots?: number): Promise<void> {
  const xsnap = await loadXsnap();
  const worker = await xsnap({
    os: os.type(),
    spawn: workerSpawn(stackSlots === undefined ? {} : { stackSlots }),
    fs: { ...fs, ...fs.promises } as never,
    stderr: 'ignore',
    name: 'dm-agent-xs-probe',
  });
  try {
    await worker.evaluate(code);
  } finally {
    await worker.close().catch(() => undefined);
  }
}

type Host = ReturnType<typeof makeHost>;

/**
 * A worker with the agent's bundle loaded (device-sized when `sizes` asks), answering the driver's host calls
 * through `host()` (the host of the scenario running now), with `ballastBytes` of its chunk heap and
 * `ballastObjects` of its slot heap taken.
 */
async function startWorker(sizes: WorkerSizes, name: string, host: () => Host, quiet: boolean) {
  const dec = new TextDecoder();
  const xsnap = await loadXsnap();
  // Bundled before the worker starts: a bundle that does not build must fail the test at once, not leave a
  // worker process that keeps the test file running until the runner's time limit.
  const bundle = await bundleDriver(sizes.entry);
  const worker = await xsnap({
    os: os.type(),
    spawn: workerSpawn(sizes),
    fs: { ...fs, ...fs.promises } as never,
    stderr: quiet ? 'ignore' : 'inherit',
    stdout: quiet ? 'ignore' : 'inherit',
    name,
    handleCommand: async (request: Uint8Array) => {
      const { op, arg } = JSON.parse(dec.decode(request)) as { op: string; arg: string };
      const h = host();
      return h.sync(op, arg) ?? (await h.asyncOp(op, arg));
    },
  });
  try {
    // The agent's modules are preloaded on the device: load them so here (when the worker can), then start.
    const boot = preloadAvailable() ? await evaluatePreloaded(worker, bundle) : await worker.evaluate(bundle);
    if (sizes.ballastBytes) await worker.evaluate(`globalThis.__ballast = new ArrayBuffer(${sizes.ballastBytes});`);
    if (sizes.ballastObjects) await worker.evaluate(slotBallast(sizes.ballastObjects));
    return { worker, bootCompute: boot.meterUsage.compute ?? 0 };
  } catch (e) {
    await worker.close().catch(() => undefined);
    throw e;
  }
}

/**
 * Script that keeps `objects` objects as a chain, each holding the one before: slots only, so that a slot
 * ballast takes nothing of the chunk heap (an array of them would, for its items).
 */
function slotBallast(objects: number): string {
  return `{ let b = null; for (let i = 0; i < ${objects}; i++) b = { b }; globalThis.__slotBallast = b; }`;
}

/** Starts a scenario through `cmd` (a command to the worker, its reply) and polls it, moving time when it waits. */
async function driveScenario(cmd: (c: unknown) => Promise<string>, s: Scenario): Promise<ScenarioResult | { failure: string }> {
  await cmd({ op: 'start', scenario: s });
  for (let i = 0; i < 1000; i++) {
    const p = await cmd({ op: 'poll' });
    if (p !== 'pending') return JSON.parse(p) as ScenarioResult | { failure: string };
    if ((await cmd({ op: 'tick' })) === 'no-timer') return { failure: 'the scenario waits, but on no timer' };
  }
  return { failure: 'the scenario did not finish within 1000 timer steps' };
}

/** Runs a scenario on the XS engine. */
export async function runOnXs(s: Scenario, o: RunOptions = {}): Promise<EngineRun> {
  const host = makeHost(o);
  // On a small stack or heap an abort is an expected outcome (the bench bisects on it): its exit code tells it, quietly.
  const quiet = o.stackSlots !== undefined || o.chunkBytes !== undefined || o.heapSlots !== undefined;
  const { worker, bootCompute } = await startWorker(o, 'dm-agent-xs', () => host, quiet);
  try {
    let compute = bootCompute;
    const outcome = await driveScenario(async (c) => {
      const r = await worker.issueStringCommand(JSON.stringify(c));
      compute += r.meterUsage.compute ?? 0;
      return r.reply;
    }, s);
    if ('failure' in outcome) throw new Error(`on XS: ${outcome.failure}`);
    // Slots in use at the last reply count the garbage since the last collection, which moves with any
    // change to what is allocated: collect first, so the figure is what the agent keeps.
    const after = await worker.evaluate('gc()');
    return {
      result: outcome,
      wire: host.wire,
      server: host.server,
      meters: { compute, liveHeapCount: after.meterUsage.currentHeapCount ?? 0 },
    };
  } finally {
    await worker.close();
  }
}

/** Runs the same bundle on Node, in this process. */
export async function runOnNode(s: Scenario, o: RunOptions = {}): Promise<EngineRun> {
  const host = makeHost(o);
  const g = globalThis as unknown as { __dmDriver?: (h: unknown, s: Scenario) => { poll(): string | undefined; tick(): boolean } };
  if (!g.__dmDriver) new Function(await bundleDriver())();
  let inFlight = 0;
  const call = (op: string, arg: string) => {
    const r = host.sync(op, arg);
    if (r) return r;
    inFlight++;
    return host.asyncOp(op, arg).finally(() => {
      inFlight--;
    });
  };
  const run = g.__dmDriver!(call, s);
  for (let i = 0; i < 100000; i++) {
    await new Promise((r) => setImmediate(r));
    const p = run.poll();
    if (p !== undefined) {
      const parsed = JSON.parse(p) as ScenarioResult | { failure: string };
      if ('failure' in parsed) throw new Error(`on Node: ${parsed.failure}`);
      return { result: parsed, wire: host.wire, server: host.server };
    }
    if (inFlight === 0 && !run.tick()) throw new Error('on Node: the scenario waits, but on no timer');
  }
  throw new Error('on Node: the scenario did not finish');
}

export function exampleDevice(): unknown {
  return JSON.parse(readFileSync(join(root, 'lab/examples/device.json'), 'utf8'));
}

export const userConfirm: () => Scenario = () => ({ device: exampleDevice(), trigger: 'user', component: 'app1', answers: ['yes'] });

/**
 * The figures `npm run bench` reports: XS's meters after a user session with confirm (and its update), and
 * the fewest stack slots that session runs in (found by bisection on the stack-size worker; undefined when
 * that worker cannot be built here).
 */
export async function xsFigures(): Promise<{ compute: number; heap: number; stack?: number }> {
  const r = await runOnXs(userConfirm());
  const figures = { compute: r.meters!.compute, heap: r.meters!.liveHeapCount };
  if ('error' in deviceWorker()) return figures;
  // Overflow is deterministic, so the smallest stack that works is where the outcome flips.
  const stack = await flipPoint(4096, 64, 1, async (slots) => {
    try {
      return (await runOnXs(userConfirm(), { stackSlots: slots })).result.ok;
    } catch {
      return false;
    }
  });
  return stack === undefined ? figures : { ...figures, stack };
}

/**
 * The value nearest `bad` (to `step`) for which `ok` still holds, by bisection between `good`, which is
 * tried first (undefined when it fails), and `bad`, which is taken to fail.
 */
async function flipPoint(good: number, bad: number, step: number, ok: (n: number) => Promise<boolean>): Promise<number | undefined> {
  if (!(await ok(good))) return undefined;
  while (Math.abs(bad - good) > step) {
    const mid = (good + bad) >> 1;
    if (await ok(mid)) good = mid;
    else bad = mid;
  }
  return good;
}

/** The fixed chunk heap chunk ballasts are measured in. */
export const BALLAST_CHUNK_BYTES = 4 << 20;
/** The fixed slot heap slot ballasts are measured in: room for the agent's bundle, which xsnap keeps there. */
export const BALLAST_HEAP_SLOTS = 64 * 1024;

/**
 * What a ballast takes of one fixed heap: bytes of the chunk heap (an ArrayBuffer), or objects in the slot
 * heap (ballastObjectSlots slots each), bisected to `step`.
 */
export const BALLASTS = {
  chunk: {
    most: BALLAST_CHUNK_BYTES,
    step: 256,
    options: (n: number): RunOptions => ({ chunkBytes: BALLAST_CHUNK_BYTES, ballastBytes: n }),
  },
  slots: { most: BALLAST_HEAP_SLOTS, step: 16, options: (n: number): RunOptions => ({ heapSlots: BALLAST_HEAP_SLOTS, ballastObjects: n }) },
} as const;

/**
 * The largest ballast of `kind` with which the scenario `make` gives still runs: what is left of that fixed
 * heap once the scenario has run. Undefined when it never runs.
 */
export async function largestBallast(
  make: () => { scenario: Scenario; options: RunOptions },
  kind: keyof typeof BALLASTS = 'chunk',
): Promise<number | undefined> {
  const b = BALLASTS[kind];
  return flipPoint(0, b.most, b.step, async (ballast) => {
    const s = make();
    try {
      return (await runOnXs(s.scenario, { ...s.options, ...b.options(ballast) })).result.ok;
    } catch {
      return false;
    }
  });
}

/** Slots one slot-ballast object takes, as XS counts them (currentHeapCount after a collection, per object). */
export async function ballastObjectSlots(): Promise<number> {
  const xsnap = await loadXsnap();
  const worker = await xsnap({ os: os.type(), spawn, fs: { ...fs, ...fs.promises } as never, stderr: 'ignore', name: 'dm-agent-xs-slots' });
  try {
    const before = (await worker.evaluate('gc()')).meterUsage.currentHeapCount ?? 0;
    await worker.evaluate(slotBallast(10000));
    const after = (await worker.evaluate('gc()')).meterUsage.currentHeapCount ?? 0;
    return (after - before) / 10000;
  } finally {
    await worker.close();
  }
}

/**
 * What the heaviest session the device's default sizes allow (test/xs/device-limits.ts) needs beyond a check
 * the server ends at once, on XS with 64-bit slots as the simulator's: chunk bytes, or heap slots. Each is
 * run after a ballast on a fixed heap; the largest ballast each still runs with is found by bisection, and the
 * figure is their difference. Undefined when the device-sized worker cannot be built.
 */
export async function xsDeviceLimitsBeyondPlain(kind: keyof typeof BALLASTS): Promise<number | undefined> {
  if ('error' in deviceWorker()) return undefined;
  const { atDeviceLimits, plainCheck } = await import('./device-limits.js');
  const plain = await largestBallast(plainCheck, kind);
  const limits = await largestBallast(() => atDeviceLimits(), kind);
  if (plain === undefined || limits === undefined) return undefined;
  return kind === 'chunk' ? plain - limits : Math.round((plain - limits) * (await ballastObjectSlots()));
}

/**
 * One device-sized XS worker running scenarios one after another (a fuzz run), with a new worker after one
 * aborts. A run's outcome is its result, a failure that escaped the driver, or the abort that ended the
 * worker ("stack overflow", "not enough memory"): what would restart the device.
 */
export class XsRunner {
  private worker?: Awaited<ReturnType<typeof startWorker>>['worker'];
  private host?: Host;

  constructor(private readonly sizes: WorkerSizes) {}

  private async ready() {
    this.worker ??= (await startWorker(this.sizes, 'dm-agent-xs-runner', () => this.host!, true)).worker;
    return this.worker;
  }

  async run(s: Scenario, o: RunOptions = {}): Promise<{ result: ScenarioResult } | { failure: string } | { aborted: string }> {
    this.host = makeHost(o);
    const worker = await this.ready();
    try {
      const outcome = await driveScenario(async (c) => (await worker.issueStringCommand(JSON.stringify(c))).reply, s);
      return 'failure' in outcome ? outcome : { result: outcome };
    } catch (e) {
      this.worker = undefined;
      await worker.close().catch(() => undefined);
      return { aborted: e instanceof Error ? e.message : String(e) };
    }
  }

  async close(): Promise<void> {
    await this.worker?.close().catch(() => undefined);
    this.worker = undefined;
  }
}
