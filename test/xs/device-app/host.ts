// The host side of the device-app test: the simulator's device app (platform/moddable/main-sim.ts, which calls
// startDevice of app.ts) bundled with the SDK stand-ins of sdk/ instead of the SDK's modules, run on the XS
// engine (xsnap), and the world around it: the flash file system and the preference store (kept here, so
// they outlive a restart of the worker), the lab DM server behind the device's HTTP requests, the random
// source and the digests the SDK computes natively. Time is virtual: it moves only when the host fires the
// machine's next timer or lets a span of idle time pass.
//
// DeviceWorld is what lasts; boot() starts a machine in it (a new xsnap worker: a power-on), and a
// DeviceRun drives that machine: its screen as drawn (texts and fills of the last frame), touches, time.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import os from 'node:os';
import fs, { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'esbuild';
import type { XSnap } from '@agoric/xsnap';
import type { Crypto } from '../../../agent/ports.js';
import { nodeCrypto } from '../../../platform/node/crypto.js';
import { LabDmServer } from '../../../lab/server/dm-server.js';
import { loadCatalog } from '../../../lab/server/catalog.js';
import { startHttpServer, type RunningHttpServer } from '../../../lab/server/http.js';
import { bundleScript, loadXsnap, preloadAvailable } from '../harness.js';
import { deviceWorkerSpawn, evaluatePreloaded } from '../preload.js';
import type { DrawOp, Frame } from './sdk/piu.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../../..');

/** Where the device reaches the lab server: the account's server URI and the packages' base URL say so. */
export const LAB_HOST = '127.0.0.1';
export const LAB_PORT = 8080;
export const LAB_ORIGIN = `http://${LAB_HOST}:${LAB_PORT}`;
/** The file system root the SDK's file manifest gives the Linux simulator (config.file.root). */
export const FILE_ROOT = '/tmp/';
/** The wall clock at the first power-on: 2025-11-24. */
export const FIRST_WALL_MS = 1_764_000_000_000;

type Json = Record<string, unknown>;

/**
 * The config mcconfig would build into the simulator: manifests/shared.json's `config`, with the account's
 * server at the lab server's address and `file.root` as the SDK's file manifest sets it.
 */
export function deviceConfig(): Json {
  const shared = JSON.parse(readFileSync(join(root, 'manifests/shared.json'), 'utf8')) as { config: { dm: { device: { account: Json } } } };
  const config = structuredClone(shared.config) as unknown as { dm: { device: { account: Json } }; file?: Json };
  config.dm.device.account.serverUri = `${LAB_ORIGIN}/dm`;
  config.file = { root: FILE_ROOT };
  return config as unknown as Json;
}

/** SDK module specifier → its stand-in in sdk/. */
const SDK_MODULES: Record<string, string> = {
  'mc/config': 'mc-config.ts',
  modules: 'modules.ts',
  Resource: 'resource.ts',
  timer: 'timer.ts',
  time: 'time.ts',
  crypt: 'crypt.ts',
  rng: 'rng.ts',
  preference: 'preference.ts',
  file: 'file.ts',
  http: 'http.ts',
  mqtt: 'mqtt.ts',
  securesocket: 'securesocket.ts',
  'text/decoder': 'text-decoder.ts',
  'text/encoder': 'text-encoder.ts',
  // The device entry's (platform/moddable/main.ts) ESP32 modules.
  ota: 'ota.ts',
  flash: 'flash.ts',
  'embedded:io/digital': 'digital.ts',
};

/** Which entry module the bundle runs: the simulator's (main-sim.ts) or the ESP32's (main.ts). */
export type DeviceEntry = 'sim' | 'device';

/**
 * Resolves every bare specifier: an SDK module to its stand-in, 'device-app:main' to the simulator's entry
 * module; anything else is an error, so the device's code can never pick up an npm package of the same name
 * (there is an npm "mqtt").
 */
