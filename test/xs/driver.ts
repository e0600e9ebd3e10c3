// The XS side of the engine harness: the agent with in-memory ports, driven by scenarios. It is bundled with
// the whole of agent/ into one script (test/xs/harness.ts) and run unchanged on the XS engine (xsnap) and
// on Node. Everything outside the agent is asked of the host through one synchronous call, `host(op, arg)`:
// on XS that is xsnap's issueCommand; on Node a plain function. Time is virtual: the host advances it
// (`tick`) when the agent waits on a timer, so both engines see the same clock.
import { DmAgent } from '../../agent/agent.js';
import { parseDeviceDescription } from '../../agent/description/parse.js';
import { listDeployed } from '../../agent/scomo/subtree.js';
import type {
  Clock,
  ComponentInfo,
  Crypto,
  Display,
  DisplayCapabilities,
  Downloader,
  DownloadRequest,
  FirmwareBoot,
  FirmwareSlots,
  InputEvent,
  Installer,
  Screen,
  Storage,
} from '../../agent/ports.js';
import { base64Decode, base64Encode, utf8Decode, utf8Encode, concatBytes } from '../../agent/util/bytes.js';

export type HostCall = (op: string, arg: string) => Uint8Array | Promise<Uint8Array>;

export interface Scenario {
  device: unknown;
  trigger: 'user' | 'device';
  component?: string;
  /** Answers for interactive screens, in order ('yes', 'no', 'pick:N'). */
  answers: string[];
  /** A/B firmware slots, slot a holding this version at the first start (FUMO); the restart is simulated. */
  firmware?: string;
  /** The agent's sizes, as a device sets them (platform/moddable/lib/config.ts). */
  agentOptions?: {
    maxMsgSize?: number;
    maxListNodes?: number;
    treeLimits?: { maxNodes?: number; maxValueBytes?: number; maxTreeValueBytes?: number };
  };
}

/** Storage as the device's (platform/moddable/storage.ts) takes it: the tree in pieces, so the agent keeps no copy of its text. */
class MapStorage implements Storage {
  private readonly m = new Map<string, string>();
  read(k: string) {
    return this.m.get(k);
  }
  write(k: string, v: string) {
    this.m.set(k, v);
  }
  writeParts(k: string, next: () => string | undefined) {
    const parts: string[] = [];
    for (let p = next(); p !== undefined; p = next()) parts.push(p);
    this.m.set(k, parts.join(''));
  }
  remove(k: string) {
    this.m.delete(k);
  }
  keys() {
    return [...this.m.keys()];
  }
}

class VirtualClock implements Clock {
  private t = 1_764_000_000_000;
  private mono = 0;
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private nextId = 1;
  now() {
    return this.t + this.mono;
  }
  monotonic() {
    return this.mono;
  }
  setTimeout(fn: () => void, ms: number) {
    const id = this.nextId++;
    this.timers.push({ at: this.mono + Math.max(0, ms), fn, id });
    return id;
  }
  clearTimeout(h: unknown) {
    this.timers = this.timers.filter((x) => x.id !== h);
  }
  /** Moves time to the next timer and fires it; false when none is set. */
  tick(): boolean {
    if (this.timers.length === 0) return false;
    this.timers.sort((a, b) => a.at - b.at || a.id - b.id);
    const next = this.timers.shift()!;
    this.mono = Math.max(this.mono, next.at);
    next.fn();
    return true;
  }
}

class ScriptedDisplay implements Display {
  readonly capabilities: DisplayCapabilities = {
    width: 240,
    height: 320,
    columns: 26,
    rows: 14,
    keys: 3,
    touch: false,
    maxTextLength: 2048,
  };
  private listener?: (e: InputEvent) => void;
  readonly screens: string[] = [];
  constructor(private readonly answers: string[]) {}
  onInput(l: (e: InputEvent) => void) {
    this.listener = l;
  }
  render(s: Screen) {
    this.screens.push(`${s.kind}:${s.title}`);
    if ((s.kind === 'confirm' || s.kind === 'choice' || s.kind === 'input') && this.answers.length) {
      const a = this.answers.shift()!;
      const events: InputEvent[] = a.startsWith('pick:') ? [{ kind: 'pick', index: Number(a.slice(5)) - 1 }] : [{ kind: a as 'yes' }];
      void Promise.resolve().then(() => {
        for (const e of events) this.listener?.(e);
      });
    }
  }
}

