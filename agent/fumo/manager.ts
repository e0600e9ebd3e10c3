// FUMO 1.0 operations: Execs of ./FUMO/fw/{Download, Update, DownloadAndUpdate} checked and journaled (202),
// then the work after the session: the image downloaded (resumably) into the inactive slot, its size and
// SHA-256 checked, the slot completed and switched to, the restart; in the firmware that runs next, the
// trial confirmed after its first good session (or the device maker's health check), or the slot returned to;
// the result, from whichever firmware runs then, in a Generic Alert with the server's Correlator.
import type { Clock, Crypto, FirmwareBoot, FirmwareSlots, Log, Storage } from '../ports.js';
import type { DmTree } from '../tree/types.js';
import { DEVICE } from '../tree/types.js';
import type { ExecContext, ExecRegistry } from '../session/types.js';
import type { AlertQueue } from '../alerts/queue.js';
import { DmError, asDmError, errorMessage } from '../errors.js';
import { isUrlOf } from '../util/scan.js';
import { fetchResuming, imageProblem, serverFailed } from '../util/download.js';
import { leafText } from '../scomo/subtree.js';
import { DEV_DETAIL_FWV, FUMO_NODE, FUMO_OPERATIONS, FUMO_ROOT, FumoResult, FumoState, fumoAlertType, type FumoOp } from './paths.js';
import { FumoJournal, MAX_FUMO_TRIES, type FumoJob } from './journal.js';
import { seedFumo } from './subtree.js';

export interface FumoManagerOptions {
  tree: DmTree;
  storage: Storage;
  slots: FirmwareSlots;
  crypto: Crypto;
  queue: AlertQueue;
  clock: Clock;
  /** The firmware's name, for ./FUMO/fw/PkgName at the first boot (the device model). */
  firmwareName: string;
  /** The first pause after a failed download attempt, doubled after each (default 2000 ms). */
  retryDelayMs?: number;
  /**
   * The device maker's health check of a trial firmware, run at its boot: true confirms it, false returns to
   * the previous slot. Without it, the trial's first successful DM session confirms it.
   */
  healthCheck?: () => boolean | Promise<boolean>;
  log?: Log;
  onProgress?: (done: number, total: number) => void;
  /** The device is about to restart into the new firmware. */
  onRestart?: (from: string, to: string) => void;
  /** The update ended, told in the firmware that runs after it: from → to, done or not (then `from` runs). */
  onResult?: (ok: boolean, from: string, to: string) => void;
}

const IMAGE_ID = 'firmware';

export class FumoManager {
  declare readonly journal: FumoJournal;
  /** What the platform said about this start. */
  declare readonly started: FirmwareBoot;
  /** True once restart() was called: nothing more runs in this power-on (the Node device simulates one). */
  restarted = false;
  declare private readonly o: FumoManagerOptions;

  constructor(o: FumoManagerOptions) {
    this.o = o;
    this.journal = new FumoJournal(o.storage);
    this.started = o.slots.boot();
  }

  register(registry: ExecRegistry): void {
    for (const op of FUMO_OPERATIONS) registry.register(`${FUMO_NODE}/${op}`, (ctx) => this.accept(op, ctx));
  }

  /** A trial firmware waiting for its health check: the device should run a session now. */
  get inTrial(): boolean {
    return this.journal.current()?.step === 'trial';
  }

  /** Sets a leaf the device keeps; true when its value changed (the tree then wants a commit). */
  private set(uri: string, value: string): boolean {
    const { tree } = this.o;
    if (!tree.exists(uri) || leafText(tree, uri) === value) return false;
    tree.replace(uri, { data: value }, DEVICE);
    return true;
  }

  /** Exec: validate now, journal the job, answer 202; the work runs after the session. */
  private accept(op: FumoOp, ctx: ExecContext): number {
    if (this.journal.current()) throw new DmError('DM_ERR_NOT_ALLOWED', 405, `${FUMO_NODE} already has an operation in progress`);
    const state = leafText(this.o.tree, `${FUMO_NODE}/State`);
    if (op === 'Update') {
      if (state !== FumoState.DownloadComplete || this.o.slots.written() === 0)
        throw new DmError('DM_ERR_NOT_ALLOWED', 405, `${ctx.uri}: no downloaded firmware to update with (State ${state})`);
    } else {
      const url = leafText(this.o.tree, `${ctx.uri}/PkgURL`);
      if (!url) throw new DmError('DM_ERR_BAD_REQUEST', 400, `${ctx.uri}/PkgURL is missing: nothing to download`);
      if (!isUrlOf(url, ['http', 'https']))
        throw new DmError('DM_ERR_BAD_REQUEST', 400, `${ctx.uri}/PkgURL '${url}' is not an http(s) URL`);
    }
    // A new image starts from byte 0: what the slot holds (an image a Download left, a cut one) is not its.
    if (op !== 'Update') this.o.slots.discard();
    const job: Omit<FumoJob, 'step'> = { op, opUri: ctx.uri, serverId: ctx.principal };
    if (ctx.correlator !== undefined) job.correlator = ctx.correlator;
    const to = leafText(this.o.tree, `${FUMO_NODE}/PkgVersion`);
    if (to) job.toVersion = to;
    this.journal.add(job);
    return 202;
  }

