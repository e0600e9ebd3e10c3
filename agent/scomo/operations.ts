// SCOMO 1.1 operations: Exec handlers that validate and journal (202), and the work that runs after the
// session: resumable download, size and SHA-256 check, install, activate/deactivate/remove, each result
// reported in a Generic Alert urn:oma:at:scomo:1.0:OperationComplete carrying the server's Correlator.
// Over 400 lines: the Exec handlers and the after-session work share the journal's steps one to one; split,
// each step's rule (what is retried, what a power cut leaves) would live in two files.
import type { Clock, Crypto, Downloader, Installer, Log, Storage, ComponentInfo } from '../ports.js';
import type { DmTree } from '../tree/types.js';
import { DEVICE } from '../tree/types.js';
import type { ExecContext, ExecRegistry } from '../session/types.js';
import type { AlertQueue } from '../alerts/queue.js';
import { ALERT_TYPE_OPERATION_COMPLETE } from '../alerts/types.js';
import {
  DELIVERED,
  DEPLOYED,
  DEPLOYED_OPERATIONS,
  DOWNLOAD,
  DOWNLOAD_OPERATIONS,
  STATE_ACTIVE,
  STATE_INACTIVE,
  type ScomoOp,
} from './paths.js';
import { addDeployed, leafText } from './subtree.js';
import { DmError, asDmError, errorMessage } from '../errors.js';
import { JobJournal, MAX_STEP_TRIES, type ScomoJob } from './jobs.js';
import { DeployedStatus, DownloadStatus, ScomoResult } from './result-codes.js';
import { isUrlOf } from '../util/scan.js';
import { fetchResuming, imageProblem, serverFailed } from '../util/download.js';

export interface ScomoManagerOptions {
  tree: DmTree;
  storage: Storage;
  downloader: Downloader;
  installer: Installer;
  crypto: Crypto;
  queue: AlertQueue;
  /** Times the pauses between download attempts. */
  clock: Clock;
  /** The first pause after a failed download attempt, doubled after each (default 2000 ms; must be > 0). */
  retryDelayMs?: number;
  /**
   * Largest package the device can store and install, in bytes (absent = no limit here). A package whose
   * Ext/Size is larger is refused before any byte is fetched, and one that turns out larger after the
   * download is discarded: both 1404 (download failed, out of memory).
   */
  maxPackageBytes?: number;
  log?: Log;
  onProgress?: (node: string, done: number, total: number) => void;
}

const DEFAULT_RETRY_DELAY_MS = 2000;

export class ScomoManager {
  declare readonly journal: JobJournal;

  declare private readonly retryDelayMs: number;

  declare private readonly o: ScomoManagerOptions;

  constructor(o: ScomoManagerOptions) {
    this.o = o;
    this.journal = new JobJournal(o.storage);
    const delay = o.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS;
    if (!(delay > 0)) throw new DmError('DM_ERR_CONFIG', 400, `retryDelayMs must be > 0, not ${delay}`);
    this.retryDelayMs = delay;
    const max = o.maxPackageBytes;
    if (max !== undefined && !(Number.isInteger(max) && max > 0))
      throw new DmError('DM_ERR_CONFIG', 400, `maxPackageBytes must be an integer > 0, not ${max}`);
  }

  /** Why the package is too large for this device (Ext/Size, or the bytes stored), or undefined. */
  private tooLarge(node: string, stored?: number): string | undefined {
    const max = this.o.maxPackageBytes;
    if (max === undefined) return undefined;
    if (stored !== undefined) return stored > max ? `${stored} bytes stored, more than the ${max} bytes this device takes` : undefined;
    const announced = leafText(this.o.tree, `${node}/Ext/Size`);
    const n = announced === undefined ? NaN : Number(announced);
    return n > max ? `Ext/Size says ${announced} bytes, more than the ${max} bytes this device takes` : undefined;
  }

  /** Ends a download job whose package cannot fit: nothing kept, Status 20, result 1404. */
  private refuseTooLarge(j: ScomoJob, pkgId: string, why: string): ScomoJob {
    this.o.log?.log('warn', `package ${pkgId} refused: ${why}`);
    this.o.downloader.discard(pkgId);
    this.set(`${j.node}/Status`, DownloadStatus.DownloadFailed);
    return this.finish(j, ScomoResult.DownloadOutOfMemory);
  }

  register(registry: ExecRegistry): void {
    for (const op of DOWNLOAD_OPERATIONS) registry.register(`${DOWNLOAD}/*/Operations/${op}`, (ctx) => this.accept(op, ctx));
    for (const op of DEPLOYED_OPERATIONS) registry.register(`${DEPLOYED}/*/Operations/${op}`, (ctx) => this.accept(op, ctx));
  }

  private set(uri: string, value: string): void {
    if (this.o.tree.exists(uri)) this.o.tree.replace(uri, { data: value }, DEVICE);
  }

