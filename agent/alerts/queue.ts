// The persisted queue of Generic Alerts. An alert leaves it only when the server acknowledged it (Status
// 200/202 to its Alert): raised offline, it goes in the next session; sent but unacknowledged, it goes again.
// Every change is one atomic write of the whole queue under 'alerts', made before the call returns, so a
// power cut leaves either the old queue or the new one.
import type { Log, Storage } from '../ports.js';
import type { GenericAlert } from './types.js';
import { ALERT_TYPE_DEVICE_REQUEST, ALERT_TYPE_USER_REQUEST } from './types.js';
import { DmError, errorMessage } from '../errors.js';
import { isDigits } from '../util/scan.js';

const KEY = 'alerts';
const CORRUPT_KEY = 'alerts.corrupt';
const DEFAULT_MAX_LENGTH = 32;
const OPTIONAL_FIELDS = ['mark', 'source', 'target', 'correlator'] as const;

export interface AlertQueueOptions {
  /** Most alerts held at once (default 32). */
  maxLength?: number;
  log?: Log;
}

interface StoredQueue {
  seq: number;
  items: GenericAlert[];
}

/** Why a value is not a storable alert (without id), or undefined when it is one. */
function alertProblem(a: unknown): string | undefined {
  if (typeof a !== 'object' || a === null) return 'not an object';
  const r = a as Record<string, unknown>;
  if (typeof r.type !== 'string' || r.type === '') return 'type must be a non-empty string';
  if (typeof r.format !== 'string' || r.format === '') return 'format must be a non-empty string';
  if (typeof r.data !== 'string') return "data must be a string ('' when there is no vendor data)";
  for (const k of OPTIONAL_FIELDS) {
    if (r[k] !== undefined && typeof r[k] !== 'string') return `${k} must be a string when present`;
  }
  return undefined;
}

/** Copies only the known fields, so nothing foreign is persisted or handed out. */
function cleanAlert(a: Omit<GenericAlert, 'id'>, id: string): GenericAlert {
  const out: GenericAlert = { id, type: a.type, format: a.format, data: a.data };
  for (const k of OPTIONAL_FIELDS) if (a[k] !== undefined) out[k] = a[k];
  return out;
}

export class AlertQueue {
  private items: GenericAlert[] = [];
  private seq = 0;
  declare private readonly maxLength: number;
  declare private readonly log: Log | undefined;
  /** Set when the stored queue could not be (fully) read; the blob was kept under 'alerts.corrupt'. */
  declare readonly recovered?: string;

  declare private readonly storage: Storage;

  constructor(storage: Storage, opts: AlertQueueOptions = {}) {
    this.storage = storage;
    const max = opts.maxLength ?? DEFAULT_MAX_LENGTH;
    if (!Number.isInteger(max) || max <= 0) {
      throw new DmError('DM_ERR_CONFIG', 400, `alert queue maxLength must be a positive integer, not ${max}`);
    }
    this.maxLength = max;
    this.log = opts.log;
    const warning = this.load();
    if (warning !== undefined) {
      this.recovered = warning;
      this.log?.log('warn', warning);
    }
  }

  /** Reads the stored queue; returns a warning when (part of) it was unreadable. Never throws. */
  private load(): string | undefined {
    let raw: string | undefined;
    try {
      raw = this.storage.read(KEY);
    } catch (e) {
      return `stored alert queue could not be read (${errorMessage(e)}); queue starts empty`;
    }
    if (raw === undefined) return undefined;
    let doc: StoredQueue | undefined;
    try {
      const parsed = JSON.parse(raw) as unknown;
      const p = parsed as Partial<StoredQueue> | null;
      if (
        p !== null &&
        typeof p === 'object' &&
        Array.isArray(p.items) &&
        typeof p.seq === 'number' &&
        Number.isInteger(p.seq) &&
        p.seq >= 0
      ) {
        doc = p as StoredQueue;
      }
    } catch {
      /* unreadable: handled below */
    }
    if (doc === undefined) {
      return `${this.keepCorrupt(raw)}stored alert queue was unreadable; queue restarted empty`;
    }
    const good = doc.items.filter((a) => alertProblem(a) === undefined && typeof a.id === 'string' && a.id !== '');
    this.items = good.map((a) => cleanAlert(a, a.id));
    // Never hand out an id again, even if the stored counter lags behind the stored ids.
    // Ids are 'a' and a number: the next one is above every stored one.
    this.seq = this.items.reduce(
      (m, a) => Math.max(m, a.id.startsWith('a') && isDigits(a.id.slice(1)) ? Number(a.id.slice(1)) : 0),
      doc.seq,
    );
    const dropped = doc.items.length - good.length;
    if (dropped === 0) return undefined;
    return `${this.keepCorrupt(raw)}${dropped} unreadable alert(s) dropped from the stored queue`;
  }

