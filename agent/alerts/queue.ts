// The persisted queue of Generic Alerts. An alert leaves it only when the server acknowledged it (Status
// 200/202 to its Alert): raised offline, it goes in the next session; sent but unacknowledged, it goes again.
import type { Storage } from '../ports.js';
import type { GenericAlert } from './types.js';
import { ALERT_TYPE_OPERATION_COMPLETE } from './types.js';
import { DmError } from '../errors.js';

const KEY = 'alerts';

export class AlertQueue {
  private items: GenericAlert[] = [];
  private seq = 0;
  private readonly maxLength: number;
  /** Set when the stored queue could not be read (kept under 'alerts.corrupt'). */
  readonly recovered?: string;

  constructor(private readonly storage: Storage, opts: { maxLength?: number } = {}) {
    const max = opts.maxLength ?? 32;
    if (!Number.isInteger(max) || max <= 0) throw new DmError('DM_ERR_CONFIG', 400, `alert queue length must be a positive integer, not ${max}`);
    this.maxLength = max;
    const raw = storage.read(KEY);
    if (raw !== undefined) {
      try {
        const doc = JSON.parse(raw) as { seq: number; items: GenericAlert[] };
        if (!Array.isArray(doc.items) || typeof doc.seq !== 'number') throw new Error('shape');
        this.items = doc.items.filter((a) => typeof a.id === 'string' && typeof a.type === 'string');
        this.seq = doc.seq;
      } catch {
        storage.write('alerts.corrupt', raw);
        this.recovered = 'stored alert queue was unreadable; kept under alerts.corrupt, queue restarted empty';
      }
    }
  }

  private save(): void {
    this.storage.write(KEY, JSON.stringify({ seq: this.seq, items: this.items }));
  }

  /**
   * Queues an alert (persisted before this returns). A client-initiated update request equal to one
   * already pending is not queued twice. When full, the oldest request gives way; results never do.
   */
  enqueue(a: Omit<GenericAlert, 'id'>): GenericAlert {
    if (a.type !== ALERT_TYPE_OPERATION_COMPLETE) {
      const same = this.items.find((x) => x.type === a.type && x.source === a.source && x.data === a.data);
      if (same) return same;
    }
    const next = [...this.items];
    if (next.length >= this.maxLength) {
      const victim = next.findIndex((x) => x.type !== ALERT_TYPE_OPERATION_COMPLETE);
      if (victim < 0) throw new DmError('DM_ERR_DEVICE_FULL', 420, `alert queue full of ${this.maxLength} unreported results`);
      next.splice(victim, 1);
    }
    const alert: GenericAlert = { ...a, id: `a${this.seq + 1}` };
    next.push(alert);
    const before = { items: this.items, seq: this.seq };
    this.items = next;
    this.seq++;
    try {
      this.save();
    } catch (e) {
      this.items = before.items;
      this.seq = before.seq;
      throw new DmError('DM_ERR_STORAGE', 510, `alert not queued: ${e instanceof Error ? e.message : String(e)}`);
    }
    return alert;
  }

  pending(): GenericAlert[] {
    return this.items.map((a) => ({ ...a }));
  }

  /** Removes acknowledged alerts; ids not in the queue are ignored (idempotent). */
  ack(ids: string[]): void {
    if (ids.length === 0) return;
    const left = this.items.filter((a) => !ids.includes(a.id));
    if (left.length === this.items.length) return;
    const before = this.items;
    this.items = left;
    try {
      this.save();
    } catch (e) {
      this.items = before;
      throw new DmError('DM_ERR_STORAGE', 510, `acknowledgement not stored: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}