  /** Exec: validate now, journal the job, answer 202; the work runs after the session. */
  private accept(op: ScomoOp, ctx: ExecContext): number {
    const node = ctx.uri.slice(0, ctx.uri.lastIndexOf('/Operations/'));
    if (this.journal.busy(node)) throw new DmError('DM_ERR_NOT_ALLOWED', 405, `${node} already has an operation in progress`);
    if (DOWNLOAD_OPERATIONS.includes(op)) {
      const url = leafText(this.o.tree, `${node}/PkgURL`);
      if (!url) throw new DmError('DM_ERR_BAD_REQUEST', 400, `${node}/PkgURL is missing: nothing to download`);
      if (!isUrlOf(url, ['http', 'https'])) throw new DmError('DM_ERR_BAD_REQUEST', 400, `${node}/PkgURL '${url}' is not an http(s) URL`);
    } else {
      const state = leafText(this.o.tree, `${node}/State`);
      if (op === 'Activate' && state === STATE_ACTIVE) return 200; // already active: nothing to do
      if (op === 'Deactivate' && state === STATE_INACTIVE) return 200;
    }
    const job: Omit<ScomoJob, 'id' | 'step'> = { op, opUri: ctx.uri, node, serverId: ctx.principal };
    if (ctx.correlator !== undefined) job.correlator = ctx.correlator;
    if (DEPLOYED_OPERATIONS.includes(op)) {
      job.target = node;
      const id = leafText(this.o.tree, `${node}/ID`);
      if (id !== undefined) job.identifier = id;
    }
    this.journal.add(job);
    return 202;
  }

  /** Runs (or resumes) every journaled job, in order. Safe to call again: finished jobs are gone. */
  async runPending(): Promise<void> {
    for (const job of this.journal.open()) {
      try {
        await this.run(job);
      } catch (e) {
        const err = asDmError(e);
        this.o.log?.log('error', `SCOMO job ${job.id} (${job.op}) stopped: ${err.message}`);
        if (err.code === 'DM_ERR_STORAGE') throw err; // storage gone: stop, the next boot resumes
      }
    }
  }

  /**
   * At boot: finish or fail cleanly whatever a power cut interrupted, then make the inventory agree with what
   * the installer reports (a cut between installing and committing the tree must not leave them apart).
   */
  async recover(): Promise<void> {
    await this.runPending();
    this.reconcile();
  }

  private reconcile(): void {
    const { tree, installer } = this.o;
    const installed = installer.installed();
    let changed = false;
    for (const node of tree.get(DEPLOYED, DEVICE).children ?? []) {
      const uri = `${DEPLOYED}/${node}`;
      const id = leafText(tree, `${uri}/ID`);
      const real = installed.find((c) => c.id === id);
      if (!real) {
        tree.delete(uri, DEVICE);
        changed = true;
        continue;
      }
      if (leafText(tree, `${uri}/Version`) !== real.version) {
        this.set(`${uri}/Version`, real.version);
        changed = true;
      }
      if (leafText(tree, `${uri}/Name`) !== real.name) {
        this.set(`${uri}/Name`, real.name);
        changed = true;
      }
    }
    const known = (tree.get(DEPLOYED, DEVICE).children ?? []).map((n) => leafText(tree, `${DEPLOYED}/${n}/ID`));
    const missing = installed.filter((c) => !known.includes(c.id));
    if (missing.length) {
      this.syncInventory(missing, '', true);
      changed = true;
    }
    if (changed) {
      this.o.log?.log('warn', 'inventory reconciled with the installer after an interrupted operation');
      tree.commit();
    }
  }

  private async run(job: ScomoJob): Promise<void> {
    let j = job;
    if (j.step === 'reported') return;
    if (j.step !== 'done') j = DOWNLOAD_OPERATIONS.includes(j.op) ? await this.runDownload(j) : await this.runDeployed(j);
    this.report(j);
  }

  private pkgId(j: ScomoJob): string {
    return leafText(this.o.tree, `${j.node}/PkgID`) ?? j.node.slice(j.node.lastIndexOf('/') + 1);
  }

  /** True (and logged) when the job has entered its step more often than MAX_STEP_TRIES: it is failed, not run again. */
  private givenUp(j: ScomoJob): boolean {
    if ((j.tries ?? 1) <= MAX_STEP_TRIES) return false;
    this.o.log?.log(
      'error',
      `SCOMO job ${j.id} (${j.op}): the device restarted during '${j.step}' ${MAX_STEP_TRIES} times; failing it instead of running it again`,
    );
    return true;
  }

  private finish(j: ScomoJob, result: number, patch: Partial<ScomoJob> = {}): ScomoJob {
    const done = this.journal.advance(j.id, 'done', { ...patch, result });
    this.o.tree.commit();
    return done;
  }

