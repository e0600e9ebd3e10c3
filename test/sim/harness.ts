// The machinery of the simulator suite (test/sim/*.sim.ts, `npm run test:sim`): builds of the simulator
// manifest with a per-case device config, a virtual X display, the SDK's mcsim with the built app, an xsbug
// listener for the app's trace output and the SDK's instruments, the screen driven with xdotool, and the lab
// server in process. Everything it starts is stopped by PID; nothing is written inside the repository but
// test/sim/out/. The SDK is found through $MODDABLE and mcconfig on the PATH, never through a fixed path.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { Log, LogLevel } from '../../agent/ports.js';
import { startLab, type RunningLab } from '../../lab/server/lab.js';
import { loadCatalog } from '../../lab/server/catalog.js';
import { parseScenario } from '../../lab/server/scenario.js';
import type { AuthType } from '../../lab/server/auth.js';
import { layoutScreen, type Layout, type View, type Zone } from '../../platform/moddable/lib/screen-layout.js';
import type { Screen } from '../../agent/ports.js';
import { withDefined } from '../../agent/util/options.js';

export const REPO = resolve(new URL('../..', import.meta.url).pathname);
export const OUT_DIR = join(REPO, 'test', 'sim', 'out');
export const FIXTURES = join(REPO, 'test', 'sim', 'fixtures');
/**
 * The checkout whose device code is built: this one, or DM_SIM_SOURCE (another checkout or an export of a
 * commit, e.g. `git archive HEAD | tar -x -C <dir>`, to test a commit while this tree is being edited).
 */
export const SOURCE = resolve(process.env.DM_SIM_SOURCE ?? REPO);
const SIM_MANIFEST = join(SOURCE, 'manifests', 'simulator', 'manifest.json');
const SHARED = JSON.parse(readFileSync(join(SOURCE, 'manifests', 'shared.json'), 'utf8')) as {
  creation: { chunk: { initial: number }; heap: { initial: number }; stack: number };
  config: { dm: { device: DeviceJson } };
};
export const CREATION = { chunk: SHARED.creation.chunk.initial, slots: SHARED.creation.heap.initial, stack: SHARED.creation.stack };
/** The factory device description of shared.json: each case starts from it and overrides what it tests. */
export const BASE_DEVICE = SHARED.config.dm.device;

export type DeviceJson = Record<string, unknown> & { devInfo: { devId: string } };

// ------------------------------------------------------------------------------------------------ SDK

export interface Sdk {
  moddable: string;
  mcsim: string;
  /** PATH for mcconfig: the SDK's, without this repository's node_modules/.bin (its TypeScript is 5.x). */
  path: string;
  tscVersion: string;
}