const sdkPlugin = (entry: DeviceEntry): Plugin => ({
  name: 'moddable-sdk-stand-ins',
  setup(b) {
    // Our native module's C side calls ESP-IDF: its stand-in answers as ESP-IDF would.
    b.onResolve({ filter: /\/native\/esp-ota\.js$/ }, () => ({ path: join(here, 'sdk', 'esp-ota-native.ts') }));
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path === 'device-app:main') return { path: join(root, `platform/moddable/${entry === 'device' ? 'main' : 'main-sim'}.ts`) };
      const file = SDK_MODULES[args.path];
      if (file) return { path: join(here, 'sdk', file) };
      return {
        errors: [{ text: `'${args.path}' (imported by ${args.importer}) is not an SDK module with a stand-in in test/xs/device-app/sdk` }],
      };
    });
  },
});

const bundles = new Map<string, Promise<string>>();

/** The device app with the stand-ins and `config` as mc/config, as one script (cached per config). */
export function bundleDeviceApp(config: Json = deviceConfig(), entry: DeviceEntry = 'sim'): Promise<string> {
  const key = JSON.stringify(config);
  let b = bundles.get(`${entry}:${key}`);
  if (!b) {
    b = bundleScript(join(here, 'entry.ts'), { plugins: [sdkPlugin(entry)], define: { DEVICE_APP_CONFIG: key } });
    bundles.set(`${entry}:${key}`, b);
  }
  return b;
}

/**
 * Loads the app's bundle on `worker` the way the device loads its modules: as preloaded modules
 * (test/xs/preload.ts: module bodies run, then what the XS linker does to them) where the device-sized
 * worker exists, else plainly. Nothing starts: the host boots the device afterwards.
 */
export async function loadAppBundle(worker: XSnap, bundle: string): Promise<void> {
  if (preloadAvailable()) await evaluatePreloaded(worker, bundle);
  else await worker.evaluate(bundle);
}

// ------------------------------------------------------------------ the flash file system and preferences

/** The device's file system, in memory, with the POSIX answers the simulator's file module reports. */
export class MemoryFs {
  readonly files = new Map<string, Uint8Array>();
  readonly dirs = new Set<string>(['/', FILE_ROOT.replace(/\/$/, '')]);

  private norm(p: string): string {
    return p.length > 1 ? p.replace(/\/+$/, '') : p;
  }

  private parent(p: string): string {
    const i = p.lastIndexOf('/');
    return i <= 0 ? '/' : p.slice(0, i);
  }

  open(path: string, write: boolean): void {
    const p = this.norm(path);
    if (this.files.has(p)) return;
    if (!write || this.dirs.has(p) || !this.dirs.has(this.parent(p))) throw new Error('file not found');
    this.files.set(p, new Uint8Array(0));
  }

  private file(path: string): Uint8Array {
    const f = this.files.get(this.norm(path));
    if (!f) throw new Error('file not found');
    return f;
  }

  read(path: string, position: number, count: number): Uint8Array {
    return this.file(path).slice(position, position + count);
  }

  write(path: string, position: number, bytes: Uint8Array): void {
    const f = this.file(path);
    const out = new Uint8Array(Math.max(f.length, position + bytes.length));
    out.set(f);
    out.set(bytes, position);
    this.files.set(this.norm(path), out);
  }

  size(path: string): number {
    return this.file(path).length;
  }

  delete(path: string): boolean {
    return this.files.delete(this.norm(path));
  }

  exists(path: string): boolean {
    const p = this.norm(path);
    return this.files.has(p) || this.dirs.has(p);
  }

  rename(from: string, to: string): boolean {
    const f = this.norm(from);
    const t = this.norm(to);
    const bytes = this.files.get(f);
    if (!bytes || this.dirs.has(t) || !this.dirs.has(this.parent(t))) return false;
    this.files.delete(f);
    this.files.set(t, bytes);
    return true;
  }

  mkdir(path: string): void {
    const p = this.norm(path);
    if (this.exists(p)) return;
    if (!this.dirs.has(this.parent(p))) throw new Error('failed');
    this.dirs.add(p);
  }

  rmdir(path: string): void {
    const p = this.norm(path);
    if (!this.dirs.has(p)) return;
    if (this.list(p).length > 2) throw new Error('failed');
    this.dirs.delete(p);
  }