  private async runDownload(job: ScomoJob): Promise<ScomoJob> {
    let j = job;
    const { tree, downloader } = this.o;
    const pkgId = this.pkgId(j);
    if (j.step === 'accepted' || j.step === 'downloading') {
      if (!tree.exists(j.node)) return this.finish(j, ScomoResult.UndefinedError);
      j = this.journal.advance(j.id, 'downloading');
      if (this.givenUp(j)) {
        downloader.discard(pkgId);
        this.set(`${j.node}/Status`, DownloadStatus.DownloadFailed);
        return this.finish(j, ScomoResult.DownloadFailed);
      }
      // Too large for the device: refused before any byte is fetched.
      const announced = this.tooLarge(j.node);
      if (announced) return this.refuseTooLarge(j, pkgId, announced);
      this.set(`${j.node}/Status`, DownloadStatus.Downloading);
      tree.commit();
      // A cut transfer resumes from the byte where it stopped, a bounded number of times.
      const failure = await fetchResuming(
        () =>
          downloader.fetch({
            url: leafText(this.o.tree, `${j.node}/PkgURL`) ?? '',
            id: pkgId,
            offset: downloader.storedSize(pkgId),
            onProgress: (done, total) => this.o.onProgress?.(j.node, done, total ?? 0),
          }),
        {
          clock: this.o.clock,
          retryDelayMs: this.retryDelayMs,
          failed: (e) =>
            this.o.log?.log('warn', `download of ${pkgId} interrupted at ${downloader.storedSize(pkgId)} bytes: ${errorMessage(e)}`),
        },
      );
      if (failure !== undefined) {
        this.set(`${j.node}/Status`, DownloadStatus.DownloadFailed);
        return this.finish(j, serverFailed(failure) ? ScomoResult.DownloadServerError : ScomoResult.DownloadFailed);
      }
      const stored = this.tooLarge(j.node, downloader.storedSize(pkgId));
      if (stored) return this.refuseTooLarge(j, pkgId, stored);
      const problem = this.verify(j.node, pkgId);
      if (problem) {
        this.o.log?.log('warn', `package ${pkgId} refused: ${problem}`);
        downloader.discard(pkgId);
        this.set(`${j.node}/Status`, DownloadStatus.DownloadFailed);
        return this.finish(j, ScomoResult.PackageValidationFailed);
      }
      j = this.journal.advance(j.id, 'downloaded');
      this.set(`${j.node}/Status`, DownloadStatus.Downloaded);
      tree.commit();
    }
    if (j.op === 'Download') {
      this.deliver(j, pkgId);
      return this.finish(j, ScomoResult.Success);
    }
    j = this.journal.advance(j.id, 'installing');
    if (this.givenUp(j)) {
      downloader.discard(pkgId);
      this.set(`${j.node}/Status`, DownloadStatus.InstallFailed);
      return this.finish(j, ScomoResult.InstallFailed);
    }
    this.set(`${j.node}/Status`, DownloadStatus.Installing);
    tree.commit();
    let components: ComponentInfo[];
    try {
      // Installing again after a power cut is what the Installer port promises to make safe (idempotent).
      components = await this.o.installer.install(pkgId, j.op === 'DownloadInstall');
    } catch (e) {
      this.o.log?.log('warn', `install of ${pkgId} failed: ${errorMessage(e)}`);
      this.set(`${j.node}/Status`, DownloadStatus.InstallFailed);
      downloader.discard(pkgId);
      return this.finish(j, ScomoResult.InstallFailed);
    }
    const first = this.syncInventory(components, pkgId, j.op === 'DownloadInstall');
    // The package is deployed: its Download entry has served its purpose.
    if (tree.exists(j.node)) tree.delete(j.node, DEVICE);
    const done = this.finish(j, ScomoResult.Success, first ? { target: first.uri, identifier: first.id } : {});
    // Only once 'done' is journaled: until then a power cut re-runs the install, which needs the package.
    downloader.discard(pkgId);
    return done;
  }

  /** Checks the package against the vendor extension leaves Ext/Size and Ext/SHA256 the server set. */
  private verify(node: string, pkgId: string): string | undefined {
    const { downloader, crypto, tree } = this.o;
    return imageProblem(downloader.storedSize(pkgId), (off, len) => downloader.read(pkgId, off, len), crypto, {
      size: leafText(tree, `${node}/Ext/Size`),
      sha256: leafText(tree, `${node}/Ext/SHA256`),
    });
  }