/** The SDK, or why it cannot be used: undefined + reason when MODDABLE is not set (the suite then skips). */
export function findSdk(): { sdk?: Sdk; skip?: string } {
  const moddable = process.env.MODDABLE;
  if (!moddable) return { skip: 'MODDABLE is not set: the Moddable SDK is needed (see manifests/README.md, "Simulator suite")' };
  // npm run puts <repo>/node_modules/.bin (and its parents') first on the PATH: mcconfig would then compile
  // with the project's TypeScript 5.9, which refuses the ES2025 target mcconfig asks for.
  const npmBins = new Set<string>();
  for (let d = REPO; ; d = dirname(d)) {
    npmBins.add(join(d, 'node_modules', '.bin'));
    if (dirname(d) === d) break;
  }
  const path = (process.env.PATH ?? '')
    .split(delimiter)
    .filter((p) => p && !npmBins.has(resolve(p)))
    .join(delimiter);
  const which = (tool: string): string | undefined => {
    const r = spawnSync('sh', ['-c', `command -v ${tool}`], { env: { ...process.env, PATH: path }, encoding: 'utf8' });
    return r.status === 0 ? r.stdout.trim() : undefined;
  };
  const missing = ['mcconfig', 'tsc', 'Xvfb', 'xdotool', 'import', 'convert'].filter((t) => !which(t));
  if (missing.length)
    throw new Error(
      `MODDABLE is set but ${missing.join(', ')} not found on the PATH (without node_modules/.bin): ` +
        'put $MODDABLE/build/bin/lin/release and a TypeScript 6+ tsc on the PATH; Xvfb, xdotool and ImageMagick must be installed',
    );
  // mcsim finds its simulators four directories above its own real path, so it is started by absolute path.
  const mcsim = join(moddable, 'build', 'bin', 'lin', 'release', 'mcsim');
  if (!existsSync(mcsim)) throw new Error(`${mcsim} not found: build the SDK's Linux tools (cd $MODDABLE/build/makefiles/lin && make)`);
  const v = spawnSync('tsc', ['--version'], { env: { ...process.env, PATH: path }, encoding: 'utf8' });
  const tscVersion = /Version (\d+)\.\S*/.exec(v.stdout ?? '')?.[0] ?? '?';
  const major = Number(/Version (\d+)/.exec(tscVersion)?.[1] ?? 0);
  if (major < 6) throw new Error(`tsc on the PATH is '${tscVersion}': mcconfig needs TypeScript 6 or later (target ES2025)`);
  return { sdk: { moddable, mcsim, path, tscVersion } };
}

// ------------------------------------------------------------------------------------------------ processes

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children)
    if (c.exitCode === null && c.signalCode === null && c.pid)
      try {
        process.kill(c.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
});

function track(c: ChildProcess): ChildProcess {
  children.add(c);
  c.once('exit', () => children.delete(c));
  return c;
}

