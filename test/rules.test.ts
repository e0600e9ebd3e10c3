// Rules for the test suite itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

const here = new URL('.', import.meta.url).pathname;

function testFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) testFiles(p, out);
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
  const found = testFiles(here).flatMap((f) => assertsWithoutMessage(f, readFileSync(f, 'utf8')));
  assert.deepEqual(found, [], `give these a message: ${found.join(', ')}`);
  // The check itself finds one.
  assert.deepEqual(assertsWithoutMessage(join(here, 'x.ts'), 'assert.ok(a);\nassert(b);\nassert.ok(c, "m");\n'), [
    'test/x.ts:1',
    'test/x.ts:2',
  ]);
});
