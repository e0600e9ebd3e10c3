#!/usr/bin/env node
// `npm run test:sim`: the device agent on the Moddable SDK's simulator (test/sim/*.sim.ts), one file at a
// time, one simulator at a time. Needs $MODDABLE (the SDK, built for Linux), mcconfig and a TypeScript 6+
// tsc on the PATH, Xvfb, xdotool and ImageMagick; without MODDABLE it prints a NOTICE and exits 0.
// Usage: node scripts/test-sim.mjs [substring ...]  — only the tests whose name contains a substring.
// DM_SIM_KEEP=1 keeps the work folder (builds, the simulator's file system) for a look afterwards;
// DM_SIM_SOURCE=<dir> builds the device code of another checkout (e.g. an export of a commit);
// DM_SIM_DEBUG=1 logs every screen kind the waits see.
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
if (!process.env.MODDABLE) {
  console.log('NOTICE: MODDABLE is not set; the simulator suite (test/sim) is skipped. See manifests/README.md, "Simulator suite".');
  process.exit(0);
}
const dir = join(root, 'test', 'sim');
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.sim.ts'))
  .sort()
  .map((f) => join('test', 'sim', f));
const filters = process.argv.slice(2);
// A run of every case starts from an empty output folder; a run of some keeps the other cases' files.
if (!filters.length) rmSync(join(dir, 'out'), { recursive: true, force: true });
const names = filters.length ? ['--test-name-pattern', filters.map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')] : [];
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', ...names, ...files], {
  cwd: root,
  stdio: 'inherit',
});
const table = join(dir, 'out', 'table.md');
if (existsSync(table)) {
  console.log(`\n${readFileSync(table, 'utf8')}`);
  console.log(`(written to ${join('test', 'sim', 'out', 'table.md')})`);
}
process.exit(r.status ?? 1);
