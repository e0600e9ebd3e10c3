// The fleet simulator's figures, each run as its own process (`dm-agent fleet … --json`) so that one run's
// heap and JIT state do not colour the next, and so that RSS is that of the fleet alone. The target is per
// core, so where `taskset` exists the whole process (its garbage-collector and I/O threads too) is pinned to
// one CPU; elsewhere the figure is for the whole machine, and the label says so.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { FleetSummary } from '../lab/fleet/fleet.js';

const root = new URL('..', import.meta.url).pathname;

export interface FleetRun {
  what: string;
  /** Pinned to one CPU (taskset -c 0). */
  oneCore: boolean;
  args: string[];
  /** The median run by sessions/s, when several were made. */
  summary?: FleetSummary;
  /** Sessions/s of every run, lowest first. */
  range?: number[];
  error?: string;
}

const oneCore = process.platform === 'linux' && spawnSync('taskset', ['-c', '0', 'true']).status === 0;

function run(what: string, args: string[]): FleetRun {
  const node = [process.execPath, '--import', 'tsx', join(root, 'lab/cli.ts'), 'fleet', '--server', 'inproc', '--json', ...args];
  const r = oneCore
    ? spawnSync('taskset', ['-c', '0', ...node], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 24 })
    : spawnSync(node[0]!, node.slice(1), { cwd: root, encoding: 'utf8', maxBuffer: 1 << 24 });
  what += oneCore ? ', one core' : ', all cores (no taskset)';
  try {
    return { what, oneCore, args, summary: JSON.parse(r.stdout) as FleetSummary };
  } catch {
    return { what, oneCore, args, error: `exit ${r.status}: ${(r.stderr || r.stdout).trim().slice(0, 300)}` };
  }
}

/** The median of runs by `by` (default sessions/s), with the range; a failed run is the result. */
function median(runs: FleetRun[], by: (s: FleetSummary) => number = (s) => s.sessionsPerS): FleetRun {
  const failed = runs.find((r) => !r.summary);
  if (failed) return failed;
  const sorted = [...runs].sort((a, b) => by(a.summary!) - by(b.summary!));
  const mid = sorted[Math.floor(sorted.length / 2)]!;
  return { ...mid, what: `${mid.what}, median of ${runs.length} runs`, range: sorted.map((r) => by(r.summary!)) };
}

export function measureFleet(repeats = 3): Record<'checks' | 'checksWbxml' | 'updates' | 'tenThousand', FleetRun> {
  const current = join(root, 'lab/examples/device-current.json');
  const throughput: [key: 'checks' | 'checksWbxml' | 'updates', what: string, args: string[]][] = [
    // Devices already on the catalog's versions: every session is a check that finds nothing (the common case).
    ['checks', '1000 devices × 5 checks, XML', ['--devices', '1000', '--sessions', '5', '--device', current]],
    ['checksWbxml', '1000 devices × 5 checks, WBXML', ['--devices', '1000', '--sessions', '5', '--device', current, '--encoding', 'wbxml']],
    // The example device is behind the catalog: each session downloads, installs and reports an update.
    // 5000 sessions, as many as the checks: a run of 1000 is mostly warm-up (593–605/s, against about 1000/s
    // over 5000 or 10,000).
    ['updates', '5000 devices × 1 session with an update, XML', ['--devices', '5000']],
  ];
  // One run of a figure varies by ±5% on a shared machine: each is run `repeats` times, the figures taking
  // turns so that a slow spell of the machine does not fall on one figure's runs only, and the median kept.
  const runs = new Map<string, FleetRun[]>();
  for (let k = 0; k < repeats; k++) {
    for (const [key, what, args] of throughput) runs.set(key, [...(runs.get(key) ?? []), run(what, args)]);
  }
  return {
    checks: median(runs.get('checks')!),
    checksWbxml: median(runs.get('checksWbxml')!),
    updates: median(runs.get('updates')!),
    // The peak RSS of one run varies by ±10% with when the major collections fall (720–865 MB seen for one
    // commit): the median of three, by RSS.
    tenThousand: median(
      Array.from({ length: repeats }, () => run('10,000 devices × 1 session with an update, XML', ['--devices', '10000'])),
      (s) => s.peakRssMB,
    ),
  };
}
