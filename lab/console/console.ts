// The lab console: a browser page and a JSON API on the lab server's own HTTP port. It watches the server
// (SessionLog, the server's observer), queues failure scenarios per device (QueuedFailures), adds uploaded
// packages to the catalog, and shows the simulated devices of this process (SimulatedDevices). startLab takes
// its hooks (hooks()); once the lab runs, attach() gives it the running lab. api.ts answers the routes,
// docs/console.md documents them.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Log } from '../../agent/ports.js';
import type { LabOptions, RunningLab } from '../server/lab.js';
import type { Scenario } from '../server/scenario.js';
import type { Catalog } from '../server/catalog.js';
import { CaptureWriter } from './capture.js';
import { QueuedFailures } from './failures.js';
import { SessionLog } from './session-log.js';
import { SimulatedDevices } from './sim.js';
import { handleConsole } from './api.js';
import { bundleConsole, type ConsoleAssets } from './assets.js';

export interface ConsoleOptions {
  /**
   * Asks every request for this token (Authorization: Bearer, or the cookie the page sets after
   * /?token=…). `serve` makes one when it listens on an address other than loopback.
   */
  token?: string;
  /** Appends every message of every session to this capture file (capture.ts). */
  capture?: string;
  /** Answer the console's routes (default); false: only watch (serve --capture --no-console). */
  serve?: boolean;
  /** Where uploaded packages are written (default: a temporary folder, removed at close). */
  uploadDir?: string;
  log?: Log;
}

/** A token for `serve`: 128 random bits, URL-safe. */
export function newToken(): string {
  return randomBytes(16).toString('base64url');
}

export function isLoopback(host: string): boolean {
  return host === '127.0.0.1' || host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export class LabConsole {
  readonly log: SessionLog;
  readonly sims: SimulatedDevices;
  readonly token: string | undefined;
  readonly uploadDir: string;
  failures?: QueuedFailures;
  lab?: RunningLab;
  /** The catalog the server offers (the one given to startLab): uploads and retirements change it. */
  catalog?: Catalog;
  assets?: ConsoleAssets;
  /** Uploaded package files by name: they stay served once retired, for a device downloading one now. */
  readonly uploads = new Map<string, string>();
  private readonly capture?: CaptureWriter;
  private readonly ownUploadDir: boolean;
  private readonly closers = new Set<() => void>();

  /** The console answers its routes (not only watching for a capture). */
  get serving(): boolean {
    return this.options.serve !== false;
  }

  constructor(readonly options: ConsoleOptions = {}) {
    // Opened before anything listens: a capture file that cannot be written fails the start.
    if (options.capture) this.capture = new CaptureWriter(options.capture);
    this.log = new SessionLog(this.capture);
    this.sims = new SimulatedDevices((devId) => this.log.emit({ type: 'screen', devId }));
    this.token = options.token;
    this.ownUploadDir = options.uploadDir === undefined;
    this.uploadDir = options.uploadDir ?? mkdtempSync(join(tmpdir(), 'dm-console-'));
    this.log.onProcessing = (devId, session) => this.failures?.focus(devId, session);
  }

  /** Bundles the page's module (assets.ts says why at start): call before the lab listens. */
  async prepare(): Promise<void> {
    this.assets = await bundleConsole();
  }

  /** What startLab takes to watch the server and serve the console on its port. */
  hooks(): NonNullable<LabOptions['console']> {
    return {
      observer: this.log,
      failures: (scenario: Scenario | undefined) => {
        this.failures = new QueuedFailures(scenario?.failures ?? []);
        return this.failures;
      },
      routes: (req: IncomingMessage, res: ServerResponse) => this.serving && handleConsole(this, req, res),
      packageFile: (name: string) => this.uploads.get(name),
    };
  }

  attach(lab: RunningLab, catalog: Catalog): void {
    this.lab = lab;
    this.catalog = catalog;
    this.log.attach(lab.server);
  }

  /** The console's address, with the token to open it when one is asked. */
  url(): string {
    const base = (this.lab?.dmUrl ?? '').replace(/\/dm$/, '/');
    return this.token ? `${base}?token=${this.token}` : base;
  }

  /** Something to end when the console closes (an event stream). */
  onClose(fn: () => void): () => void {
    this.closers.add(fn);
    return () => this.closers.delete(fn);
  }

  close(): void {
    for (const fn of this.closers) fn();
    this.closers.clear();
    this.capture?.close();
    if (this.ownUploadDir) rmSync(this.uploadDir, { recursive: true, force: true });
  }
}