/** Stops one process by its PID: SIGTERM, then SIGKILL after `graceMs`. */
export async function stopProcess(c: ChildProcess | undefined, graceMs = 5000): Promise<void> {
  if (!c?.pid || c.exitCode !== null || c.signalCode !== null) return;
  const exited = new Promise<void>((r) => c.once('exit', () => r()));
  try {
    process.kill(c.pid, 'SIGTERM');
  } catch {
    return;
  }
  const t = setTimeout(() => {
    try {
      process.kill(c.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
  }, graceMs);
  await exited;
  clearTimeout(t);
}

/** Runs a tool and resolves with its stdout (rejects with its stderr). */
export function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, input?: Buffer): Promise<Buffer> {
  return new Promise((res, rej) => {
    const p = track(spawn(cmd, args, { env, stdio: [input ? 'pipe' : 'ignore', 'pipe', 'pipe'] }));
    const out: Buffer[] = [];
    let err = '';
    p.stdout!.on('data', (d: Buffer) => out.push(d));
    p.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
    });
    p.once('error', rej);
    p.once('exit', (code) =>
      code === 0 ? res(Buffer.concat(out)) : rej(new Error(`${cmd} ${args.join(' ')} failed (${code}): ${err.slice(-500)}`)),
    );
    if (input) p.stdin!.end(input);
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it returns a value other than undefined, or fails after `ms` with `what()`. */
export async function waitFor<T>(
  what: () => string,
  ms: number,
  probe: () => T | undefined | Promise<T | undefined>,
  everyMs = 250,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${Math.round(ms / 1000)} s waiting for ${what()}`);
    await sleep(everyMs);
  }
}

/** A port nothing listens on now (the lab and the broker reuse it for every case: it is built into the app). */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

// ------------------------------------------------------------------------------------------------ Xvfb

export interface XDisplay {
  name: string;
  proc: ChildProcess;
}

/** Starts Xvfb on a display number it picks itself (-displayfd), so no other X server is disturbed. */
export async function startXvfb(): Promise<XDisplay> {
  const proc = track(
    spawn('Xvfb', ['-displayfd', '3', '-screen', '0', '1024x768x24', '-nolisten', 'tcp'], { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] }),
  );
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => {
    err = (err + d.toString()).slice(-2000);
  });
  const fd3 = proc.stdio[3] as NodeJS.ReadableStream;
  let out = '';
  const n = await new Promise<string>((resolveN, reject) => {
    const t = setTimeout(() => reject(new Error(`Xvfb did not report its display within 20 s: ${err}`)), 20000);
    fd3.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) {
        clearTimeout(t);
        resolveN(out.trim());
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`Xvfb exited (${code}): ${err}`));
    });
  });
  return { name: `:${n}`, proc };
}

// ------------------------------------------------------------------------------------------------ xsbug

export interface Sample {
  at: number;
  values: Record<string, number>;
  /** Sent by a break the suite asked for (after a collection). Its "Stack used" was seen wrong (13 slots). */
  forced?: boolean;
}

/**
 * The debugger end of the xsbug protocol (what $MODDABLE/tools/xsbug-log does, reduced to what the suite
 * needs): answers the app's login and any break with <go/>, collects its trace() output as lines and the
 * instrument samples it sends every second.
 */
export class XsbugListener {
  readonly lines: { at: number; text: string }[] = [];
  readonly samples: Sample[] = [];
  private names: string[] = [];
  private server?: Server;
  private socket?: Socket;
  private partial = '';
  port = 0;
  logins = 0;
  breaks = 0;
  private lineWaiters: (() => void)[] = [];
  private breakWaiters: (() => void)[] = [];

  async start(): Promise<void> {
    this.server = createServer((s) => this.attach(s));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
    this.port = (this.server.address() as AddressInfo).port;
  }

  private attach(s: Socket): void {
    s.setEncoding('utf8');
    let buf = '';
    s.on('data', (d: string) => {
      buf += d;
      for (let i = buf.indexOf('</xsbug>'); i >= 0; i = buf.indexOf('</xsbug>')) {
        const msg = buf.slice(0, i);
        buf = buf.slice(i + 8);
        const start = msg.indexOf('<xsbug>');
        this.onMessage(s, start >= 0 ? msg.slice(start + 7) : msg);
      }
    });
    s.on('error', () => {
      /* the app went away */
    });
  }

  private send(s: Socket | undefined, cmd: string): void {
    try {
      s?.write(`\r\n${cmd}\r\n`);
    } catch {
      /* closed */
    }
  }

  private onMessage(s: Socket, m: string): void {
    if (m.startsWith('<login')) {
      const name = /name="([^"]*)"/.exec(m)?.[1];
      if (name !== 'mcsim') {
        this.socket = s;
        this.logins++;
      }
      this.send(s, '<go/>');
      this.send(s, '<set-all-breakpoints></set-all-breakpoints>');
    }
    if (m.includes('<instruments>')) this.names = [...m.matchAll(/<instrument name="([^"]*)"/g)].map((x) => decode(x[1]!));
    const sm = /<samples>([^<]*)<\/samples>/.exec(m);
    if (sm && s === this.socket) {
      const v = sm[1]!.split(',').map(Number);
      const values: Record<string, number> = {};
      this.names.forEach((n, i) => {
        values[n] = v[i] ?? NaN;
      });
      this.samples.push({ at: Date.now(), values });
    }
    for (const lm of m.matchAll(/<log(?:\s+path="([^"]*)"\s+line="([^"]*)")?\s*>([\s\S]*?)<\/log>/g)) {
      const where = lm[1] ? `${lm[1].replace(/^.*\/(agent|platform|modules)\//, '$1/')}:${lm[2]}: ` : '';
      this.partial += where + decode(lm[3]!);
      const parts = this.partial.split('\n');
      this.partial = parts.pop()!;
      for (const p of parts) this.lines.push({ at: Date.now(), text: p });
      if (parts.length) {
        const w = this.lineWaiters;
        this.lineWaiters = [];
        for (const f of w) f();
      }
    }
    if (/<break\b/.test(m)) {
      this.breaks++;
      const w = this.breakWaiters;
      this.breakWaiters = [];
      for (const f of w) f();
      this.send(s, '<go/>');
    }
  }

  /**
   * Asks the app to break (xsbug's Break, <step/>). The SDK's simulator then collects garbage and sends a
   * sample before it reports the break (screen.c debugBreak, xsDebug.c fxDebugLoop): that sample is the
   * heaps without garbage. The break lands when the app runs JS next.
   */
  async collect(timeoutMs = 10000): Promise<Sample | undefined> {
    if (!this.socket) return undefined;
    const n = this.samples.length;
    const at = await new Promise<number | undefined>((r) => {
      const t = setTimeout(() => r(undefined), timeoutMs);
      this.breakWaiters.push(() => {
        clearTimeout(t);
        r(this.samples.length);
      });
      this.send(this.socket, '<step/>');
    });
    if (at === undefined || at <= n) return undefined;
    const s = this.samples[at - 1]!;
    s.forced = true;
    return s;
  }

  /** Lines logged since index `from` that match. */
  find(re: RegExp, from = 0): string | undefined {
    for (let i = from; i < this.lines.length; i++) if (re.test(this.lines[i]!.text)) return this.lines[i]!.text;
    return undefined;
  }

  /** The last `n` lines logged since index `from`. */
  tail(n = 25, from = 0): string {
    return (
      this.lines
        .slice(Math.max(from, this.lines.length - n))
        .map((l) => `    | ${l.text}`)
        .join('\n') || '    (nothing)'
    );
  }

  async close(): Promise<void> {
    this.socket?.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  /** Forgets the connection of a stopped app (the next one logs in anew). */
  detach(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }
}

function decode(s: string): string {
  return s
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)))
    .replace(/&#x([0-9a-f]+);/gi, (_, n: string) => String.fromCodePoint(parseInt(n, 16)))
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

/** Peaks of the instruments over samples (bytes and slot counts), and the slot size they imply. */
export interface Peaks {
  chunk: number;
  slots: number;
  stack: number;
  samples: number;
}

export function peaks(samples: Sample[]): Peaks {
  const slotSize = slotBytes(samples);
  let chunk = 0,
    slots = 0,
    stack = 0;
  for (const s of samples) {
    chunk = Math.max(chunk, s.values['Chunk used'] ?? 0);
    slots = Math.max(slots, Math.round((s.values['Slot used'] ?? 0) / slotSize));
    stack = Math.max(stack, Math.round((s.values['Stack used'] ?? 0) / slotSize));
  }
  return { chunk, slots, stack, samples: samples.length };
}

/** sizeof(txSlot): "Slot available" is the slot heap in bytes (creation.heap slots). 32 on a 64-bit simulator. */
export function slotBytes(samples: Sample[]): number {
  const avail = samples.find((s) => s.values['Slot available'])?.values['Slot available'];
  return avail ? avail / CREATION.slots : 32;
}

// ------------------------------------------------------------------------------------------------ builds

export interface BuildSpec {
  device: DeviceJson;
  /** Other keys of config.dm (maxMsgSize, logLevel, …). */
  dm?: Record<string, unknown>;
}

export interface Built {
  /** mc.so where mcsim is pointed at it (a path that makes mcsim pick its Moddable Two simulator). */
  lib: string;
  key: string;
  seconds: number;
}

/**
 * Builds the simulator app with a device config of its own: a manifest in the work folder includes the
 * repository's manifests/simulator/manifest.json and overrides config.dm.device and config.file.root.
 * mcconfig merges an including manifest's config over the included ones key by key (objects recursively,
 * arrays index by index: mcmanifest.js mergeProperties), so the generated mc/config is read back and
 * compared with what was asked for. Builds share one output folder: a config change rebuilds in seconds.
 */
export class Builder {
  private readonly cache = new Map<string, Built>();
  readonly outDir: string;
  constructor(
    private readonly sdk: Sdk,
    private readonly work: string,
    readonly fileRoot: string,
  ) {
    this.outDir = join(work, 'build-out');
    mkdirSync(this.outDir, { recursive: true });
  }

  async build(spec: BuildSpec): Promise<Built> {
    const config = { file: { root: this.fileRoot }, dm: { ...(spec.dm ?? {}), device: spec.device } };
    const key = JSON.stringify(config);
    const hit = this.cache.get(key);
    if (hit) return hit;
    const manifest = { include: [SIM_MANIFEST], config };
    const manifestPath = join(this.work, 'case-manifest', 'manifest.json');
    mkdirSync(dirname(manifestPath), { recursive: true });
    writeFileSync(manifestPath, JSON.stringify(manifest, null, '\t'));
    const t0 = Date.now();
    const r = await new Promise<{ code: number | null; out: string }>((res) => {
      const p = track(
        spawn('mcconfig', ['-d', '-m', '-t', 'build', '-o', this.outDir, manifestPath], {
          cwd: dirname(manifestPath),
          env: { ...process.env, PATH: this.sdk.path },
          stdio: ['ignore', 'pipe', 'pipe'],
        }),
      );
      let out = '';
      p.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
      });
      p.stderr!.on('data', (d: Buffer) => {
        out += d.toString();
      });
      p.once('exit', (code) => res({ code, out }));
    });
    if (r.code !== 0) {
      const errors = r.out
        .split('\n')
        .filter((l) => /error|###/i.test(l))
        .slice(-20)
        .join('\n');
      throw new Error(`mcconfig failed (exit ${r.code}) for ${manifestPath}:\n${errors || r.out.slice(-3000)}`);
    }
    const name = 'xs-dm-agent-sim';
    const built = join(this.outDir, 'bin', 'lin', 'mc', 'debug', name, 'mc.so');
    const mcConfig = join(this.outDir, 'tmp', 'lin', 'mc', 'debug', name, 'mc.config.js');
    const got = readMcConfig(mcConfig);
    const dm = got.dm as Record<string, unknown> | undefined;
    if (!isDeepStrictEqual(dm?.device, spec.device)) {
      throw new Error(
        `the build's config.dm.device is not the case's override (mcconfig merge):\n got ${JSON.stringify(dm?.device)}\nwant ${JSON.stringify(spec.device)}`,
      );
    }
    for (const [k, v] of Object.entries(spec.dm ?? {})) {
      if (!isDeepStrictEqual(dm?.[k], v))
        throw new Error(`the build's config.dm.${k} is ${JSON.stringify(dm?.[k])}, not ${JSON.stringify(v)}`);
    }
    if ((got.file as { root?: string } | undefined)?.root !== this.fileRoot)
      throw new Error(`the build's config.file.root is not ${this.fileRoot}`);
    // mcsim picks the simulator whose applicationName matches the library's path: Moddable Two's is
    // "moddable_two/debug/.*" + "/mc.so". The copy also keeps this build while the next one is made.
    const lib = join(this.work, 'libs', String(this.cache.size), 'moddable_two', 'debug', name, 'mc.so');
    mkdirSync(dirname(lib), { recursive: true });
    copyFileSync(built, lib);
    const b: Built = { lib, key, seconds: (Date.now() - t0) / 1000 };
    this.cache.set(key, b);
    return b;
  }
}

/** The generated mc/config module: `export default Object.freeze({...}, true);` (a JS object literal). */
function readMcConfig(path: string): Record<string, unknown> {
  const text = readFileSync(path, 'utf8');
  const body = text.slice(text.indexOf('Object.freeze(') + 'Object.freeze('.length, text.lastIndexOf(', true)'));
  return new Function(`return (${body});`)() as Record<string, unknown>;
}

// ------------------------------------------------------------------------------------------------ screen

export type ScreenKind = 'idle' | 'text' | 'confirm' | 'choice' | 'input' | 'keyboard' | 'progress' | 'unknown';

const COLOR = {
  // What the simulator shows of shared colours: RGB565, so the low bits are cut (screen-layout.ts COLORS).
  primary: q565('#1F4E79'),
  background: q565('#FFFFFF'),
  button: q565('#D9D9D9'),
  field: q565('#EEEEEE'),
  cursor: q565('#CCE0F5'),
  barBack: q565('#D9D9D9'),
  barFill: q565('#2E8B57'),
  error: q565('#B00020'),
};

function q565(hex: string): [number, number, number] {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 0xf8, (n >> 8) & 0xfc, n & 0xf8];
}

