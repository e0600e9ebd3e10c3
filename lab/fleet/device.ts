// One simulated device of the fleet: its ports (memory storage, the in-process or HTTP downloader, an
// installer, and with firmware A/B slots), its agent, its sessions one at a time, and the simulated restart
// after a firmware switch.
//
// Firmware: the slots are the Node device's FileFirmwareSlots in a folder of the fleet's temporary folder
// (the images are files, as on the Node device; the boot record is kept in the device's memory storage with
// the rest of its state). When a session ends with agent.fumo.restarted, the device restarts as
// platform/node/node-device.ts's restartNodeDevice does: the slots are powered on again over the same folder
// (the bootloader's decision: trial, or the way back), the agent boots again on the same storage, and a
// trial firmware runs its first session at once: the one that confirms it and reports the result.
//
// A device's life, as a state machine:
//   idle ──run()──► in session ──ends──► idle
//                       │ fumo.restarted
//                       ▼
//                   restarting ──boot (slots decide)──► trial session (confirms, reports) ──► idle
import { DmAgent, type SessionReport } from '../../agent/agent.js';
import type { DeviceDescription } from '../../agent/description/description.js';
import type { Downloader, DownloadRequest, Transport } from '../../agent/ports.js';
import type { UiResponder } from '../../agent/session/types.js';
import type { UpdateTrigger } from '../../agent/scomo/update-request.js';
import { systemClock } from '../../platform/node/clock.js';
import { nodeCrypto } from '../../platform/node/crypto.js';
import { nodeUtf8 } from '../../platform/node/utf8.js';
import { MemoryStorage } from '../../platform/node/memory-storage.js';
import { MemoryDownloader } from '../../platform/node/memory-downloader.js';
import { FileInstaller } from '../../platform/node/file-installer.js';
import { FileFirmwareSlots } from '../../platform/node/firmware-slot.js';
import type { PackageSink } from '../../platform/node/package-get.js';
import { InprocDownloader, type InprocPackages } from './inproc-packages.js';
import type { LabDmServer } from '../server/dm-server.js';
import { withDefined } from '../../agent/util/options.js';

export interface FleetDeviceOptions {
  desc: DeviceDescription;
  transport: Transport;
  encoding: 'xml' | 'wbxml';
  /** With the in-process lab: packages and firmware images from its catalog, without HTTP. */
  packages?: InprocPackages;
  /** Gives the device A/B firmware slots in this folder (its own). */
  firmwareDir?: string;
  ui: UiResponder;
  afterSession: () => Promise<void>;
}

/** Firmware images from the in-process lab into the slot, as FileFirmwareSlots' `fetch` takes them. */
function inprocImage(packages: InprocPackages) {
  return async (req: DownloadRequest, stored: number, sink: PackageSink): Promise<{ size: number; total: number }> => {
    await new Promise<void>((r) => setImmediate(r));
    const bytes = packages.bytes(req.url);
    const from = Math.min(stored, bytes.length);
    sink.begin(from);
    try {
      sink.write(Buffer.from(bytes.buffer, bytes.byteOffset + from, bytes.length - from), from);
    } finally {
      sink.end();
    }
    req.onProgress?.(bytes.length, bytes.length);
    return { size: bytes.length, total: bytes.length };
  };
}

/** The sums of two reports: a session and the new firmware's first session after the restart. */
function merged(a: SessionReport, b: SessionReport): SessionReport {
  return {
    ...b,
    sessions: a.sessions + b.sessions,
    roundTrips: a.roundTrips + b.roundTrips,
    bytesSent: a.bytesSent + b.bytesSent,
    bytesReceived: a.bytesReceived + b.bytesReceived,
    acknowledged: [...a.acknowledged, ...b.acknowledged],
  };
}

export class FleetDevice {
  readonly storage = new MemoryStorage();
  readonly downloader: Downloader;
  readonly installer: FileInstaller;
  declare agent: DmAgent;
  declare slots?: FileFirmwareSlots;
  /** Simulated restarts (a firmware switch, or a health check that failed at boot). */
  restarts = 0;
  /** Starts whose bootloader returned to the previous slot (a trial never confirmed). */
  returns = 0;
  private turn: Promise<unknown> = Promise.resolve();
  /** Told when any session of the device ends (its agent's onSessionEnd, kept across restarts). */
  onSessionEnd?: (report: SessionReport) => void;