  /**
   * At boot: lays ./FUMO on the first one, makes ./DevDetail/FwV say what runs, and goes on with the job a
   * restart (planned or a power cut) interrupted: a trial is health-checked, a return to the old slot is
   * reported as the failure it is, a download resumes.
   */
  async recover(): Promise<void> {
    const { tree } = this.o;
    const running = this.started;
    // Written only when something changed: most boots change nothing, and a commit rewrites the whole tree.
    const seeded = !tree.exists(FUMO_ROOT);
    if (seeded) seedFumo(tree, { name: this.o.firmwareName, version: running.version });
    if (this.set(DEV_DETAIL_FWV, running.version) || seeded) tree.commit();
    const j = this.journal.current();
    if (!j) return;
    const moved = j.fromSlot !== undefined && running.slot !== j.fromSlot;
    if (j.step === 'switching' && !moved) return this.switchAndRestart(this.journal.advance('switching'));
    if (j.step === 'switching' || j.step === 'restarting' || j.step === 'trial') {
      if (!moved) {
        // Back on the slot it left: the new firmware did not confirm (a crash, a failed check, a power cut).
        this.o.log?.log('warn', `firmware ${j.toVersion ?? '?'} was not confirmed; ${running.version} runs again`);
        this.o.slots.discard();
        return this.conclude(this.finish(j, FumoResult.UpdateFailed, FumoState.UpdateFailedNoData));
      }
      if (!running.trial) return this.succeed(j); // confirmed before a power cut let us journal it
      const t = this.journal.advance('trial');
      this.set(`${FUMO_NODE}/State`, FumoState.UpdateProgressing);
      tree.commit();
      if (this.o.healthCheck) await this.check(t);
      return;
    }
    await this.runPending();
  }

  /** The device maker's check of a trial firmware: confirm, or return to the previous slot. */
  private async check(j: FumoJob): Promise<void> {
    let ok: unknown = false;
    try {
      ok = await this.o.healthCheck!();
    } catch (e) {
      ok = errorMessage(e);
    }
    if (ok === true) return this.succeed(j);
    this.o.log?.log('warn', `firmware ${this.started.version} failed its health check${ok ? ` (${ok})` : ''}; the previous one returns`);
    this.o.slots.revert();
    this.restart();
  }

  /**
   * After a session of this power-on: the first one that succeeds is a trial firmware's health check (when no
   * device maker's check is configured). True when that confirmed it: its result alert waits in the queue.
   */
  afterSession(ok: boolean): boolean {
    const j = this.journal.current();
    if (!ok || !j || j.step !== 'trial' || this.o.healthCheck) return false;
    this.succeed(j);
    return true;
  }

  private succeed(j: FumoJob): void {
    this.o.slots.confirm();
    this.set(DEV_DETAIL_FWV, this.started.version);
    this.set(`${FUMO_NODE}/PkgVersion`, this.started.version);
    this.conclude(this.finish(j, FumoResult.Success, FumoState.UpdateSuccessfulNoData));
  }

  /** Runs (or resumes) the journaled job up to the restart, or to its result. */
  async runPending(): Promise<void> {
    const j = this.journal.current();
    if (!j || this.restarted) return;
    try {
      await this.run(j);
    } catch (e) {
      const err = asDmError(e);
      this.o.log?.log('error', `FUMO ${j.op} stopped: ${err.message}`);
      if (err.code === 'DM_ERR_STORAGE') throw err;
    }
  }

  private async run(job: FumoJob): Promise<void> {
    let j = job;
    if (j.step === 'done') return this.report(j);
    if (j.op === 'Download' && j.step === 'downloaded') return this.conclude(this.finish(j, FumoResult.Success));
    if (j.op !== 'Update' && (j.step === 'accepted' || j.step === 'downloading')) {
      j = this.journal.advance('downloading');
      const r = await this.download(j);
      if (r.step === 'done' || r.op === 'Download') return this.conclude(r.step === 'done' ? r : this.finish(r, FumoResult.Success));
      j = r;
    }
    if (j.step === 'accepted' || j.step === 'downloaded' || j.step === 'completing') {
      j = this.journal.advance('completing');
      if (this.givenUp(j)) return this.fail(j, FumoResult.UpdateFailed);
      this.set(`${FUMO_NODE}/State`, FumoState.ReadyToUpdate);
      this.o.tree.commit();
      try {
        this.o.slots.complete();
      } catch (e) {
        this.o.log?.log('warn', `the firmware image was refused: ${errorMessage(e)}`);
        return this.fail(j, FumoResult.NotAcceptable);
      }
      j = this.journal.advance('switching', { fromSlot: this.started.slot, fromVersion: this.started.version });
      this.set(`${FUMO_NODE}/State`, FumoState.UpdateProgressing);
      this.o.tree.commit();
      return this.switchAndRestart(j);
    }
  }

