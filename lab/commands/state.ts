// `dm-agent state`: what a device's state folder holds (the DM tree, the alert queue, the SCOMO journal, the
// installed components), read without changing anything: no lock taken, no file written, no recovery saved.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Log, Storage } from '../../agent/ports.js';
import { AlertQueue } from '../../agent/alerts/queue.js';
import { JobJournal } from '../../agent/scomo/jobs.js';
import { deserializeTree } from '../../agent/tree/persist-format.js';
import type { TNode } from '../../agent/tree/node.js';
import { FileInstaller } from '../../platform/node/file-installer.js';
import { MemoryDownloader } from '../../platform/node/memory-downloader.js';
import { defineVerb, parse, UsageError, type Verb } from '../args.js';
import { withDefined } from '../../agent/util/options.js';

const PARTS = ['tree', 'queue', 'jobs', 'components'] as const;
type Part = (typeof PARTS)[number];

export const stateSpec = defineVerb({
  name: 'state',
  summary: "print what a device's state folder holds (tree, queued alerts, SCOMO jobs, components) without changing it",
  description: [
    "Reads the folder that `run` and `device` keep (--state): the DM tree with each node's format, type and ACL, the " +
      'alerts queued for the next session, the SCOMO jobs in the journal (operations not yet reported) and the installed ' +
      'components. Nothing is written, and no lock is taken: it may read a folder a running device holds. A file that cannot ' +
      'be read is named on stderr; the device would set it aside at its next boot.',
  ],
  args: [{ name: 'WHAT', optional: true, description: `one of ${PARTS.join(', ')}; all of them when left out` }],
  options: {
    state: {
      type: 'string',
      value: 'DIR',
      required: true,
      description: 'the state folder, as given to run or device (default there: .dm-state/<DevId>)',
    },
    json: { type: 'boolean', description: 'one JSON object: { tree, queue, jobs, components }, or only the part asked for' },
  },
});

/** The Storage port over a folder, for reading: writes and removals (an agent's recoveries) are dropped. */
class ReadOnlyStorage implements Storage {
  constructor(private readonly dir: string) {}
  read(key: string): string | undefined {
    const file = join(this.dir, key);
    return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
  }
  write(): void {
    /* read-only */
  }
  remove(): void {
    /* read-only */
  }
  keys(): string[] {
    return existsSync(this.dir) ? readdirSync(this.dir) : [];
  }
}

interface NodeRow {
  path: string;
  format: string;
  type?: string;
  acl?: string;
  value?: string;
}

function treeRows(dir: string, log: Log): NodeRow[] | undefined {
  const file = join(dir, 'agent', 'tree');
  if (!existsSync(file)) return undefined;
  let root: TNode;
  try {
    root = deserializeTree(readFileSync(file, 'utf8'));
  } catch (e) {
    log.log('warn', `${file}: ${(e as Error).message}`);
    return undefined;
  }
  const rows: NodeRow[] = [];
  const todo: { n: TNode; path: string }[] = [{ n: root, path: '.' }];
  while (todo.length) {
    const { n, path } = todo.pop()!;
    const v = n.value;
    rows.push(
      withDefined(
        { path, format: n.format },
        { type: n.type || undefined, acl: n.acl, value: v === undefined || typeof v === 'string' ? v : `(${v.length} bytes)` },
      ),
    );
    const kids = n.children ?? [];
    for (let k = kids.length - 1; k >= 0; k--) todo.push({ n: kids[k]!, path: `${path}/${kids[k]!.name}` });
  }
  return rows;
}

export async function stateCommand(
  argv: string[],
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream = process.stderr,
): Promise<number> {
  const { options: o, args } = parse(stateSpec, argv);
  const what = args[0];
  if (what !== undefined && !(PARTS as readonly string[]).includes(what))
    throw new UsageError(`WHAT must be one of ${PARTS.join(', ')}, not '${what}'`);
  if (!existsSync(o.state) || !statSync(o.state).isDirectory()) throw new Error(`${o.state}: no such state folder`);
  const log: Log = {
    log: (level, message) => {
      if (level === 'error' || level === 'warn') err.write(`dm-agent state: ${message}\n`);
    },
  };
  const agentStore = new ReadOnlyStorage(join(o.state, 'agent'));
  const get: Record<Part, () => unknown> = {
    tree: () => treeRows(o.state, log) ?? [],
    queue: () => new AlertQueue(agentStore, { log }).pending(),
    jobs: () => new JobJournal(agentStore).open(),
    components: () =>
      new FileInstaller(new ReadOnlyStorage(join(o.state, 'components')), new MemoryDownloader(), [], {
        where: join(o.state, 'components', 'installed'),
        log,
      }).list(),
  };
  const parts = what ? [what as Part] : [...PARTS];
  const result = Object.fromEntries(parts.map((p) => [p, get[p]()])) as Partial<Record<Part, unknown[]>>;
  if (o.json) {
    out.write(`${JSON.stringify(what ? result[what as Part] : result)}\n`);
    return 0;
  }
  for (const p of parts) {
    const rows = result[p]!;
    if (!what) out.write(`${p} (${rows.length}):\n`);
    if (rows.length === 0) out.write('  (none)\n');
    for (const r of rows) out.write(`  ${line(p, r)}\n`);
  }
  return 0;
}

function line(part: Part, r: unknown): string {
  switch (part) {
    case 'tree': {
      const n = r as NodeRow;
      return [
        n.path,
        n.format + (n.type ? ` ${n.type}` : ''),
        n.acl !== undefined ? `acl=${n.acl}` : '',
        n.value !== undefined ? `= ${n.value}` : '',
      ]
        .filter(Boolean)
        .join('  ');
    }
    case 'queue': {
      const a = r as { id: string; type: string; source?: string; target?: string; mark?: string; data: string };
      return [
        a.id,
        a.type,
        a.source ? `source=${a.source}` : '',
        a.target ? `target=${a.target}` : '',
        a.mark ? `mark=${a.mark}` : '',
        a.data ? `data=${a.data}` : '',
      ]
        .filter(Boolean)
        .join('  ');
    }
    case 'jobs': {
      const j = r as { id: string; op: string; node: string; step: string; result?: number; tries?: number };
      return [
        j.id,
        j.op,
        j.node,
        `step=${j.step}`,
        j.result !== undefined ? `result=${j.result}` : '',
        j.tries !== undefined ? `tries=${j.tries}` : '',
      ]
        .filter(Boolean)
        .join('  ');
    }
    case 'components': {
      const c = r as { id: string; name: string; version: string; active: boolean };
      return `${c.name} ${c.version}  ${c.id}  ${c.active ? 'active' : 'inactive'}`;
    }
  }
}

export const stateVerb: Verb = { spec: stateSpec, run: stateCommand };
