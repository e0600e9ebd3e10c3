// Differential fuzzing of the XML reader against libxml2 (xmllint): mutated packages go to both, and a
// document our reader takes must be one libxml2 finds well-formed. Our reader may refuse more (its limits,
// processing instructions, DTD subsets), never less: a leniency is a document a conforming peer would
// reject and the device would act on. xmllint checks a batch of files per process, so the run stays fast;
// an input whose pair of verdicts is new joins the mutation pool after its batch.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeMessage } from '../../agent/syncml/codec.js';
import { parseXmlElement } from '../../agent/syncml/xml-decode.js';
import { DmError } from '../../agent/errors.js';
import { sampleMessages } from '../helpers/corpus.js';
import { prng, mutateBytes, mutateXml } from './mutate.js';
import { keepFinding } from './findings.js';
import { HEAP_BUDGET_MB, type FuzzOptions, type FuzzReport } from './fuzz.js';

const BATCH = 500;

/**
 * What libxml2 says of each file (`args`: e.g. --dtdvalid FILE): undefined when it has nothing against it,
 * else its first complaint. Namespace errors (an xmlns that is not a URI) concern namespaces, not
 * well-formedness: our reader only looks for the MetInf namespace.
 */
export function xmllintVerdicts(files: string[], args: string[] = []): (string | undefined)[] {
  const verdicts: (string | undefined)[] = files.map(() => undefined);
  const index = new Map(files.map((f, i) => [f, i]));
  for (let k = 0; k < files.length; k += BATCH) {
    const r = spawnSync('xmllint', ['--noout', '--nonet', ...args, ...files.slice(k, k + BATCH)], { encoding: 'utf8', maxBuffer: 1 << 27 });
    if (r.error) throw r.error;
    // Parse errors name the file and line; validity errors name the file after "Document" or in "Element …".
    for (const m of r.stderr.matchAll(/^(\S+?):\d+: (.*)$|^Document (\S+) does not validate.*$/gm)) {
      const i = index.get(m[1] ?? m[3]!);
      const what = m[2] ?? m[0];
      // A copy: a slice of stderr would keep the whole batch's stderr alive as long as it is kept (V8 sliced
      // strings), and the outcomes keep one per new verdict: 490 MB after 400,000 cases.
      if (i !== undefined && verdicts[i] === undefined && !/^namespace (error|warning)/.test(what))
        verdicts[i] = Buffer.from(what).toString();
    }
  }
  return verdicts;
}

export async function libxml2Fuzz(o: FuzzOptions): Promise<FuzzReport> {
  const rnd = prng(o.seed);
  const pool = sampleMessages().map((s) => encodeMessage(s.msg, 'xml'));
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  const strict = new TextDecoder('utf-8', { fatal: true });
  const dir = mkdtempSync(join(tmpdir(), 'dm-libxml2-'));
  const findings: FuzzReport['findings'] = [];
  const outcomes = new Set<string>();
  let slowest = 0;
  let maxHeap = 0;
  try {
    for (let start = 0; start < o.cases; start += BATCH) {
      const inputs: Uint8Array[] = [];
      const ours: (string | undefined)[] = [];
      for (let i = start; i < Math.min(o.cases, start + BATCH); i++) {
        const base = pool[Math.floor(rnd() * pool.length)]!;
        const input = rnd() < 0.5 ? enc.encode(mutateXml(dec.decode(base), rnd)) : mutateBytes(base, rnd, pool);
        const t0 = performance.now();
        let verdict: string | undefined;
        try {
          parseXmlElement(strict.decode(input));
        } catch (e) {
          verdict = e instanceof DmError ? e.code : 'not UTF-8';
        }
        slowest = Math.max(slowest, performance.now() - t0);
        inputs.push(input);
        ours.push(verdict);
      }
      const files = inputs.map((b, k) => {
        const f = join(dir, `${start + k}.xml`);
        writeFileSync(f, b);
        return f;
      });
      const theirs = xmllintVerdicts(files);
      for (let k = 0; k < inputs.length; k++) {
        // Feedback, a batch at a time: an input whose pair of verdicts is new joins the pool.
        const outcome = `${ours[k] ?? 'ok'}/${theirs[k] === undefined ? 'ok' : theirs[k]!.replace(/\d+/g, 'N').slice(0, 40)}`;
        if (!outcomes.has(outcome)) {
          outcomes.add(outcome);
          if (pool.length < 4096 && inputs[k]!.length < 65536) pool.push(inputs[k]!);
        }
        if (ours[k] !== undefined || theirs[k] === undefined) continue;
        keepFinding(
          findings,
          `our reader took a document libxml2 refuses: ${theirs[k]}`,
          o.saveFindings && { name: `libxml2-seed${o.seed}-case${start + k}.bin`, data: inputs[k]! },
        );
      }
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      const heap = process.memoryUsage().heapUsed / 1048576;
      maxHeap = Math.max(maxHeap, heap);
      if (heap > (o.heapBudgetMB ?? HEAP_BUDGET_MB) && !findings.some((f) => f.message.startsWith('heap at'))) {
        findings.push({
          message: `heap at ${heap.toFixed(0)} MB after case ${start + inputs.length - 1} (budget ${o.heapBudgetMB ?? HEAP_BUDGET_MB} MB)`,
        });
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    target: 'libxml2',
    cases: o.cases,
    signatures: outcomes.size,
    pool: pool.length,
    findings,
    slowestCaseMs: slowest,
    maxHeapMB: maxHeap,
  };
}