  private switchAndRestart(job: FumoJob): void {
    let j = job;
    if (this.givenUp(j)) return this.fail(j, FumoResult.UpdateFailed);
    this.o.slots.switch();
    j = this.journal.advance('restarting');
    this.o.onRestart?.(j.fromVersion ?? '', j.toVersion ?? '');
    this.restart();
  }

  private restart(): void {
    this.restarted = true;
    this.o.slots.restart();
  }

  private givenUp(j: FumoJob): boolean {
    if ((j.tries ?? 1) <= MAX_FUMO_TRIES) return false;
    this.o.log?.log('error', `FUMO ${j.op}: the device restarted during '${j.step}' ${MAX_FUMO_TRIES} times; failing it`);
    return true;
  }

  /** Fetches the image into the inactive slot, resuming, and checks it; the job 'downloaded', or 'done' failed. */
  private async download(job: FumoJob): Promise<FumoJob> {
    const { slots, tree } = this.o;
    if (this.givenUp(job)) return this.finish(job, FumoResult.DownloadNetworkError, FumoState.DownloadFailed, true);
    this.set(`${FUMO_NODE}/State`, FumoState.DownloadProgressing);
    tree.commit();
    const url = leafText(tree, `${job.opUri}/PkgURL`) ?? '';
    const failure = await fetchResuming(
      () => {
        const req = { url, id: IMAGE_ID, offset: slots.written() };
        return slots.download(this.o.onProgress ? { ...req, onProgress: (d, t) => this.o.onProgress!(d, t ?? 0) } : req);
      },
      {
        clock: this.o.clock,
        retryDelayMs: this.o.retryDelayMs ?? 2000,
        failed: (e) => this.o.log?.log('warn', `firmware download interrupted at ${slots.written()} bytes: ${errorMessage(e)}`),
      },
    );
    if (failure !== undefined) {
      const code = serverFailed(failure) ? FumoResult.DownloadServerError : FumoResult.DownloadNetworkError;
      return this.finish(job, code, FumoState.DownloadFailed, true);
    }
    const problem = this.verify();
    if (problem) {
      this.o.log?.log('warn', `firmware image refused: ${problem}`);
      return this.finish(job, FumoResult.CorruptedPackage, FumoState.DownloadFailed, true);
    }
    const j = this.journal.advance('downloaded');
    this.set(`${FUMO_NODE}/State`, FumoState.DownloadComplete);
    tree.commit();
    return j;
  }

  /** Checks the image against the vendor extension leaves Ext/Size and Ext/SHA256 the server set. */
  private verify(): string | undefined {
    const { slots, crypto, tree } = this.o;
    // The leaves are laid empty: empty is not announced.
    return imageProblem(slots.written(), (off, len) => slots.read(off, len), crypto, {
      size: leafText(tree, `${FUMO_NODE}/Ext/Size`) || undefined,
      sha256: leafText(tree, `${FUMO_NODE}/Ext/SHA256`) || undefined,
    });
  }

  private fail(j: FumoJob, result: number): void {
    this.conclude(this.finish(j, result, FumoState.UpdateFailedNoData, true));
  }

  /** Journals the result ('done') with the State it leaves; the image is dropped on a failure. */
  private finish(j: FumoJob, result: number, state?: string, discard = false): FumoJob {
    if (discard) this.o.slots.discard();
    const s = state ?? (j.op === 'Download' ? FumoState.DownloadComplete : FumoState.UpdateSuccessfulNoData);
    this.set(`${FUMO_NODE}/State`, s);
    this.o.tree.commit();
    return this.journal.advance('done', { result });
  }

  private conclude(j: FumoJob): void {
    if (j.op !== 'Download') this.o.onResult?.(j.result === FumoResult.Success, j.fromVersion ?? '', j.toVersion ?? this.started.version);
    this.report(j);
  }

  /** Queues the result alert once: a job found 'done' after a power cut may have queued it already. */
  private report(j: FumoJob): void {
    const type = fumoAlertType(j.op);
    const data = String(j.result ?? FumoResult.UndefinedError);
    const already = this.o.queue.has((a) => a.type === type && a.correlator === j.correlator && a.data === data);
    if (!already) {
      const alert: Parameters<AlertQueue['enqueue']>[0] = { type, format: 'int', source: j.opUri, data };
      if (j.result !== FumoResult.Success) alert.mark = 'critical';
      if (j.correlator !== undefined) alert.correlator = j.correlator;
      this.o.queue.enqueue(alert);
    }
    this.journal.advance('reported');
  }
}
