// The CLI's specs: one per verb, which parses its options and answers --help.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { main, allVerbs, usage } from '../../lab/cli.js';
import { defineVerb, parse, verbUsage, UsageError } from '../../lab/args.js';

class Sink {
  text = '';
  write(s: string | Uint8Array) {
    this.text += typeof s === 'string' ? s : Buffer.from(s).toString();
    return true;
  }
}

test('every verb answers --help with the usage its spec makes, exit 0; dm-agent --help lists every verb', async () => {
  for (const { spec } of await allVerbs()) {
    const out = new Sink();
    assert.equal(await main([spec.name, '--help'], out as never, out as never), 0, spec.name);
    assert.equal(out.text, verbUsage(spec));
    assert.match(out.text, new RegExp(`^usage: dm-agent ${spec.name}`));
    for (const name of Object.keys(spec.options)) assert.ok(out.text.includes(`--${name}`), `${spec.name} --help names --${name}`);
    const viaHelp = new Sink();
    assert.equal(await main(['help', spec.name], viaHelp as never, viaHelp as never), 0);
    assert.equal(viaHelp.text, out.text);
  }
  const out = new Sink();
  assert.equal(await main(['--help'], out as never, out as never), 0);
  assert.equal(out.text, await usage());
  for (const { spec } of await allVerbs()) assert.match(out.text, new RegExp(`\\n  ${spec.name} +\\S`));
  const none = new Sink();
  assert.equal(await main([], none as never, none as never), 2, 'no verb: usage on stderr, exit 2');
});

test('an unknown option is a usage error (exit 2) naming the nearest known option', async () => {
  const err = new Sink();
  assert.equal(await main(['run', '--servr', 'http://x/dm'], new Sink() as never, err as never), 2);
  assert.match(err.text, /^dm-agent run: unknown option --servr \(did you mean --server\?\)\n\(dm-agent run --help lists its options\)\n$/);
  const err2 = new Sink();
  assert.equal(await main(['serve', '--broker', 'mqtt://b'], new Sink() as never, err2 as never), 2);
  assert.match(err2.text, /unknown option --broker \(did you mean --broker-port\?\)/);
  const verb = new Sink();
  assert.equal(await main(['fleat'], new Sink() as never, verb as never), 2);
  assert.match(verb.text, /unknown verb 'fleat' \(did you mean fleet\?\)/);
});

test('the parser: types, defaults, required options, positionals, --name=value; what was given', () => {
  const spec = defineVerb({
    name: 't',
    summary: 'a test verb',
    args: [{ name: 'FILE', description: 'a file' }],
    options: {
      n: { type: 'int', default: 3, min: 1, description: 'n' },
      x: { type: 'number', above: 0, description: 'x' },
      c: { type: 'choice', choices: ['a', 'b'], required: true, description: 'c' },
      s: { type: 'string', check: (v) => (v.startsWith('ok') ? undefined : 'must start with ok'), description: 's' },
      f: { type: 'boolean', description: 'f' },
    },
  });
  const p = parse(spec, ['--c=b', 'file', '--x', '2.5', '--f']);
  assert.deepEqual(p.options, { c: 'b', x: 2.5, f: true, n: 3 });
  assert.deepEqual(p.args, ['file']);
  assert.deepEqual([...p.given].sort(), ['c', 'f', 'x']);
  const refused = (argv: string[], re: RegExp) =>
    assert.throws(
      () => parse(spec, argv),
      (e: Error) => e instanceof UsageError && re.test(e.message),
    );
  refused(['file'], /^--c a\|b is required$/);
  refused(['--c', 'z', 'file'], /^--c must be one of a\|b, not 'z'$/);
  refused(['--c', 'a', '--n', '0', 'file'], /^--n must be at least 1, not 0$/);
  refused(['--c', 'a', '--n', 'two', 'file'], /^--n must be a non-negative integer, not 'two'$/);
  refused(['--c', 'a', '--x', '0', 'file'], /^--x must be a number > 0, not '0'$/);
  refused(['--c', 'a', '--s', 'bad', 'file'], /^--s must start with ok, not 'bad'$/);
  refused(['--c', 'a'], /^give FILE: a file$/);
  refused(['--c', 'a', 'file', 'more'], /^unexpected argument 'more'$/);
  refused(['--c'], /^--c needs a value$/);
});
