// `npm run fuzz [-- --cases N] [--seed S] [--target xml|wbxml|session|server|xs|libxml2|libwbxml] [--coverage]`: a longer fuzz run
// than the one in `npm test`; `--coverage` also measures the blocks of agent/ the cases reach, per file (not
// for xs, whose agent runs in an xsnap worker). Findings are written to test/fuzz/regressions/ (replayed by the test suite)
// and make it exit 1.
import { parseArgs } from 'node:util';
import { fuzz, type TargetName } from './fuzz.js';
import { hasTool, needDtd } from '../helpers/peers.js';

const { values } = parseArgs({
  options: {
    cases: { type: 'string', default: '20000' },
    seed: { type: 'string', default: String(Date.now() % 1e9) },
    target: { type: 'string', multiple: true },
    coverage: { type: 'boolean', default: false },
  },
});
const cases = Number(values.cases);
const seed = Number(values.seed);
if (!Number.isInteger(cases) || cases <= 0 || !Number.isInteger(seed)) {
  process.stderr.write(
    'usage: npm run fuzz -- [--cases N] [--seed S] [--target xml|wbxml|session|server|xs|libxml2|libwbxml]... [--coverage]\n',
  );
  process.exit(2);
}
// libxml2 and libwbxml (our readers against xmllint and wbxml2xml) run by default where those are installed.
const xmllint = hasTool('xmllint');
// The DTD checks of the session and server targets also need ../shared/tools/make-dm12-dtd.sh (a NOTICE when absent).
const dtd = xmllint && needDtd() === false;
const targets = (values.target ?? [
  'xml',
  'wbxml',
  'session',
  'server',
  'xs',
  ...(xmllint ? ['libxml2'] : []),
  ...(hasTool('wbxml2xml') ? ['libwbxml'] : []),
]) as TargetName[];
let found = 0;
for (const t of targets) {
  const t0 = performance.now();
  // A session or lab server case costs more than a decoder case, an XS case (in an xsnap worker) and a libwbxml one (a
  // wbxml2xml process each) more again.
  const r = await fuzz(t, {
    cases: t === 'session' || t === 'server' ? Math.ceil(cases / 4) : t === 'xs' || t === 'libwbxml' ? Math.ceil(cases / 100) : cases,
    seed,
    saveFindings: true,
    coverage: values.coverage,
    dtd,
  });
  found += r.findings.length;
  process.stdout.write(
    `${t.padEnd(8)} seed ${seed}: ${r.cases} cases in ${((performance.now() - t0) / 1000).toFixed(1)} s, ${r.signatures} distinct outcomes, ` +
      `pool ${r.pool}${r.coverage ? `, ${r.coverage.blocks} blocks of agent/ reached` : ''}, slowest case ${r.slowestCaseMs.toFixed(1)} ms, heap ≤ ${r.maxHeapMB.toFixed(0)} MB, ${r.findings.length} finding(s)\n`,
  );
  for (const c of r.coverage?.files ?? [])
    process.stdout.write(`  ${c.file.padEnd(32)} ${String(c.reached).padStart(5)} of ${c.known} blocks reached\n`);
  for (const f of r.findings.slice(0, 10)) process.stdout.write(`  ${f.message.split('\n')[0]}${f.file ? ` → ${f.file}` : ''}\n`);
}
process.exit(found ? 1 : 0);