  /** readdir: ".", "..", then the folder's entries; a file with its length. */
  list(path: string): { name: string; length?: number }[] {
    const p = this.norm(path);
    if (!this.dirs.has(p)) throw new Error('failed to open directory');
    const out: { name: string; length?: number }[] = [{ name: '.' }, { name: '..' }];
    for (const d of this.dirs)
      if (d !== p && d !== '/' && this.parent(d) === p) out.push({ name: d.slice(p.length + (p === '/' ? 0 : 1)) });
    for (const [f, bytes] of this.files)
      if (this.parent(f) === p) out.push({ name: f.slice(p.length + (p === '/' ? 0 : 1)), length: bytes.length });
    return out;
  }

  /** The text of a file, or undefined. */
  text(path: string): string | undefined {
    const f = this.files.get(this.norm(path));
    return f ? Buffer.from(f).toString('utf8') : undefined;
  }
}

export type PreferenceValue =
  | { type: 'boolean'; value: boolean }
  | { type: 'integer'; value: number }
  | { type: 'string'; value: string }
  | { type: 'buffer'; value: Uint8Array };

// ------------------------------------------------------------------ the world and its machines

export interface HttpExchange {
  method: string;
  url: string;
  /** What the device sent (a request that reached the server). */
  body?: Uint8Array;
  status?: number;
  error?: string;
}

export class DeviceWorld {
  readonly fs = new MemoryFs();
  readonly prefs = new Map<string, Map<string, PreferenceValue>>();
  readonly lab: LabDmServer;
  /** Every request the device made, in order, with its answer. */
  readonly http: HttpExchange[] = [];
  /** What the host found wrong in the device's requests (a Content-Length that is not the body's size …). */
  readonly problems: string[] = [];
  /** False: the lab server cannot be reached, and a connection to it fails as `refusal` says (sdk/http.ts). */
  reachable = true;
  refusal: 'error' | 'write-throws' = 'error';
  /** The wall clock at the next power-on. */
  wallMs = FIRST_WALL_MS;
  private labHttp?: RunningHttpServer;
  private readonly catalogDir: string;
  private readonly runs: DeviceRun[] = [];

  /** `catalog`: the lab server's catalog (default lab/examples/catalog.json). */
  constructor(o: { catalog?: string } = {}) {
    let n = 0;
    const serverCrypto: Crypto = {
      ...nodeCrypto,
      randomBytes: (k) =>
        new Uint8Array(
          Buffer.concat(Array.from({ length: Math.ceil(k / 32) }, () => createHash('sha256').update(`server:${n++}`).digest())).subarray(
            0,
            k,
          ),
        ),
    };
    const catalog = loadCatalog(o.catalog ?? join(root, 'lab/examples/catalog.json'));
    this.catalogDir = catalog.packagesDir;
    this.lab = new LabDmServer({
      catalog,
      devices: [{ username: 'dmuser', password: 'dmpass', auth: 'md5' }],
      serverId: 'labserver',
      serverUri: `${LAB_ORIGIN}/dm`,
      packageBaseUrl: `${LAB_ORIGIN}/packages`,
      crypto: serverCrypto,
    });
  }

  pref(domain: string, key: string): PreferenceValue | undefined {
    return this.prefs.get(domain)?.get(key);
  }

  /** Powers the device on: a new XS worker with the app (built with `config`) loaded, then started. */
  async boot(config: Json = deviceConfig(), entry: DeviceEntry = 'sim'): Promise<DeviceRun> {
    this.labHttp ??= await startHttpServer({ server: this.lab, packagesDir: this.catalogDir, port: 0, host: LAB_HOST });
    const run = new DeviceRun(this);
    this.runs.push(run);
    await run.start(await bundleDeviceApp(config, entry));
    return run;
  }

  /** Powers off what still runs (a test that failed midway) and stops the lab server. */
  async close(): Promise<void> {
    for (const run of this.runs.splice(0)) await run.powerOff().catch(() => undefined);
    await this.labHttp?.close();
    this.labHttp = undefined;
  }

