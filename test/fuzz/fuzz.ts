// The fuzz loop: mutation fuzzing with light feedback (an input whose outcome signature is new joins the
// pool), seeded from the corpus, for the XML decoder, the WBXML decoder, the session engine and the lab
// server (seeded from recorded sessions of the agent); with
// `coverage`, it also measures the blocks of agent/ the cases reach (coverage.ts). Every finding is kept as
// a file under test/fuzz/regressions/, which the test suite replays on every run.
import { encodeMessage } from '../../agent/syncml/codec.js';
import { sampleMessages } from '../helpers/corpus.js';
import { prng, mutateBytes, mutateXml } from './mutate.js';
import { keepFinding } from './findings.js';
import {
  CASE_BUDGET_MS,
  Finding,
  SESSION_ACCOUNTS,
  serverSeeds,
  sessionTarget,
  wbxmlTarget,
  writeSessionCase,
  xmlTarget,
  type SessionCase,
} from './targets.js';
import { xsFuzz } from './xs-target.js';
import { libxml2Fuzz } from './libxml2-target.js';
import { libwbxmlFuzz } from './libwbxml-target.js';
import { DtdBatch } from './dtd-batch.js';
import { recordScripts, serverTarget, writeServerCase, type ServerScript } from './server-target.js';
import { CoverageMeter, type CoverageReport } from './coverage.js';

export type TargetName = 'xml' | 'wbxml' | 'session' | 'server' | 'xs' | 'libxml2' | 'libwbxml';

export interface FuzzReport {
  target: TargetName;
  cases: number;
  signatures: number;
  pool: number;
  findings: { message: string; file?: string }[];
  slowestCaseMs: number;
  maxHeapMB: number;
  /** With `coverage`: the blocks of agent/ the cases reached. */
  coverage?: CoverageReport;
}

/** The fuzzer's heap (its pool included) above this is a leak or an input that makes memory grow: a finding. */
export const HEAP_BUDGET_MB = 512;

export interface FuzzOptions {
  cases: number;
  seed: number;
  saveFindings?: boolean;
  /** Overrides CASE_BUDGET_MS (tests prove the check with 0). */
  caseBudgetMs?: number;
  /** Overrides HEAP_BUDGET_MB. */
  heapBudgetMB?: number;
  /**
   * Session target: check every message the device sent against the DM 1.2 DTD with xmllint, 500 at a time;
   * server target: every XML message the lab server sent.
   */
  dtd?: boolean;
  /** Measure the blocks of agent/ the cases reach (V8 block coverage; a case runs 4 to 20 times slower). */
  coverage?: boolean;
}