export class Shot {
  constructor(
    readonly rgb: Buffer,
    readonly w = 240,
    readonly h = 320,
  ) {}
  px(x: number, y: number): [number, number, number] {
    const i = (y * this.w + x) * 3;
    return [this.rgb[i]!, this.rgb[i + 1]!, this.rgb[i + 2]!];
  }
  is(x: number, y: number, c: [number, number, number], tol = 6): boolean {
    const p = this.px(x, y);
    return Math.abs(p[0] - c[0]) <= tol && Math.abs(p[1] - c[1]) <= tol && Math.abs(p[2] - c[2]) <= tol;
  }
  /** Dark (text) pixels in a band of rows, right of x0. */
  inkRight(y0: number, y1: number, x0: number): number {
    let n = 0;
    for (let y = y0; y < y1; y++)
      for (let x = x0; x < this.w; x++) {
        const p = this.px(x, y);
        if (p[0] + p[1] + p[2] < 200) n++;
      }
    return n;
  }
  bandEquals(other: Shot, y0: number, y1: number): boolean {
    return this.rgb.subarray(y0 * this.w * 3, y1 * this.w * 3).equals(other.rgb.subarray(y0 * this.w * 3, y1 * this.w * 3));
  }
  equals(other: Shot): boolean {
    return this.rgb.equals(other.rgb);
  }
  /** Writes the screen as a PNG (ImageMagick's convert). */
  async save(file: string): Promise<void> {
    mkdirSync(dirname(file), { recursive: true });
    await run('convert', ['-size', `${this.w}x${this.h}`, '-depth', '8', 'rgb:-', file], process.env, this.rgb);
  }