function hostCrypto(host: HostCall): Crypto {
  const sync = (op: string, arg: string) => {
    const r = host(op, arg);
    if (r instanceof Uint8Array) return r;
    throw new Error(`host op ${op} must answer synchronously`);
  };
  return {
    md5: (d) => sync('md5', base64Encode(d)),
    createSha256: () => {
      const parts: Uint8Array[] = [];
      return {
        update: (d) => {
          parts.push(d.slice());
        },
        digest: () => sync('sha256', base64Encode(concatBytes(parts))),
      };
    },
    randomBytes: (n) => sync('random', String(n)),
  };
}

class HostDownloader implements Downloader {
  private readonly store = new Map<string, Uint8Array>();
  constructor(private readonly host: HostCall) {}
  async fetch(req: DownloadRequest) {
    const body = await this.host('fetch', req.url);
    this.store.set(req.id, body);
    req.onProgress?.(body.length, body.length);
    return { size: body.length, total: body.length };
  }
  storedSize(id: string) {
    return this.store.get(id)?.length ?? 0;
  }
  read(id: string, offset: number, length: number) {
    return (this.store.get(id) ?? new Uint8Array(0)).slice(offset, offset + length);
  }
  discard(id: string) {
    this.store.delete(id);
  }
}

class MemoryInstaller implements Installer {
  constructor(
    private readonly downloader: HostDownloader,
    private list: ComponentInfo[],
  ) {}
  async install(pkgId: string): Promise<ComponentInfo[]> {
    const size = this.downloader.storedSize(pkgId);
    const c = JSON.parse(utf8Decode(this.downloader.read(pkgId, 0, size))) as ComponentInfo;
    const info = { id: c.id, name: c.name, version: c.version };
    this.list = [...this.list.filter((x) => x.id !== c.id), info];
    return [info];
  }
  async activate() {}
  async deactivate() {}
  async remove(id: string) {
    this.list = this.list.filter((c) => c.id !== id);
  }
  installed() {
    return this.list.map((c) => ({ ...c }));
  }
}

/**
 * Two firmware slots in memory, with the boot record in the device's Storage: constructing it is a power-on
 * that plays the rollback bootloader, as platform/node/firmware-slot.ts does on files.
 */
class MemorySlots implements FirmwareSlots {
  private rec: { running: 'a' | 'b'; next?: 'a' | 'b'; previous?: 'a' | 'b'; trial?: boolean; completed?: boolean };
  constructor(
    private readonly images: Map<string, Uint8Array>,
    private readonly storage: Storage,
    private readonly host: HostCall,
  ) {
    const raw = storage.read('firmware');
    const r = raw ? (JSON.parse(raw) as MemorySlots['rec']) : { running: 'a' as const };
    this.rec = r.trial && r.previous ? { running: r.previous } : r.next ? { running: r.next, previous: r.running, trial: true } : r;
    storage.write('firmware', JSON.stringify(this.rec));
  }
  private get inactive(): 'a' | 'b' {
    return this.rec.running === 'a' ? 'b' : 'a';
  }
  private save() {
    this.storage.write('firmware', JSON.stringify(this.rec));
  }
  boot(): FirmwareBoot {
    const img = this.images.get(this.rec.running);
    const version = img ? (JSON.parse(utf8Decode(img)) as { version: string }).version : '';
    return { slot: this.rec.running, version, trial: this.rec.trial === true };
  }
  async download(req: DownloadRequest) {
    const body = await this.host('fetch', req.url);
    this.images.set(this.inactive, body);
    req.onProgress?.(body.length, body.length);
    return { size: body.length, total: body.length };
  }
  written() {
    return this.images.get(this.inactive)?.length ?? 0;
  }
  read(offset: number, length: number) {
    return (this.images.get(this.inactive) ?? new Uint8Array(0)).slice(offset, offset + length);
  }
  discard() {
    if (!this.rec.trial) this.images.delete(this.inactive);
  }
  complete() {
    this.rec.completed = true;
    this.save();
  }
  switch() {
    this.rec = { running: this.rec.running, next: this.inactive };
    this.save();
  }
  restart() {}
  confirm() {
    if (this.rec.trial) this.rec = { running: this.rec.running };
    this.save();
  }
  revert() {}
}

