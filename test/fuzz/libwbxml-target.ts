// Differential fuzzing of the WBXML reader against libwbxml (wbxml2xml): mutated WBXML packages go to both,
// and a document our reader takes must be one libwbxml converts. Ours refuses more (unknown tokens, bad
// UTF-8, data after the root: libwbxml takes those), never less. One wbxml2xml process per case, so the
// runs are short; a case libwbxml does not finish in 5 s counts as refused by it.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeMessage } from '../../agent/syncml/codec.js';
import { decodeWbxml } from '../../agent/syncml/wbxml-decode.js';
import { DmError } from '../../agent/errors.js';
import { sampleMessages } from '../helpers/corpus.js';
import { prng, mutateBytes } from './mutate.js';
import { keepFinding } from './findings.js';
import type { FuzzOptions, FuzzReport } from './fuzz.js';

/** libwbxml's verdict on a file: undefined when it converted it, else the end of what it printed. */
function wbxml2xmlVerdict(dir: string, input: Uint8Array): string | undefined {
  const inp = join(dir, 'in.wbxml');
  const out = join(dir, 'out.xml');
  writeFileSync(inp, input);
  rmSync(out, { force: true });
  const r = spawnSync('wbxml2xml', ['-o', out, inp], { encoding: 'utf8', timeout: 5000 });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') throw r.error;
  if (r.status === 0 && existsSync(out)) return undefined;
  return ((r.stdout ?? '') + (r.stderr ?? '')).trim().split('\n').pop() || `exit ${r.status ?? r.signal}`;
}

export async function libwbxmlFuzz(o: FuzzOptions): Promise<FuzzReport> {
  const rnd = prng(o.seed);
  const pool = sampleMessages().map((s) => encodeMessage(s.msg, 'wbxml'));
  const dir = mkdtempSync(join(tmpdir(), 'dm-libwbxml-'));
  const findings: FuzzReport['findings'] = [];
  const outcomes = new Set<string>();
  let slowest = 0;
  try {
    for (let i = 0; i < o.cases; i++) {
      const input = mutateBytes(pool[Math.floor(rnd() * pool.length)]!, rnd, pool);
      const t0 = performance.now();
      let ours: string | undefined;
      try {
        decodeWbxml(input);
      } catch (e) {
        if (!(e instanceof DmError)) throw e;
        ours = e.code;
      }
      slowest = Math.max(slowest, performance.now() - t0);
      const theirs = wbxml2xmlVerdict(dir, input);
      // A copy of libwbxml's words: a slice would keep its whole output alive in the outcomes.
      const outcome = `${ours ?? 'ok'}/${theirs === undefined ? 'ok' : Buffer.from(theirs.replace(/\d+/g, 'N').slice(0, 40)).toString()}`;
      if (!outcomes.has(outcome)) {
        outcomes.add(outcome);
        if (pool.length < 4096 && input.length < 65536) pool.push(input);
      }
      if (ours !== undefined || theirs === undefined) continue;
      keepFinding(
        findings,
        `our WBXML reader took a document libwbxml refuses: ${theirs}`,
        o.saveFindings && { name: `libwbxml-seed${o.seed}-case${i}.bin`, data: input },
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    target: 'libwbxml',
    cases: o.cases,
    signatures: outcomes.size,
    pool: pool.length,
    findings,
    slowestCaseMs: slowest,
    maxHeapMB: process.memoryUsage().heapUsed / 1048576,
  };
}