  /** Which screen of screen-layout.ts this is, from a few pixels of its footer and body. */
  kind(): ScreenKind {
    if (!this.is(4, 4, COLOR.primary) || !this.is(235, 28, COLOR.primary)) return 'unknown';
    // Footer probes away from the 2 px gaps between buttons and from their labels (drawn at the top).
    const f = (x: number) =>
      this.is(x, 316, COLOR.primary) ? 'P' : this.is(x, 316, COLOR.button) ? 'B' : this.is(x, 316, COLOR.background) ? 'W' : '?';
    const foot = [10, 40, 60, 100, 140, 180, 230].map(f).join('');
    // The keyboard view: the value box (x 8..176, y 60..94) beside the Done key (180..240).
    if (this.is(170, 90, COLOR.field) && this.is(230, 90, COLOR.button)) return 'keyboard';
    if (foot === 'PPPPPPP') return 'idle';
    if (foot === 'BBBBPPP') return 'confirm';
    if (foot === 'BBBBBPP') {
      for (let y = 36; y < 270; y++) if (this.is(200, y, COLOR.field)) return 'input';
      return 'choice';
    }
    if (foot === 'WWWWWWW') {
      // The progress bar: x 16..224, 24 px high, its back or its fill all along (text is never that wide).
      const bar = (x: number, y: number) => this.is(x, y, COLOR.barBack) || this.is(x, y, COLOR.barFill);
      for (let y = 36; y < 250; y++) if ([20, 60, 120, 180, 220].every((x) => bar(x, y) && bar(x, y + 20))) return 'progress';
      return 'text';
    }
    return 'unknown';
  }
}