export interface ScenarioResult {
  ok: boolean;
  error?: string;
  sessions: number;
  roundTrips: number;
  bytesSent: number;
  bytesReceived: number;
  deployed: string[];
  queued: number;
  screens: string[];
  /** With firmware: the version running at the end, and whether it is confirmed. */
  firmware?: string;
}

/** Starts a scenario; `poll()` says whether it finished, `tick()` moves virtual time when it waits. */
export function startScenario(host: HostCall, s: Scenario) {
  const clock = new VirtualClock();
  const display = new ScriptedDisplay([...s.answers]);
  let result: ScenarioResult | undefined;
  let failure: string | undefined;
  // Kept after the session, as the device keeps its agent: the heap measured afterwards includes its state.
  let resident: DmAgent | undefined;
  const run = async () => {
    const desc = parseDeviceDescription(s.device);
    const downloader = new HostDownloader(host);
    const installer = new MemoryInstaller(
      downloader,
      desc.components.map((c) => ({ id: c.id, name: c.name, version: c.version })),
    );
    const storage = new MapStorage();
    const images = new Map<string, Uint8Array>();
    if (s.firmware) images.set('a', utf8Encode(JSON.stringify({ firmware: desc.devInfo.mod, version: s.firmware })));
    const boot = () =>
      DmAgent.boot(
        desc,
        {
          storage,
          ...(s.firmware ? { firmware: new MemorySlots(images, storage, host) } : {}),
          clock,
          crypto: hostCrypto(host),
          display,
          downloader,
          installer,
          transport: {
            exchange: async (out) => {
              const reply = await host(
                'exchange',
                JSON.stringify({
                  uri: out.uri,
                  contentType: out.contentType,
                  body: base64Encode(out.body),
                  ...(out.hmac ? { hmac: out.hmac } : {}),
                }),
              );
              return { body: reply };
            },
          },
        },
        s.agentOptions ?? {},
      );
    let agent = await boot();
    resident = agent;
    agent.requestUpdate(s.trigger, s.component);
    const r = await agent.runSession();
    if (agent.fumo?.restarted) {
      // The restart into the new firmware: a power-on on the same flash; its first sessions confirm and report.
      agent = await boot();
      resident = agent;
      const t = await agent.runSession();
      r.ok = t.ok;
      r.sessions += t.sessions;
      r.roundTrips += t.roundTrips;
      r.bytesSent += t.bytesSent;
      r.bytesReceived += t.bytesReceived;
      if (t.error) r.error = t.error;
    }
    result = {
      ok: r.ok,
      sessions: r.sessions,
      roundTrips: r.roundTrips,
      bytesSent: r.bytesSent,
      bytesReceived: r.bytesReceived,
      deployed: listDeployed(agent.tree).map((c) => `${c.id} ${c.version}`),
      queued: agent.queue.pending().length,
      screens: display.screens,
      ...(agent.fumo ? { firmware: `${agent.fumo.started.version}${agent.fumo.inTrial ? ' trial' : ''}` } : {}),
      ...(r.error ? { error: `${r.error.code}: ${r.error.message}` } : {}),
    };
  };
  run().catch((e: unknown) => {
    failure = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  });
  return {
    poll: (): string | undefined => (failure !== undefined ? JSON.stringify({ failure }) : result ? JSON.stringify(result) : undefined),
    tick: () => clock.tick(),
    resident: () => resident,
  };
}

export const codec = { utf8Encode, utf8Decode, base64Decode };
