// What a lab server left running keeps: rounds of update runs (the in-process fleet, each round a fresh set
// of devices) against one LabDmServer, its heap read after a forced collection. Once its histories are full
// (10,000 entries) and each device holds the 16 deployments it keeps, a bounded server stops growing. Run as
// its own process with --expose-gc (measureLabMemory).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

export interface LabMemory {
  /** Heap after a collection once the histories and the devices' deployments are full, then 20 rounds later. */
  fullMB: number;
  laterMB: number;
  /** Update runs between the two. */
  runs: number;
  /** (laterMB - fullMB) per update run, in bytes. */
  bytesPerRun: number;
}

export function measureLabMemory(): LabMemory | { error: string } {
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', join(root, 'bench/lab-memory.ts'), '--child'], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  try {
    return JSON.parse(r.stdout) as LabMemory;
  } catch {
    return { error: `exit ${r.status}: ${(r.stderr || r.stdout).trim().slice(0, 300)}` };
  }
}

async function child(): Promise<void> {
  const { startLab } = await import('../lab/server/lab.js');
  const { runFleet } = await import('../lab/fleet/fleet.js');
  const { fleetAccounts } = await import('../lab/fleet/accounts.js');
  const { parseDevices } = await import('../lab/server/auth.js');
  const { loadCatalog } = await import('../lab/server/catalog.js');
  const { loadDevice } = await import('../lab/commands/common.js');
  const { InprocPackages } = await import('../lab/fleet/inproc-packages.js');
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  const devices = 1000;
  const template = loadDevice(join(root, 'lab/examples/device.json'));
  const catalog = loadCatalog(join(root, 'lab/examples/catalog.json'));
  const lab = await startLab({ catalog, devices: parseDevices(fleetAccounts(template, devices, 'per-device')) });
  const heapAfter = async (rounds: number): Promise<number> => {
    for (let r = 0; r < rounds; r++) {
      const s = await runFleet({
        template,
        devices,
        sessionsPerDevice: 1,
        concurrency: 64,
        rampSeconds: 0,
        trigger: 'device',
        encoding: 'xml',
        target: { kind: 'inproc', server: lab.server, url: lab.dmUrl, packages: new InprocPackages(catalog, lab.packagesUrl) },
      });
      if (s.ok !== devices) throw new Error(`a round had ${s.failed} failed sessions`);
    }
    // The last round's devices are garbage only once its promises have settled.
    await new Promise((r) => setTimeout(r, 100));
    gc();
    gc();
    return process.memoryUsage().heapUsed / 1048576;
  };
  const fullMB = await heapAfter(17);
  const laterMB = await heapAfter(20);
  await lab.close();
  const runs = 20 * devices;
  process.stdout.write(`${JSON.stringify({ fullMB, laterMB, runs, bytesPerRun: ((laterMB - fullMB) * 1048576) / runs })}\n`);
}

if (process.argv.includes('--child')) await child();