export async function fuzz(target: TargetName, o: FuzzOptions): Promise<FuzzReport> {
  if (target === 'xs') return xsFuzz(o);
  if (target === 'libxml2') return libxml2Fuzz(o);
  if (target === 'libwbxml') return libwbxmlFuzz(o);
  // Before the seeds are encoded: blocks are counted only in functions compiled after this.
  const meter = o.coverage ? await CoverageMeter.start((url) => url.includes('/agent/')) : undefined;
  const rnd = prng(o.seed);
  const corpus = sampleMessages().map((s) => s.msg);
  const scripts: ServerScript[] = target === 'server' ? await recordScripts() : [];
  const seeds =
    target === 'session'
      ? serverSeeds()
      : target === 'server'
        ? scripts.flatMap((s) => s.messages)
        : corpus.map((m) => encodeMessage(m, target === 'xml' ? 'xml' : 'wbxml'));
  const pool = [...seeds];
  // The seeds' encoding is not the target's work.
  await meter?.skip();
  const signatures = new Set<string>();
  const findings: FuzzReport['findings'] = [];
  let slowest = 0;
  let maxHeap = 0;
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  const caseBudget = o.caseBudgetMs ?? CASE_BUDGET_MS;
  const heapBudget = o.heapBudgetMB ?? HEAP_BUDGET_MB;
  let sessionCase: SessionCase | undefined;
  let serverCase: { script: ServerScript; at: number } | undefined;
  // A session case is kept as its account and all its packages, a server case as its script with the
  // mutated message in place; a decoder case, as its input.
  const record = (message: string, input: Uint8Array, i: number, kept = sessionCase, server = serverCase) =>
    keepFinding(
      findings,
      message,
      o.saveFindings && {
        name: `${target}-seed${o.seed}-case${i}.${kept ? 'case' : server ? 'server' : 'bin'}`,
        data: kept ? writeSessionCase(kept) : server ? writeServerCase(server.script, server.at, input) : input,
      },
    );
  // The messages the device (or the lab server) sent and the case each came from, until a batch is checked
  // against the DTD.
  const dtd = o.dtd && target === 'session' ? new DtdBatch<{ i: number; c: SessionCase }>() : undefined;
  const serverDtd =
    o.dtd && target === 'server' ? new DtdBatch<{ i: number; input: Uint8Array; c: { script: ServerScript; at: number } }>() : undefined;
  for (let i = 0; i < o.cases; i++) {
    let base = pool[Math.floor(rnd() * pool.length)]!;
    if (target === 'server') {
      // The mutated message takes the place of one message of a recorded session, half the time mutated from
      // that very message, so that most cases stay close to a working exchange.
      const script = scripts[Math.floor(rnd() * scripts.length)]!;
      serverCase = { script, at: Math.floor(rnd() * script.messages.length) };
      if (rnd() < 0.5) base = script.messages[serverCase.at]!;
    }
    let input: Uint8Array;
    if (base[0] === 0x3c && rnd() < 0.5) input = enc.encode(mutateXml(dec.decode(base), rnd));
    else input = mutateBytes(base, rnd, pool);
    const t0 = performance.now();
    let sig: string | undefined;
    try {
      if (target === 'xml') sig = xmlTarget(input);
      else if (target === 'wbxml') sig = wbxmlTarget(input);
      else if (target === 'server') sig = await serverTarget(serverCase!.script, serverCase!.at, input, serverDtd?.sent);
      else {
        // A session gets the mutated package, then (sometimes) a second one, with one of the accounts.
        const second = rnd() < 0.3 ? [mutateBytes(seeds[Math.floor(rnd() * seeds.length)]!, rnd, pool)] : [];
        sessionCase = { account: Math.floor(rnd() * SESSION_ACCOUNTS.length), replies: [input, ...second] };
        sig = `${sessionCase.account}/${await sessionTarget(sessionCase.replies, sessionCase.account, dtd?.sent)}`;
      }
    } catch (e) {
      if (!(e instanceof Finding)) throw e;
      record(e.message, input, i);
    }
    const ms = performance.now() - t0;
    if (dtd && sessionCase) {
      // What the device sent in this case, a finding's case included; checked outside the case's time.
      dtd.tie({ i, c: sessionCase });
      if (dtd.full || i === o.cases - 1) {
        dtd.check(({ i: at, c }, why) => record(`the device sent a message the DM 1.2 DTD refuses: ${why}`, c.replies[0]!, at, c));
      }
    }
    if (serverDtd && serverCase) {
      serverDtd.tie({ i, input, c: serverCase });
      if (serverDtd.full || i === o.cases - 1) {
        serverDtd.check(({ i: at, input: m, c }, why) =>
          record(`the lab server sent a message the DM 1.2 DTD refuses: ${why}`, m, at, undefined, c),
        );
      }
    }
    // Read after a finding too, so that its counts are not lost.
    await meter?.take();
    if (sig === undefined) continue;
    if (ms > slowest) slowest = ms;
    if (ms > caseBudget) record(`slow case: ${ms.toFixed(0)} ms (budget ${caseBudget} ms): a hang or a blowup on this input`, input, i);
    if (!signatures.has(sig)) {
      signatures.add(sig);
      if (pool.length < 4096 && input.length < 65536) pool.push(input);
    }
    if (i % 500 === 0 || i === o.cases - 1) {
      const heap = process.memoryUsage().heapUsed / 1048576;
      maxHeap = Math.max(maxHeap, heap);
      if (heap > heapBudget && !findings.some((f) => f.message.startsWith('heap at')))
        record(`heap at ${heap.toFixed(0)} MB after case ${i} (budget ${heapBudget} MB)`, input, i);
    }
  }
  return {
    target,
    cases: o.cases,
    signatures: signatures.size,
    pool: pool.length,
    findings,
    slowestCaseMs: slowest,
    maxHeapMB: maxHeap,
    ...(meter ? { coverage: meter.report() } : {}),
  };
}
