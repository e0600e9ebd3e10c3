// The fleet simulator's figures, each run as its own process (`dm-agent fleet … --json`) so that one run's
// heap and JIT state do not colour the next, and so that RSS is that of the fleet alone.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { FleetSummary } from '../lab/fleet/fleet.js';

const root = new URL('..', import.meta.url).pathname;

export interface FleetRun {
  what: string;
  args: string[];
  summary?: FleetSummary;
  error?: string;
}

function run(what: string, args: string[]): FleetRun {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'lab/cli.ts'), 'fleet', '--server', 'inproc', '--json', ...args],
    { cwd: root, encoding: 'utf8', maxBuffer: 1 << 24 });
  try {
    return { what, args, summary: JSON.parse(r.stdout) as FleetSummary };
  } catch {
    return { what, args, error: `exit ${r.status}: ${(r.stderr || r.stdout).trim().slice(0, 300)}` };
  }
}

export function measureFleet(): Record<'checks' | 'checksWbxml' | 'updates' | 'tenThousand', FleetRun> {
  const current = join(root, 'lab/examples/device-current.json');
  return {
    // Devices already on the catalog's versions: every session is a check that finds nothing (the common case).
    checks: run('1000 devices × 5 checks, XML', ['--devices', '1000', '--sessions', '5', '--device', current]),
    checksWbxml: run('1000 devices × 5 checks, WBXML', ['--devices', '1000', '--sessions', '5', '--device', current, '--encoding', 'wbxml']),
    // The example device is behind the catalog: each session downloads, installs and reports an update.
    updates: run('1000 devices × 1 session with an update, XML', ['--devices', '1000']),
    tenThousand: run('10,000 devices × 1 session with an update, XML', ['--devices', '10000']),
  };
}