  private deliver(j: ScomoJob, pkgId: string): void {
    const { tree } = this.o;
    const name = j.node.slice(j.node.lastIndexOf('/') + 1);
    const base = `${DELIVERED}/${name}`;
    if (!tree.exists(base)) tree.add(base, { format: 'node' }, DEVICE);
    for (const [leafName, v] of [
      ['PkgID', pkgId],
      ['Name', leafText(tree, `${j.node}/Name`) ?? pkgId],
      ['State', '10'],
      ['Status', '10'],
    ] as const) {
      const uri = `${base}/${leafName}`;
      if (tree.exists(uri)) tree.replace(uri, { data: v }, DEVICE);
      else tree.add(uri, { format: leafName === 'State' || leafName === 'Status' ? 'int' : 'chr', data: v }, DEVICE);
    }
    if (tree.exists(j.node)) tree.delete(j.node, DEVICE);
  }

  /** Makes ./SCOMO/Inventory/Deployed agree with what the installer deployed. */
  private syncInventory(components: ComponentInfo[], pkgId: string, active: boolean): { uri: string; id: string } | undefined {
    const { tree } = this.o;
    let first: { uri: string; id: string } | undefined;
    for (const c of components) {
      const existing = (tree.get(DEPLOYED, DEVICE).children ?? []).find((n) => leafText(tree, `${DEPLOYED}/${n}/ID`) === c.id);
      const node = existing ?? c.id.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 32);
      const uri = `${DEPLOYED}/${node}`;
      if (existing) {
        this.set(`${uri}/Version`, c.version);
        this.set(`${uri}/Name`, c.name);
        this.set(`${uri}/PkgIDRef`, pkgId);
        this.set(`${uri}/State`, active ? STATE_ACTIVE : STATE_INACTIVE);
        this.set(`${uri}/Status`, DeployedStatus.Idle);
      } else {
        addDeployed(tree, { node, id: c.id, name: c.name, version: c.version, pkgIdRef: pkgId, state: active ? 'active' : 'inactive' });
      }
      first ??= { uri, id: c.id };
    }
    return first;
  }

  private async runDeployed(job: ScomoJob): Promise<ScomoJob> {
    let j = job;
    const { tree, installer } = this.o;
    const id = j.identifier ?? '';
    if (!tree.exists(j.node)) {
      // Removed before a power cut let us record it: the installer is the truth.
      const gone = !installer.installed().some((c) => c.id === id);
      return this.finish(j, j.op === 'Remove' && gone ? ScomoResult.Success : ScomoResult.UndefinedError);
    }
    j = this.journal.advance(j.id, 'running');
    const code =
      j.op === 'Activate' ? ScomoResult.ActivateFailed : j.op === 'Deactivate' ? ScomoResult.DeactivateFailed : ScomoResult.RemoveFailed;
    const failed =
      j.op === 'Activate'
        ? DeployedStatus.ActivateFailed
        : j.op === 'Deactivate'
          ? DeployedStatus.DeactivateFailed
          : DeployedStatus.RemoveFailed;
    if (this.givenUp(j)) {
      this.set(`${j.node}/Status`, failed);
      return this.finish(j, code);
    }
    const busy =
      j.op === 'Activate' ? DeployedStatus.Activating : j.op === 'Deactivate' ? DeployedStatus.Deactivating : DeployedStatus.Removing;
    this.set(`${j.node}/Status`, busy);
    tree.commit();
    try {
      if (j.op === 'Activate') await installer.activate(id);
      else if (j.op === 'Deactivate') await installer.deactivate(id);
      else await installer.remove(id);
    } catch (e) {
      this.o.log?.log('warn', `${j.op} of ${id} failed: ${errorMessage(e)}`);
      this.set(`${j.node}/Status`, failed);
      return this.finish(j, code);
    }
    if (j.op === 'Remove') tree.delete(j.node, DEVICE);
    else {
      this.set(`${j.node}/State`, j.op === 'Activate' ? STATE_ACTIVE : STATE_INACTIVE);
      this.set(`${j.node}/Status`, DeployedStatus.Idle);
    }
    return this.finish(j, ScomoResult.Success);
  }

  /** Queues the result alert once: a job found 'done' after a power cut may have queued it already. */
  private report(j: ScomoJob): void {
    const data = `<ResultCode>${j.result ?? ScomoResult.UndefinedError}</ResultCode><Identifier>${j.identifier ?? ''}</Identifier>`;
    const already = this.o.queue.has(
      (a) => a.type === ALERT_TYPE_OPERATION_COMPLETE && a.source === j.opUri && a.correlator === j.correlator && a.data === data,
    );
    if (!already) {
      const alert: Parameters<AlertQueue['enqueue']>[0] = { type: ALERT_TYPE_OPERATION_COMPLETE, format: 'xml', source: j.opUri, data };
      if (j.result !== ScomoResult.Success) alert.mark = 'critical';
      if (j.target !== undefined) alert.target = j.target;
      if (j.correlator !== undefined) alert.correlator = j.correlator;
      this.o.queue.enqueue(alert);
    }
    this.journal.advance(j.id, 'reported');
  }
}