  /** How a connection to host:port goes: made (undefined), or refused in the way `refusal` says. */
  connect(host: string, port: number): 'error' | 'write-throws' | undefined {
    const ok = this.reachable && host === LAB_HOST && port === LAB_PORT;
    if (!ok) this.http.push({ method: 'CONNECT', url: `http://${host}:${port}`, error: 'connection refused' });
    return ok ? undefined : this.refusal;
  }

  /** The device's HTTP request, answered by the lab server over a real socket (or refused). */
  async exchange(
    req: { host: string; port: number; method: string; path: string; headers: string[] },
    body: Uint8Array,
  ): Promise<{ error: string } | { status: number; headers: [string, string][]; body: Uint8Array }> {
    const record: HttpExchange = { method: req.method, url: `http://${req.host}:${req.port}${req.path}`, ...(body.length ? { body } : {}) };
    this.http.push(record);
    if (!this.reachable || req.host !== LAB_HOST || req.port !== LAB_PORT || !this.labHttp) {
      record.error = 'connection refused';
      return { error: record.error };
    }
    const headers: Record<string, string> = { Connection: 'close' };
    for (let i = 0; i + 1 < req.headers.length; i += 2) headers[req.headers[i]!] = req.headers[i + 1]!;
    const declared = Object.entries(headers).find(([k]) => k.toLowerCase() === 'content-length')?.[1];
    if (declared !== undefined && Number(declared) !== body.length) {
      this.problems.push(`${req.method} ${req.path}: Content-Length ${declared}, body of ${body.length} bytes`);
      record.error = 'content-length mismatch';
      return { error: record.error };
    }
    const port = Number(new URL(this.labHttp.url).port);
    return new Promise((resolve) => {
      const r = httpRequest({ host: LAB_HOST, port, method: req.method, path: req.path, headers, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const pairs: [string, string][] = [];
          for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) pairs.push([res.rawHeaders[i]!, res.rawHeaders[i + 1]!]);
          record.status = res.statusCode ?? 0;
          resolve({ status: res.statusCode ?? 0, headers: pairs, body: new Uint8Array(Buffer.concat(chunks)) });
        });
        res.on('error', (e) => {
          record.error = e.message;
          resolve({ error: e.message });
        });
      });
      r.on('error', (e) => {
        record.error = e.message;
        resolve({ error: e.message });
      });
      r.end(Buffer.from(body));
    });
  }
}

/** A text on the screen: what drawString drew, where. */
export type ScreenText = Extract<DrawOp, { op: 'text' }>;

interface Answer {
  ticks: number;
  next: number | null;
  frame: Frame;
  log: string[];
  uncaught: string[];
  fired?: boolean;
}

/** One power-on of the device: an XS worker running the app, driven by commands. */
export class DeviceRun {
  private worker?: XSnap;
  /** The machine's ticks (virtual ms since this power-on) and its next timer. */
  ticks = 0;
  next: number | null = null;
  frame: Frame = { count: 0, ops: [] };
  /** Every frame drawn since power-on, as screenText() gives it. */
  readonly screens: string[] = [];
  /** trace() output of the device. */
  readonly log: string[] = [];
  /** Exceptions that escaped a callback: each would stop the device. */
  readonly uncaught: string[] = [];
  private readonly wallAtBoot: number;
  private rng: { key: Buffer; counter: number };

  constructor(private readonly world: DeviceWorld) {
    this.wallAtBoot = world.wallMs;
    this.rng = { key: RNG_HOST_KEY, counter: 0 };
  }

  async start(bundle: string): Promise<void> {
    const xsnap = await loadXsnap();
    // xsnap's own stack: the bundle is one function whose hundreds of module variables XS keeps on the stack
    // while it loads, which the device's 640 slots cannot hold (on the device each module is its own scope).
    const spawnWorker = preloadAvailable() ? deviceWorkerSpawn() : spawn;
    this.worker = await xsnap({
      os: os.type(),
      spawn: spawnWorker,
      fs: { ...fs, ...fs.promises } as never,
      stderr: 'inherit',
      stdout: 'inherit',
      name: 'dm-device-app',
      handleCommand: (request: Uint8Array) => this.hostCall(request),
    });
    await loadAppBundle(this.worker, bundle);
    await this.command({ op: 'start', wall: this.wallAtBoot });
  }

