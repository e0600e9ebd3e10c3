// Rules for the test suite itself, and one for the sources that Biome has no rule for (conditional spreads).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

const here = new URL('.', import.meta.url).pathname;

function tsFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) tsFiles(p, out);
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** Calls of assert.ok(x) or assert(x) with no message, as file:line. */
export function assertsWithoutMessage(file: string, text: string): string[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && node.arguments.length === 1 && ['assert.ok', 'assert'].includes(node.expression.getText(sf))) {
      found.push(`${relative(join(here, '..'), file)}:${sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

test('every assert.ok in the tests has a message: without one, a failure makes Node read the source for it, which hung the runner', () => {
  // Seen in test/lab/server/dm-server.test.ts: a failing assert.ok(logs.some((l) => /…/.test(l))) hung node:test
  // (reading and parsing the file for the expression's text, at a position the TypeScript source maps moved),
  // where CI would have waited for its timeout instead of naming the test.
  const found = tsFiles(here).flatMap((f) => assertsWithoutMessage(f, readFileSync(f, 'utf8')));
  assert.deepEqual(found, [], `give these a message: ${found.join(', ')}`);
  // The check itself finds one.
  assert.deepEqual(assertsWithoutMessage(join(here, 'x.ts'), 'assert.ok(a);\nassert(b);\nassert.ok(c, "m");\n'), [
    'test/x.ts:1',
    'test/x.ts:2',
  ]);
});

/** Spreads of a conditional with an empty object on one side, `...(c ? { k: v } : {})` or `...(c ? {} : { … })`, as file:line. */
export function conditionalSpreads(file: string, text: string): string[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const found: string[] = [];
  const isEmptyObject = (e: ts.Expression): boolean => {
    const inner = ts.isParenthesizedExpression(e) ? e.expression : e;
    return ts.isObjectLiteralExpression(inner) && inner.properties.length === 0;
  };
  const visit = (node: ts.Node): void => {
    if (ts.isSpreadAssignment(node)) {
      let e = node.expression;
      while (ts.isParenthesizedExpression(e)) e = e.expression;
      if (ts.isConditionalExpression(e) && (isEmptyObject(e.whenTrue) || isEmptyObject(e.whenFalse))) {
        found.push(`${relative(join(here, '..'), file)}:${sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1}`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

test('no conditional spread of an optional entry in agent/, lab/ or platform/: withDefined writes it', () => {
  // Issue #20, item 8: about a hundred `...(x ? { x } : {})` said one thing, "leave the entry out when it is not
  // given", a hundred ways; agent/util/options.ts says why an absent entry is left out (one XS slot a property)
  // and withDefined(target, { k: v }) writes only the defined ones.
  const root = join(here, '..');
  const found = ['agent', 'lab', 'platform'].flatMap((d) =>
    tsFiles(join(root, d)).flatMap((f) => conditionalSpreads(f, readFileSync(f, 'utf8'))),
  );
  assert.deepEqual(found, [], `write these with withDefined (agent/util/options.ts): ${found.join(', ')}`);
  // The check itself finds both forms, on one line and over several; a spread of a value or of `x ?? {}` is no concern of it.
  const sample = [
    'const a = { ...(x ? { x } : {}) };',
    'const b = {',
    '  ...(quiet',
    '    ? {}',
    '    : { log }),',
    '};',
    'const c = { ...d, ...(e ?? {}), ...(f ? { g } : { h }), i: j ? {} : k };',
  ].join('\n');
  assert.deepEqual(conditionalSpreads(join(here, 'x.ts'), sample), ['test/x.ts:1', 'test/x.ts:3']);
});

/** Top-level `let` or `var` declarations of a module, as file:line: state its body leaves to be changed later. */
export function moduleVariables(file: string, text: string): string[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  return sf.statements.flatMap((s) =>
    ts.isVariableStatement(s) && (s.declarationList.flags & ts.NodeFlags.Const) === 0
      ? [`${relative(join(here, '..'), file)}:${sf.getLineAndCharacterOfPosition(s.getStart(sf)).line + 1}`]
      : [],
  );
}

test('no module-level let or var in the preloaded code (agent/, platform/moddable/): make such state at boot', () => {
  // A preloaded module's body runs in the XS linker: what it leaves is in flash, and a variable it means to
  // set later is state outside every object the device made at boot (CONTRIBUTING.md, "No mutable state at
  // module level"). A lazily made native object belongs to an instance made at boot (platform/moddable/utf8.ts).
  const root = join(here, '..');
  const found = ['agent', 'platform/moddable'].flatMap((d) =>
    tsFiles(join(root, d)).flatMap((f) => moduleVariables(f, readFileSync(f, 'utf8'))),
  );
  assert.deepEqual(found, [], `module-level state in preloaded code: ${found.join(', ')}`);
  const sample = ['let a: number | undefined;', 'const b = 1;', 'function f() { let c = 2; return c; }', 'var d = 3;'].join('\n');
  assert.deepEqual(moduleVariables(join(here, 'x.ts'), sample), ['test/x.ts:1', 'test/x.ts:4']);
});