  private constructor(private readonly o: FleetDeviceOptions) {
    this.downloader = o.packages ? new InprocDownloader(o.packages) : new MemoryDownloader();
    this.installer = new FileInstaller(
      new MemoryStorage(),
      this.downloader,
      o.desc.components.map((c) => ({ id: c.id, name: c.name, version: c.version })),
    );
  }

  static async start(o: FleetDeviceOptions): Promise<FleetDevice> {
    const d = new FleetDevice(o);
    await d.boot();
    return d;
  }

  /** The power-on: the slots decide what runs, the agent opens its state and finishes interrupted work. */
  private async boot(): Promise<void> {
    const { desc, firmwareDir, packages } = this.o;
    if (firmwareDir !== undefined) {
      this.slots = new FileFirmwareSlots(
        firmwareDir,
        withDefined(
          { factory: { firmware: desc.devInfo.mod, version: desc.devDetail?.fwV || '1.0' }, state: this.storage },
          { fetch: packages ? inprocImage(packages) : undefined },
        ),
      );
      if (this.slots.returned) this.returns++;
    }
    const firmwareHealthCheck = this.slots?.image()?.healthy === false ? () => false : undefined;
    this.agent = await DmAgent.boot(
      desc,
      withDefined(
        {
          storage: this.storage,
          clock: systemClock,
          crypto: nodeCrypto,
          utf8: nodeUtf8,
          transport: this.o.transport,
          downloader: this.downloader,
          installer: this.installer,
        },
        { firmware: this.slots },
      ),
      withDefined({ encoding: this.o.encoding, afterSession: this.o.afterSession, ui: this.o.ui }, { firmwareHealthCheck }),
    );
    this.agent.onSessionEnd = (r) => this.onSessionEnd?.(r);
  }

  /** Runs a session with `trigger` (after any session of this device in flight), with the restart it may end in. */
  run(trigger: UpdateTrigger, component?: string): Promise<SessionReport> {
    const next = this.turn.then(() => this.session(trigger, component));
    this.turn = next.catch(() => undefined);
    return next;
  }

  private session(trigger: UpdateTrigger, component?: string): Promise<SessionReport> {
    this.agent.requestUpdate(trigger, component);
    return this.afterRestart(this.agent.runSession());
  }

  private async afterRestart(first: Promise<SessionReport>): Promise<SessionReport> {
    let report = await first;
    if (!this.agent.fumo?.restarted) return report;
    await this.restart();
    // As restartNodeDevice: a firmware that fails its own health check at boot restarts again at once.
    for (let n = 0; n < 3 && this.agent.fumo?.restarted; n++) await this.restart();
    if (this.agent.fumo?.inTrial || this.agent.queue.pending().length > 0) report = merged(report, await this.agent.runSession());
    return report;
  }

  private async restart(): Promise<void> {
    this.agent.disarm();
    this.restarts++;
    await this.boot();
  }

  /** The firmware running now, or undefined without slots. */
  firmware(): { version: string; trial: boolean } | undefined {
    const b = this.slots?.boot();
    return b && { version: b.version, trial: b.trial };
  }
}

export interface FirmwareCounts {
  restarts: number;
  returned: number;
  running: Record<string, number>;
  serverResults?: Record<string, number>;
}

/** The firmware side of the summary: restarts, returns to the previous slot, and what runs now by version. */
export function firmwareCounts(devices: FleetDevice[], inproc: LabDmServer | undefined, before: Set<unknown>): FirmwareCounts {
  const running: Record<string, number> = {};
  let restarts = 0;
  let returned = 0;
  for (const d of devices) {
    restarts += d.restarts;
    returned += d.returns;
    const fw = d.firmware();
    const key = fw ? `${fw.version}${fw.trial ? ' (trial)' : ''}` : '(none)';
    running[key] = (running[key] ?? 0) + 1;
  }
  if (!inproc) return { restarts, returned, running };
  const serverResults: Record<string, number> = {};
  for (const r of inproc.outcomes()) {
    const d = r.deployment;
    if (before.has(r) || !d?.componentId.startsWith('firmware:')) continue;
    const key = `${d.componentId} ${d.version} → ${r.resultCode}`;
    serverResults[key] = (serverResults[key] ?? 0) + 1;
  }
  return { restarts, returned, running, serverResults };
}
