// The persisted journal of SCOMO operations (Storage key 'scomo'). Each step is written before it is acted
// on, so a power cut at any point resumes (or fails cleanly) on the next boot. Steps form an explicit state
// machine: illegal transitions are refused, as a reliable update client must (hawkBit on Zephyr learnt it).
import type { Storage } from '../ports.js';
import { DmError } from '../errors.js';
import { DEPLOYED_OPERATIONS, DOWNLOAD_OPERATIONS, type ScomoOp } from './paths.js';

export type JobStep = 'accepted' | 'downloading' | 'downloaded' | 'installing' | 'running' | 'done' | 'reported';

export interface ScomoJob {
  id: string;
  op: ScomoOp;
  /** The executed Operations node. */
  opUri: string;
  /** The Download/<x> or Deployed/<x> node it acts on. */
  node: string;
  correlator?: string;
  serverId: string;
  step: JobStep;
  result?: number;
  /** Deployed/<x> URI and component ID the result is about. */
  target?: string;
  identifier?: string;
  /**
   * How many times in a row the job entered its current step. A step that calls the platform (download,
   * install, activate …) is entered once more at each boot that resumes it, so this counts the restarts it
   * did not survive.
   */
  tries?: number;
}

/**
 * Times a job may enter the same step before it is given up: a package whose install aborts the VM (a
 * crash, memory full) would otherwise be resumed, and abort, at every boot.
 */
export const MAX_STEP_TRIES = 3;

const NEXT: Record<JobStep, JobStep[]> = {
  accepted: ['downloading', 'running', 'done'],
  downloading: ['downloading', 'downloaded', 'done'],
  downloaded: ['installing', 'done'],
  installing: ['installing', 'done'],
  running: ['running', 'done'],
  done: ['reported'],
  reported: [],
};

const OPS: readonly string[] = [...DOWNLOAD_OPERATIONS, ...DEPLOYED_OPERATIONS];

function isJob(j: unknown): j is ScomoJob {
  if (j === null || typeof j !== 'object') return false;
  const o = j as Record<string, unknown>;
  return (
    typeof o.id === 'string' &&
    typeof o.opUri === 'string' &&
    typeof o.node === 'string' &&
    typeof o.serverId === 'string' &&
    typeof o.op === 'string' &&
    OPS.includes(o.op) &&
    typeof o.step === 'string' &&
    Object.hasOwn(NEXT, o.step) &&
    (o.tries === undefined || typeof o.tries === 'number') &&
    (o.result === undefined || typeof o.result === 'number')
  );
}

export class JobJournal {
  private jobs: ScomoJob[] = [];
  private seq = 0;

  declare private readonly storage: Storage;

  constructor(storage: Storage) {
    this.storage = storage;
    const raw = storage.read('scomo');
    if (raw === undefined) return;
    try {
      const doc = JSON.parse(raw) as { seq?: unknown; jobs?: unknown } | null;
      // Parsing is not enough: a journal of another shape (another firmware's, or damaged into valid JSON)
      // would throw at the first job it resumed, at every boot.
      if (!doc || !Number.isInteger(doc.seq) || !Array.isArray(doc.jobs) || !doc.jobs.every(isJob)) throw new Error('not a journal');
      this.jobs = doc.jobs;
      this.seq = doc.seq as number;
    } catch {
      storage.write('scomo.corrupt', raw);
    }
  }

  private save(jobs: ScomoJob[], seq: number): void {
    this.storage.write('scomo', JSON.stringify({ seq, jobs }));
    this.jobs = jobs;
    this.seq = seq;
  }

  add(job: Omit<ScomoJob, 'id' | 'step'>): ScomoJob {
    const j: ScomoJob = { ...job, id: `j${this.seq + 1}`, step: 'accepted' };
    this.save([...this.jobs, j], this.seq + 1);
    return j;
  }

  /** Moves a job to its next step (persisted before it returns). */
  advance(id: string, step: JobStep, patch: Partial<ScomoJob> = {}): ScomoJob {
    const cur = this.jobs.find((j) => j.id === id);
    if (!cur) throw new DmError('DM_ERR_COMMAND_FAILED', 500, `no SCOMO job ${id}`);
    if (!NEXT[cur.step].includes(step))
      throw new DmError('DM_ERR_COMMAND_FAILED', 500, `SCOMO job ${id}: ${cur.step} → ${step} is not a legal step`);
    const next = { ...cur, ...patch, step, tries: cur.step === step ? (cur.tries ?? 1) + 1 : 1 };
    // Reported jobs leave the journal: their alert is in the alert queue now.
    const jobs = step === 'reported' ? this.jobs.filter((j) => j.id !== id) : this.jobs.map((j) => (j.id === id ? next : j));
    this.save(jobs, this.seq);
    return next;
  }

  open(): ScomoJob[] {
    return this.jobs.map((j) => ({ ...j }));
  }

  busy(node: string): boolean {
    return this.jobs.some((j) => j.node === node);
  }
}
