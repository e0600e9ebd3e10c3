// docs/cli.md is made from the verbs' specs (npm run docs:cli), and the READMEs name only options a spec has.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { allVerbs } from '../../lab/cli.js';
import { cliReference, CLI_DOC } from '../../lab/cli-docs.js';
import { repoRoot } from '../helpers/peers.js';

test('docs/cli.md is what the specs make (npm run docs:cli writes it)', async () => {
  assert.equal(readFileSync(CLI_DOC, 'utf8'), await cliReference(), 'docs/cli.md is stale: run npm run docs:cli');
});

/** Every `dm-agent <verb> …` in a page's code (inline spans and fenced lines), with the options it names. */
function commandsIn(text: string): { verb: string; options: string[]; where: string }[] {
  const fenced = [...text.matchAll(/```[a-z]*\n([\s\S]*?)```/g)].flatMap((m) => m[1]!.split('\n'));
  const inline = [...text.replace(/```[\s\S]*?```/g, '').matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
  return [...fenced, ...inline].flatMap((code) => {
    const m = /dm-agent(?:\.js)?\s+([a-z]+)(.*)/s.exec(code);
    return m ? [{ verb: m[1]!, options: [...m[2]!.matchAll(/--([a-z][a-z-]*)/g)].map((o) => o[1]!), where: code }] : [];
  });
}

test("the READMEs name no option a spec does not have: in a verb's command line, none that verb lacks", async () => {
  const specs = new Map((await allVerbs()).map((v) => [v.spec.name, v.spec]));
  const known = new Set([...specs.values()].flatMap((s) => Object.keys(s.options)));
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const section = /## The `dm-agent` command\n([\s\S]*?)\n## /.exec(readme)![1]!;
  for (const [, name] of section.matchAll(/--([a-z][a-z-]*)/g))
    assert.ok(known.has(name!) || name === 'help', `README's CLI section names --${name}`);
  for (const page of ['README.md', 'lab/server/README.md', 'docs/cli.md']) {
    for (const c of commandsIn(readFileSync(join(repoRoot, page), 'utf8'))) {
      const spec = specs.get(c.verb);
      assert.ok(spec, `${page}: no verb ${c.verb} (${c.where})`);
      for (const o of c.options) assert.ok(o in spec.options || o === 'help', `${page}: dm-agent ${c.verb} has no --${o} (${c.where})`);
    }
  }
});