  private async command(c: Json): Promise<Answer> {
    if (!this.worker) throw new Error('the device is off');
    const r = await this.worker.issueStringCommand(JSON.stringify(c));
    const a = JSON.parse(r.reply) as Answer;
    this.ticks = a.ticks;
    this.next = a.next;
    if (a.frame.count !== this.frame.count)
      this.screens.push(
        a.frame.ops
          .filter((o) => o.op === 'text')
          .map((t) => t.text)
          .join(' | '),
      );
    this.frame = a.frame;
    this.log.push(...a.log);
    this.uncaught.push(...a.uncaught);
    return a;
  }

  /** Fires every timer due now (and those they set for now). */
  async settle(): Promise<void> {
    for (let i = 0; this.next !== null && this.next <= this.ticks; i++) {
      if (i > 100000) throw new Error('the device keeps setting immediate timers');
      await this.command({ op: 'step', until: this.ticks });
    }
  }

  /** Lets `ms` of virtual time pass, firing the timers due meanwhile in order. */
  async advance(ms: number): Promise<void> {
    const target = this.ticks + ms;
    await this.settle();
    while (this.ticks < target) await this.command({ op: 'step', until: target });
    await this.settle();
  }

  /**
   * Runs the device until `done` holds of it (checked whenever it is idle at a tick), moving time to each
   * next timer; fails when it waits on nothing or `withinMs` of virtual time pass first.
   */
  async runUntil(what: string, done: (run: DeviceRun) => boolean, withinMs = 10 * 60 * 1000): Promise<void> {
    const limit = this.ticks + withinMs;
    for (;;) {
      await this.settle();
      if (this.uncaught.length) throw new Error(`the device stopped on an uncaught exception:\n${this.uncaught.join('\n')}`);
      if (done(this)) return;
      if (this.next === null) throw new Error(`waiting for ${what}, but the device waits on no timer; screen: ${this.screenText()}`);
      if (this.next > limit) throw new Error(`no ${what} within ${withinMs} ms; screen: ${this.screenText()}`);
      await this.command({ op: 'step', until: this.next });
    }
  }

  /** The texts on the screen, in drawing order. */
  texts(): ScreenText[] {
    return this.frame.ops.filter((o): o is ScreenText => o.op === 'text');
  }

  /** The screen as one line: its texts joined by ' | '. */
  screenText(): string {
    return this.texts()
      .map((t) => t.text)
      .join(' | ');
  }

  /** The title bar's text (drawn in the title font at the top). */
  title(): string | undefined {
    return this.texts().find((t) => (t.clip?.y ?? t.y) === 0 && t.font.startsWith('600'))?.text;
  }

  /** A finger down at (x, y), held `holdMs`, then lifted there. */
  async touch(x: number, y: number, holdMs = 120): Promise<void> {
    await this.command({ op: 'touch', phase: 'began', x, y });
    await this.advance(holdMs);
    await this.command({ op: 'touch', phase: 'ended', x, y });
    await this.settle();
  }

  /** Touches the middle of the text `label` (a key or a button) on the screen. */
  async press(label: string, holdMs?: number): Promise<void> {
    const t = this.texts()
      .filter((x) => x.text === label)
      .pop();
    if (!t) throw new Error(`no '${label}' on the screen: ${this.screenText()}`);
    await this.touch(t.x + Math.floor(t.w / 2), t.y + Math.floor(t.h / 2), holdMs);
  }

  /** Power off: the worker ends; files and preferences stay in the world, and its clock goes on. */
  async powerOff(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    this.world.wallMs = this.wallAtBoot + this.ticks;
    await w?.close();
  }

  // -------------------------------------------------------------- the host calls of the SDK stand-ins

  private async hostCall(request: Uint8Array): Promise<Uint8Array> {
    const view = new DataView(request.buffer, request.byteOffset, request.byteLength);
    const n = view.getUint32(0);
    const args = JSON.parse(Buffer.from(request.subarray(4, 4 + n)).toString('utf8')) as Json & { op: string };
    const payload = request.subarray(4 + n);
    let reply: Json;
    let out: Uint8Array | undefined;
    try {
      [reply, out] = await this.serve(args, payload);
    } catch (e) {
      reply = { error: e instanceof Error ? e.message : String(e) };
    }
    const json = Buffer.from(JSON.stringify(reply));
    const frame = new Uint8Array(4 + json.length + (out?.length ?? 0));
    new DataView(frame.buffer).setUint32(0, json.length);
    frame.set(json, 4);
    if (out) frame.set(out, 4 + json.length);
    return frame;
  }

