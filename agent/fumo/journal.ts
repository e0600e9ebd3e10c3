// The persisted journal of the FUMO operation in progress (Storage key 'fumo'), one job at a time: a device has
// one inactive slot. Each step is written before it is acted on, and the storage outlives the firmware, so
// the firmware that runs after the switch reads what the one before it wrote. The steps, a state machine:
//
//   accepted ─► downloading ─► downloaded ─► completing ─► switching ─► restarting ─► trial ─► done ─► reported
//      │             │  ▲ (resumed)  │ (Download: done)        ▲ │ (the switch did not persist: again; it did: trial)
//      │             └──┘            └──► done                 └─┘
//      └─► completing (Update: the image a Download left)      any step ─► done (a failure, with its result)
import type { Storage } from '../ports.js';
import { DmError } from '../errors.js';
import { FUMO_OPERATIONS, type FumoOp } from './paths.js';

export type FumoStep =
  | 'accepted'
  | 'downloading'
  | 'downloaded'
  | 'completing'
  | 'switching'
  | 'restarting'
  | 'trial'
  | 'done'
  | 'reported';

export interface FumoJob {
  op: FumoOp;
  /** The executed node (./FUMO/fw/DownloadAndUpdate …): the result alert's Source. */
  opUri: string;
  correlator?: string;
  serverId: string;
  step: FumoStep;
  result?: number;
  /** The slot and version that ran when the switch was made: the way back, and what "changed" means. */
  fromSlot?: string;
  fromVersion?: string;
  /** The version the server announced (PkgVersion) for the new image. */
  toVersion?: string;
  /** Times in a row the job entered its current step (restarts it did not survive, as SCOMO counts them). */
  tries?: number;
}

export const MAX_FUMO_TRIES = 3;

const NEXT: Record<FumoStep, readonly FumoStep[]> = {
  accepted: ['downloading', 'completing', 'done'],
  downloading: ['downloading', 'downloaded', 'done'],
  downloaded: ['completing', 'done'],
  completing: ['completing', 'switching', 'done'],
  switching: ['switching', 'restarting', 'trial', 'done'],
  restarting: ['trial', 'done'],
  trial: ['trial', 'done'],
  done: ['reported'],
  reported: [],
};

const KEY = 'fumo';

function isJob(j: unknown): j is FumoJob {
  if (j === null || typeof j !== 'object') return false;
  const o = j as Record<string, unknown>;
  return (
    typeof o.op === 'string' &&
    FUMO_OPERATIONS.includes(o.op as FumoOp) &&
    typeof o.opUri === 'string' &&
    typeof o.serverId === 'string' &&
    typeof o.step === 'string' &&
    Object.hasOwn(NEXT, o.step) &&
    (o.result === undefined || typeof o.result === 'number') &&
    (o.tries === undefined || typeof o.tries === 'number')
  );
}

export class FumoJournal {
  private job: FumoJob | undefined;
  declare private readonly storage: Storage;

  constructor(storage: Storage) {
    this.storage = storage;
    const raw = storage.read(KEY);
    if (raw === undefined || raw === '') return;
    try {
      const j = JSON.parse(raw) as unknown;
      if (!isJob(j)) throw new Error('not a FUMO job');
      this.job = j;
    } catch {
      storage.write(`${KEY}.corrupt`, raw);
      storage.write(KEY, '');
    }
  }

  current(): FumoJob | undefined {
    return this.job ? { ...this.job } : undefined;
  }

  add(job: Omit<FumoJob, 'step'>): FumoJob {
    if (this.job) throw new DmError('DM_ERR_NOT_ALLOWED', 405, `a firmware ${this.job.op} is in progress`);
    const j: FumoJob = { ...job, step: 'accepted' };
    this.storage.write(KEY, JSON.stringify(j));
    this.job = j;
    return { ...j };
  }

  /** Moves the job to its next step (persisted before it returns); 'reported' ends it. */
  advance(step: FumoStep, patch: Partial<FumoJob> = {}): FumoJob {
    const cur = this.job;
    if (!cur) throw new DmError('DM_ERR_COMMAND_FAILED', 500, 'no FUMO job in progress');
    if (!NEXT[cur.step].includes(step))
      throw new DmError('DM_ERR_COMMAND_FAILED', 500, `FUMO job: ${cur.step} → ${step} is not a legal step`);
    const next: FumoJob = { ...cur, ...patch, step, tries: cur.step === step ? (cur.tries ?? 1) + 1 : 1 };
    this.storage.write(KEY, step === 'reported' ? '' : JSON.stringify(next));
    this.job = step === 'reported' ? undefined : next;
    return { ...next };
  }
}