/** The simulator window on the virtual display, and the 240x320 screen in it. */
export class ScreenDriver {
  origin?: { x: number; y: number };
  constructor(private readonly display: string) {}

  private env(): NodeJS.ProcessEnv {
    return { ...process.env, DISPLAY: this.display };
  }

  private grab(args: string[]): Promise<Buffer> {
    return run('import', ['-window', 'root', ...args, '-depth', '8', 'rgb:-'], this.env());
  }

  /**
   * Finds the screen: the top-left corner of the idle screen's 240x32 title bar (screen-layout.ts), with the
   * white body under it. Called on the idle screen after boot.
   */
  async locate(): Promise<{ x: number; y: number } | undefined> {
    const W = 1024,
      H = 768;
    const raw = await this.grab([]);
    if (raw.length < W * H * 3) return undefined;
    const shot = new Shot(raw, W, H);
    for (let y = 1; y < H - 320; y++) {
      for (let x = 1; x < W - 240; x++) {
        if (!shot.is(x, y, COLOR.primary, 2)) continue;
        if (shot.is(x - 1, y, COLOR.primary, 2) || shot.is(x, y - 1, COLOR.primary, 2)) continue;
        if (
          shot.is(x + 239, y, COLOR.primary, 2) &&
          shot.is(x, y + 31, COLOR.primary, 2) &&
          shot.is(x + 239, y + 31, COLOR.primary, 2) &&
          shot.is(x + 4, y + 33, COLOR.background, 2) &&
          shot.is(x + 120, y + 300, COLOR.primary, 2)
        ) {
          this.origin = { x, y };
          return this.origin;
        }
      }
    }
    return undefined;
  }