  private async serve(a: Json & { op: string }, payload: Uint8Array): Promise<[Json, Uint8Array?]> {
    const { fs: files, prefs } = this.world;
    const path = a.path as string;
    switch (a.op) {
      case 'fs.open':
        files.open(path, a.write === true);
        return [{}];
      case 'fs.read':
        return [{}, files.read(path, a.position as number, a.count as number)];
      case 'fs.write':
        files.write(path, a.position as number, payload.slice());
        return [{}];
      case 'fs.size':
        return [{ size: files.size(path) }];
      case 'fs.delete':
        return [{ ok: files.delete(path) }];
      case 'fs.exists':
        return [{ ok: files.exists(path) }];
      case 'fs.rename':
        return [{ ok: files.rename(a.from as string, a.to as string) }];
      case 'fs.mkdir':
        files.mkdir(path);
        return [{}];
      case 'fs.rmdir':
        files.rmdir(path);
        return [{}];
      case 'fs.list':
        return [{ entries: files.list(path) }];
      case 'fs.info': {
        let used = 0;
        for (const f of files.files.values()) used += f.length;
        return [{ used, total: 1 << 20 }];
      }
      case 'pref.get': {
        const v = prefs.get(a.domain as string)?.get(a.key as string);
        if (!v) return [{}];
        return v.type === 'buffer' ? [{ type: v.type }, v.value] : [{ type: v.type, value: v.value }];
      }
      case 'pref.set': {
        const domain = a.domain as string;
        if (!prefs.has(domain)) prefs.set(domain, new Map());
        const t = a.type as PreferenceValue['type'];
        prefs
          .get(domain)!
          .set(a.key as string, (t === 'buffer' ? { type: t, value: payload.slice() } : { type: t, value: a.value }) as PreferenceValue);
        return [{}];
      }
      case 'pref.delete':
        prefs.get(a.domain as string)?.delete(a.key as string);
        return [{}];
      case 'pref.keys':
        return [{ keys: [...(prefs.get(a.domain as string)?.keys() ?? [])] }];
      case 'digest': {
        const alg = { MD5: 'md5', SHA1: 'sha1', SHA224: 'sha224', SHA256: 'sha256', SHA384: 'sha384', SHA512: 'sha512' }[a.type as string];
        if (!alg) throw new Error(`unsupported digest ${String(a.type)}`);
        return [{}, new Uint8Array(createHash(alg).update(payload).digest())];
      }
      case 'rng.get':
        return [{}, this.random(a.count as number)];
      case 'rng.init':
        this.rng = { key: a.host === true ? RNG_HOST_KEY : createHash('sha256').update('rng-seed:').update(payload).digest(), counter: 0 };
        return [{}];
      case 'net.connect': {
        const refused = this.world.connect(a.host as string, a.port as number);
        return [refused ? { refused } : {}];
      }
      case 'http': {
        const r = await this.world.exchange(a as unknown as Parameters<DeviceWorld['exchange']>[0], payload.slice());
        return 'error' in r ? [{ error: r.error }] : [{ status: r.status, headers: r.headers }, r.body];
      }
      default:
        throw new Error(`unknown host call ${a.op}`);
    }
  }

  /** The rng stream: blocks of sha256(key, counter). */
  private random(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let o = 0; o < n; o += 32) {
      const block = createHash('sha256')
        .update(this.rng.key)
        .update(String(this.rng.counter++))
        .digest();
      out.set(block.subarray(0, Math.min(32, n - o)), o);
    }
    return out;
  }
}

/** The stream before any init: the same at every power-on, as the simulator's unseeded c_rand() is. */
const RNG_HOST_KEY = createHash('sha256').update('c_rand, never seeded').digest();
