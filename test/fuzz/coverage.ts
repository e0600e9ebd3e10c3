// How much of the agent's code the fuzzer reaches: V8's block coverage of agent/ (the inspector's precise
// coverage, whose counts start again at every take), read after each case. Measured, not used as feedback:
// keeping inputs that reached a new block or hit-count bucket (as AFL does) was tried and reached fewer
// blocks than the outcome signatures alone (911 against 963 in 5000 session cases, seed 7), as it crowded
// the pool with inputs that differ only in how often a loop ran.
import { Session } from 'node:inspector/promises';

export interface CoverageReport {
  /** Blocks reached by at least one case, over all files. */
  blocks: number;
  /** Per file of agent/ (path from agent/): blocks reached, and blocks V8 reported in functions that ran. */
  files: { file: string; reached: number; known: number }[];
}

/**
 * V8 counts blocks only in functions compiled after coverage started, so one inspector session runs for the
 * rest of the process from the first start (before the fuzz run compiles anything), and each run reads its
 * own counts through a meter.
 */
let session: Promise<Session> | undefined;

async function coverageSession(): Promise<Session> {
  session ??= (async () => {
    const s = new Session();
    s.connect();
    await s.post('Profiler.enable');
    await s.post('Profiler.startPreciseCoverage', { callCount: true, detailed: true });
    return s;
  })();
  return session;
}

export class CoverageMeter {
  /** url → block key → reached. */
  private readonly byFile = new Map<string, Map<string, boolean>>();

  private constructor(
    private readonly session: Session,
    private readonly covers: (url: string) => boolean,
  ) {}

  /** A meter of the scripts whose URL `covers` accepts, from now on (earlier counts are dropped). */
  static async start(covers: (url: string) => boolean): Promise<CoverageMeter> {
    const s = await coverageSession();
    await s.post('Profiler.takePreciseCoverage');
    return new CoverageMeter(s, covers);
  }

  /** Drops the counts since the last call (work that is not the fuzz target's). */
  async skip(): Promise<void> {
    await this.session.post('Profiler.takePreciseCoverage');
  }

  /** Reads the counts since the last call. */
  async take(): Promise<void> {
    const { result } = await this.session.post('Profiler.takePreciseCoverage');
    for (const script of result) {
      if (!this.covers(script.url)) continue;
      let blocks = this.byFile.get(script.url);
      if (!blocks) this.byFile.set(script.url, (blocks = new Map()));
      for (const fn of script.functions) {
        for (const r of fn.ranges) {
          const key = `${r.startOffset}:${r.endOffset}`;
          if (r.count > 0) blocks.set(key, true);
          else if (!blocks.has(key)) blocks.set(key, false);
        }
      }
    }
  }

  report(): CoverageReport {
    const files: CoverageReport['files'] = [];
    let total = 0;
    for (const [url, blocks] of this.byFile) {
      let reached = 0;
      for (const hit of blocks.values()) if (hit) reached++;
      total += reached;
      files.push({ file: url.slice(url.lastIndexOf('/agent/') + 7), reached, known: blocks.size });
    }
    files.sort((a, b) => a.file.localeCompare(b.file));
    return { blocks: total, files };
  }
}
