// docs/cli.md, made from the verbs' specs: `npm run docs:cli` writes it, and test/lab/cli-docs.test.ts fails
// when the file differs from what the specs make (or when a README names an option no spec has).
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defaultOf, optionSynopsis, synopses, type VerbSpec } from './args.js';
import { allVerbs } from './cli.js';

export const CLI_DOC = fileURLToPath(new URL('../docs/cli.md', import.meta.url));

/** Markdown text: `<` escaped outside code spans; `|` everywhere in a table cell, which would end at one. */
function md(text: string, cell = true): string {
  const bars = (t: string) => (cell ? t.replace(/\|/g, '\\|') : t);
  return text
    .split('`')
    .map((part, i) => bars(i % 2 ? part : part.replace(/</g, '&lt;')))
    .join('`');
}

function verbSection(spec: VerbSpec): string[] {
  const lines = [
    `## dm-agent ${spec.name}`,
    '',
    `${md(spec.summary[0]!.toUpperCase() + spec.summary.slice(1), false)}.`,
    '',
    '```',
    ...synopses(spec),
    '```',
  ];
  for (const p of spec.description ?? []) lines.push('', md(p, false));
  lines.push('', '| option | default | what |', '| --- | --- | --- |');
  for (const a of spec.args ?? []) lines.push(`| \`${a.name}\` | ${a.optional ? '' : 'required'} | ${md(a.description)} |`);
  for (const [name, o] of Object.entries(spec.options)) {
    const d = o.required ? 'required' : defaultOf(o);
    lines.push(`| ${md(`\`${optionSynopsis(name, o)}\``)} | ${d === undefined ? '' : md(d)} | ${md(o.description)} |`);
  }
  return lines;
}

/** The reference page: what every verb does and takes, from its spec. */
export async function cliReference(): Promise<string> {
  const specs = (await allVerbs()).map((v) => v.spec);
  const lines = [
    '# The `dm-agent` command',
    '',
    "<!-- Made by `npm run docs:cli` from the verbs' specs in lab/commands/*.ts: edit those, not this page. -->",
    '',
    '`npx dm-agent …` (or `node lab/bin/dm-agent.js …`) from a clone after `npm ci`. `dm-agent --help` lists the verbs and ' +
      "`dm-agent <verb> --help` gives a verb's options, from the same specs as this page.",
    '',
    "Errors go to stderr with exit code 1 (2 for usage errors, such as an unknown option), with the agent's stable error " +
      "code and the DM status it maps to, e.g. `no deployed component 'nope' … [DM_ERR_UNKNOWN_COMPONENT, DM status 404]`. " +
      'A state folder another process is using is refused with exit code 4, and `run` says more with its exit code ' +
      '([its exit codes](#dm-agent-run)). A reader that stops early (`dm-agent alert … | head -c 100`) ends the command ' +
      'quietly, with status 0.',
    '',
    '| verb | what it does |',
    '| --- | --- |',
    ...specs.map((s) => `| [\`${s.name}\`](#dm-agent-${s.name}) | ${md(s.summary)} |`),
  ];
  for (const s of specs) lines.push('', ...verbSection(s));
  return `${lines.join('\n')}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  writeFileSync(CLI_DOC, await cliReference());
  process.stdout.write(`${CLI_DOC} written\n`);
}