  async shot(): Promise<Shot> {
    const o = this.origin!;
    return new Shot(await this.grab(['-crop', `240x320+${o.x}+${o.y}`, '+repage']));
  }

  /** Saves the whole virtual display (for a failure report). */
  saveAll(file: string): void {
    mkdirSync(dirname(file), { recursive: true });
    spawnSync('import', ['-window', 'root', file], { env: this.env() });
  }

  private xdo(args: string[]): void {
    const r = spawnSync('xdotool', args, { env: this.env(), encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`xdotool ${args.join(' ')} failed: ${r.stderr}`);
  }

  /** A touch at screen coordinates (x, y): down, `holdMs`, up (the button debounces 30 ms; long press is 2 s). */
  async touch(x: number, y: number, holdMs = 150): Promise<void> {
    const o = this.origin!;
    this.xdo(['mousemove', String(o.x + Math.round(x)), String(o.y + Math.round(y)), 'mousedown', '1']);
    await sleep(holdMs);
    this.xdo(['mouseup', '1']);
    // The next touch must not look like a drag of this one.
    await sleep(120);
  }

  async touchZone(z: Zone, holdMs = 150): Promise<void> {
    await this.touch(z.x + z.w / 2, z.y + z.h / 2, holdMs);
  }
}

/** The zone of `layout` whose action matches. */
export function zoneOf(layout: Layout, match: (z: Zone) => boolean, what: string): Zone {
  const z = layout.zones.find(match);
  if (!z) throw new Error(`no zone for ${what} in the layout`);
  return z;
}

export function layout(screen: Screen, view: View = { keyboard: false, mode: 'lower' }): Layout {
  return layoutScreen(screen, view);
}

// ------------------------------------------------------------------------------------------------ mcsim

export interface RunningSim {
  proc: ChildProcess;
  output: () => string;
  /** How mcsim ended, when it did ("exit code 1", "signal SIGPIPE"), else undefined. */
  ended: () => string | undefined;
  /** After a crash: gdb's backtrace of its core file, when gdb and a core are there. */
  backtrace: () => string | undefined;
}

function backtrace(exe: string, coreDir: string): string | undefined {
  const core = existsSync(coreDir) ? readdirSync(coreDir).find((f) => f.startsWith('core')) : undefined;
  if (!core) return undefined;
  const r = spawnSync('gdb', ['-batch', '-nx', '-ex', 'bt 25', '-ex', 'frame 0', '-ex', 'info locals', exe, join(coreDir, core)], {
    encoding: 'utf8',
    timeout: 60000,
  });
  if (r.status === null && !r.stdout) return undefined;
  return (r.stdout ?? '')
    .split('\n')
    .filter((l) => /^#|^\S+ = /.test(l))
    .join('\n');
}

/**
 * Starts mcsim with the app as make.lin.mk's START_SIMULATOR does (mcsim <mc.so>, XSBUG_HOST/PORT to the
 * debugger), on the virtual display, with its own config folder (XDG_CONFIG_HOME: mcsim copies the app
 * there and keeps its preferences there). Returns once the app has logged in to the listener.
 */
export async function startMcsim(sdk: Sdk, display: XDisplay, built: Built, xsbug: XsbugListener, xdg: string): Promise<RunningSim> {
  mkdirSync(xdg, { recursive: true });
  const logins = xsbug.logins;
  // Through sh only to allow a core dump (`exec` keeps the PID: mcsim itself is the child that is stopped).
  const coreDir = join(xdg, 'cores');
  cleanDir(coreDir);
  const proc = track(
    spawn('sh', ['-c', 'ulimit -c unlimited 2>/dev/null; exec "$0" "$@"', sdk.mcsim, built.lib], {
      cwd: coreDir,
      env: {
        ...process.env,
        DISPLAY: display.name,
        XDG_CONFIG_HOME: xdg,
        XSBUG_HOST: '127.0.0.1',
        XSBUG_PORT: String(xsbug.port),
        NO_AT_BRIDGE: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  let out = '';
  let ended: string | undefined;
  proc.once('exit', (code, signal) => {
    ended = signal ? `signal ${signal}` : `exit code ${code}`;
  });
  const keep = (d: Buffer) => {
    out = (out + d.toString()).slice(-8000);
  };
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  await waitFor(
    () => `mcsim's app to connect to the xsbug listener (mcsim output: ${out.slice(-500)})`,
    60000,
    () =>
      proc.exitCode !== null
        ? (() => {
            throw new Error(`mcsim exited (${proc.exitCode}): ${out.slice(-1500)}`);
          })()
        : xsbug.logins > logins
          ? true
          : undefined,
  );
  return { proc, output: () => out, ended: () => ended, backtrace: () => backtrace(sdk.mcsim, coreDir) };
}

// ------------------------------------------------------------------------------------------------ lab

export interface LabRun {
  lab: RunningLab;
  logs: string[];
}

export async function startLabServer(o: {
  port: number;
  brokerPort?: number;
  auth: AuthType;
  catalog?: string;
  scenario?: unknown;
  mqtt?: boolean;
}): Promise<LabRun> {
  const logs: string[] = [];
  const log: Log = {
    log(level: LogLevel, message: string, fields?: Record<string, unknown>) {
      logs.push(`${level} ${message}${fields ? ` ${JSON.stringify(fields)}` : ''}`);
    },
  };
  const lab = await startLab(
    withDefined(
      {
        catalog: loadCatalog(o.catalog ?? join(FIXTURES, 'catalog.json')),
        devices: [{ username: 'dmuser', password: 'dmpass', auth: o.auth }],
        port: o.port,
        host: '127.0.0.1',
        log,
      },
      {
        scenario: o.scenario ? parseScenario(o.scenario) : undefined,
        mqtt: o.mqtt ? 'embedded' : undefined,
        brokerPort: o.mqtt ? o.brokerPort : undefined,
      },
    ),
  );
  return { lab, logs };
}

// ------------------------------------------------------------------------------------------------ work folder

export function workFolder(): string {
  return mkdtempSync(join(tmpdir(), 'xs-dm-sim-'));
}

export function cleanDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
}