  /** Keeps the original blob for diagnosis; a failure to do so is reported, not thrown. */
  private keepCorrupt(raw: string): string {
    try {
      this.storage.write(CORRUPT_KEY, raw);
      return `kept under ${CORRUPT_KEY}: `;
    } catch (e) {
      return `could not keep it under ${CORRUPT_KEY} (${errorMessage(e)}): `;
    }
  }

  /** Replaces the stored queue, or restores the in-memory one and throws DM_ERR_STORAGE (510). */
  private commit(items: GenericAlert[], seq: number, what: string): void {
    try {
      this.storage.write(KEY, JSON.stringify({ seq, items } satisfies StoredQueue));
    } catch (e) {
      throw new DmError('DM_ERR_STORAGE', 510, `${what}: ${errorMessage(e)}`);
    }
    this.items = items;
    this.seq = seq;
  }

  get length(): number {
    return this.items.length;
  }

  /**
   * Queues an alert, persisted before this returns, and gives it a queue-unique id. An update request equal
   * to one already pending (same type and source) is not queued twice: the pending one is returned. When
   * the queue is full the oldest device request gives way, then the oldest user request; a result
   * (SCOMO OperationComplete, FUMO firmwareupdate) never does — a queue of nothing but results refuses with 420.
   */
  enqueue(a: Omit<GenericAlert, 'id'>): GenericAlert {
    const problem = alertProblem(a);
    if (problem !== undefined) throw new DmError('DM_ERR_BAD_REQUEST', 400, `alert not queued: ${problem}`);
    // Update requests say "please check"; two identical ones pending ask the server the same thing.
    if (a.type === ALERT_TYPE_USER_REQUEST || a.type === ALERT_TYPE_DEVICE_REQUEST) {
      const same = this.items.find((x) => x.type === a.type && x.source === a.source);
      if (same) return { ...same };
    }
    const next = [...this.items];
    while (next.length >= this.maxLength) {
      let victim = next.findIndex((x) => x.type === ALERT_TYPE_DEVICE_REQUEST);
      // Results (SCOMO's OperationComplete, FUMO's firmwareupdate alerts) never give way: only requests do.
      if (victim < 0) victim = next.findIndex((x) => x.type === ALERT_TYPE_USER_REQUEST);
      if (victim < 0) {
        throw new DmError(
          'DM_ERR_DEVICE_FULL',
          420,
          `alert queue full: ${next.length} unreported operation results (limit ${this.maxLength})`,
        );
      }
      const [gone] = next.splice(victim, 1);
      this.log?.log('warn', 'alert queue full; oldest request dropped', { id: gone!.id, type: gone!.type });
    }
    const alert = cleanAlert(a, `a${this.seq + 1}`);
    next.push(alert);
    this.commit(next, this.seq + 1, 'alert not queued');
    return { ...alert };
  }

  /** The alerts waiting for the server, oldest first (copies). */
  pending(): GenericAlert[] {
    return this.items.map((a) => ({ ...a }));
  }

  has(predicate: (a: GenericAlert) => boolean): boolean {
    return this.items.some((a) => predicate({ ...a }));
  }

  /** Removes acknowledged alerts; ids not in the queue are ignored (idempotent). */
  ack(ids: readonly string[]): void {
    if (ids.length === 0) return;
    const gone = new Set(ids);
    const left = this.items.filter((a) => !gone.has(a.id));
    if (left.length === this.items.length) return;
    this.commit(left, this.seq, 'acknowledgement not stored');
  }
}
