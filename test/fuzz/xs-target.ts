// Fuzzing the agent on the XS engine with the device's sizes: mutated server packages, answered by the
// agent in one xsnap worker with the device's 640-slot stack, and fixed chunk and slot heaps that leave beyond
// what a plain check needs what the simulator's heaps have left after boot (42 KB and 4490 slots,
// test/xs/device-worker.ts). A worker that aborts
// ("stack overflow", "not enough memory") is a device that would restart: a finding. On Node these
// packages cannot show that; the `session` target checks the rest.
import { decodeMessage } from '../../agent/syncml/codec.js';
import { BALLASTS, XsRunner, ballastObjectSlots, largestBallast, type RunOptions } from '../xs/harness.js';
import { atDeviceLimits, plainCheck, serverXml } from '../xs/device-limits.js';
import { prng, mutateBytes, mutateXml } from './mutate.js';
import { keepFinding } from './findings.js';
import { DEVICE_CHUNK_FREE, DEVICE_SLOTS_FREE, DEVICE_STACK } from '../xs/device-worker.js';
import { serverSeeds } from './targets.js';
import type { FuzzReport } from './fuzz.js';

let sizes: Promise<ConstructorParameters<typeof XsRunner>[0]> | undefined;

/**
 * The worker's sizes: ballasts that leave a plain check what the device has left after boot, more than it
 * needs. Found once per process (some thirty worker runs), shared by a fuzz run and the replays.
 */
function deviceSizes(): Promise<ConstructorParameters<typeof XsRunner>[0]> {
  sizes ??= measureDeviceSizes();
  return sizes;
}

async function measureDeviceSizes(): Promise<ConstructorParameters<typeof XsRunner>[0]> {
  const bytes = await largestBallast(plainCheck, 'chunk');
  const objects = await largestBallast(plainCheck, 'slots');
  if (bytes === undefined || objects === undefined) throw new Error('a plain check does not run on the device-sized worker');
  return {
    stackSlots: DEVICE_STACK,
    ...BALLASTS.chunk.options(bytes - DEVICE_CHUNK_FREE),
    ...BALLASTS.slots.options(objects - Math.ceil(DEVICE_SLOTS_FREE / (await ballastObjectSlots()))),
  };
}

/** A session whose first server package is `input` (its SessionID made the device's, when it is XML text). */
function caseOf(input: Uint8Array): { scenario: ReturnType<typeof plainCheck>['scenario']; options: RunOptions } {
  const { scenario } = plainCheck();
  const serve = (n: number, body: Uint8Array) => {
    const dev = decodeMessage(body);
    if (n > 1) return new TextEncoder().encode(serverXml(dev, ''));
    if (input[0] !== 0x3c) return input;
    const text = new TextDecoder()
      .decode(input)
      .replace(/<SessionID>[^<]{0,8}<\/SessionID>/, `<SessionID>${dev.hdr.sessionId}</SessionID>`);
    return new TextEncoder().encode(text);
  };
  return { scenario, options: { serve } };
}

export async function xsFuzz(o: { cases: number; seed: number; saveFindings?: boolean }): Promise<FuzzReport> {
  const rnd = prng(o.seed);
  const seeds = serverSeeds();
  const pool = [...seeds];
  const runner = new XsRunner(await deviceSizes());
  const signatures = new Set<string>();
  const findings: FuzzReport['findings'] = [];
  let slowest = 0;
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  try {
    // The heaviest session the device allows must itself fit, or every finding would be noise.
    const limits = atDeviceLimits();
    const check = await runner.run(limits.scenario, limits.options);
    if (!('result' in check) || !check.result.ok)
      throw new Error(`the device-limits session does not fit the fuzz worker: ${JSON.stringify(check)}`);
    for (let i = 0; i < o.cases; i++) {
      const base = pool[Math.floor(rnd() * pool.length)]!;
      const input = base[0] === 0x3c && rnd() < 0.5 ? enc.encode(mutateXml(dec.decode(base), rnd)) : mutateBytes(base, rnd, pool);
      const c = caseOf(input);
      const t0 = performance.now();
      const r = await runner.run(c.scenario, c.options);
      slowest = Math.max(slowest, performance.now() - t0);
      if (!('result' in r)) {
        keepFinding(
          findings,
          'aborted' in r ? `the XS worker aborted: ${r.aborted}` : `failure on XS: ${r.failure}`,
          o.saveFindings && { name: `xs-seed${o.seed}-case${i}.bin`, data: input },
        );
        continue;
      }
      const sig = `${r.result.ok}/${(r.result.error ?? '').replace(/\d+/g, 'N').slice(0, 50)}/${r.result.roundTrips}`;
      if (!signatures.has(sig)) {
        signatures.add(sig);
        if (pool.length < 1024) pool.push(input);
      }
    }
  } finally {
    await runner.close();
  }
  return {
    target: 'xs',
    cases: o.cases,
    signatures: signatures.size,
    pool: pool.length,
    findings,
    slowestCaseMs: slowest,
    maxHeapMB: process.memoryUsage().heapUsed / 1048576,
  };
}

/** Replays one saved input on a fresh device-sized worker; the outcome as xsFuzz sees it. */
export async function xsReplay(input: Uint8Array): Promise<string | undefined> {
  const runner = new XsRunner(await deviceSizes());
  try {
    const c = caseOf(input);
    const r = await runner.run(c.scenario, c.options);
    return 'result' in r ? undefined : JSON.stringify(r);
  } finally {
    await runner.close();
  }
}
