import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { repoRoot } from '../../helpers/peers.js';
import {
  digitsEnd,
  hasSpace,
  isAsciiLetter,
  isDigits,
  isFloatText,
  isHexDigits,
  isSpace,
  isTimeText,
  isUrlOf,
  trimEndChar,
} from '../../../agent/util/scan.js';

/** Deterministic strings over `alphabet` of lengths 0..maxLen (a small xorshift, so failures replay). */
function* strings(alphabet: string, count: number, maxLen: number, heads: string[] = [''], seed = 7): Generator<string> {
  let x = seed;
  const next = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
  for (let n = 0; n < count; n++) {
    const len = Math.floor(next() * (maxLen + 1));
    let s = heads[Math.floor(next() * heads.length)]!;
    for (let i = 0; i < len; i++) s += alphabet[Math.floor(next() * alphabet.length)];
    yield s;
  }
}

// Each loop agrees with the expression it replaces on every string of a corpus built from the characters
// that matter to it (Node's regular expressions are the oracle here; the device's are what is avoided).
const URL_HEADS = ['', 'http://', 'https://', 'mqtt://', 'mqtts://', 'http:/', 'HTTP://', 'ftp://', 'https:', 'httpss://', ' http://'];
const agreements: [string, (s: string) => boolean, RegExp, string, number, string[]?][] = [
  ['isDigits', isDigits, /^\d+$/, '0123456789a -', 6],
  ['isHexDigits', isHexDigits, /^[0-9a-fA-F]+$/, '09afAFgG\u0010\u0019 ', 6],
  ['isFloatText', isFloatText, /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/, '0159.+-eEx ', 8],
  ['isTimeText', isTimeText, /^\d{2}:?\d{2}:?\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/, '0123:.Z+-', 14],
  ['isUrlOf http(s)', (s) => isUrlOf(s, ['http', 'https']), /^https?:\/\/\S+$/, 'hts:/p \t\u00a0\u2028x', 6, URL_HEADS],
  ['isUrlOf any', (s) => isUrlOf(s, ['http', 'https', 'mqtt', 'mqtts']), /^(https?|mqtts?):\/\/\S+$/, 'htpmqs:/ x', 6, URL_HEADS],
  ['hasSpace', (s) => hasSpace(s), /\s/, 'a \t\n\u00a0\u1680\u2000\u200a\u200b\u2028\u202f\u205f\u3000\ufeff\u0085', 4],
];
for (const [name, scan, re, alphabet, maxLen, heads] of agreements) {
  test(`${name} agrees with ${re} on 100,000 strings`, () => {
    let accepted = 0;
    for (const s of strings(alphabet, 100000, maxLen, heads)) {
      assert.equal(scan(s), re.test(s), JSON.stringify(s));
      if (re.test(s)) accepted++;
    }
    assert.ok(accepted > 50, `the corpus reaches accepted strings too (${accepted})`);
  });
}

test('isTimeText and isFloatText on the standard forms', () => {
  for (const ok of ['123045', '12:30:45', '12:30:45.5Z', '123045+0100', '12:30:45-01:00']) assert.ok(isTimeText(ok), ok);
  for (const bad of ['12:3045x', '1230', '12:30:45.', '12:30:45+1', '']) assert.ok(!isTimeText(bad), bad);
  for (const ok of ['1', '-1.5', '.5', '1.', '+2e10', '3.0E-3']) assert.ok(isFloatText(ok), ok);
  for (const bad of ['.', 'e5', '1e', '--1', '1.2.3', '']) assert.ok(!isFloatText(bad), bad);
});

test('digitsEnd, trimEndChar, isSpace and isAsciiLetter', () => {
  assert.equal(digitsEnd('ab123c', 2), 5);
  assert.equal(digitsEnd('ab', 5), 5);
  assert.equal(trimEndChar('a/b///', '/'), 'a/b');
  assert.equal(trimEndChar('///', '/'), '');
  for (let c = 0; c < 0x10000; c++) assert.equal(isSpace(c), /\s/.test(String.fromCharCode(c)), `U+${c.toString(16)}`);
  for (let c = 0; c < 0x10000; c++) assert.equal(isAsciiLetter(c), /^[A-Za-z]$/.test(String.fromCharCode(c)), `U+${c.toString(16)}`);
});

/** Unbounded repetitions (`*`, `+`, `{n,}`) in a regular expression's source, outside escapes and classes. */
export function unboundedQuantifiers(source: string): string[] {
  const found: string[] = [];
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') inClass = true;
    else if (c === '*' || c === '+') found.push(c);
    else if (c === '{') {
      const m = /^\{\d+,\}/.exec(source.slice(i));
      if (m) found.push(m[0]);
    }
  }
  return found;
}

test('the quantifier finder sees what it must and nothing else', () => {
  assert.deepEqual(unboundedQuantifiers('^https?:\\/\\/\\S+$'), ['+']);
  assert.deepEqual(unboundedQuantifiers('^[+*]\\d{1,5}a{2,}\\*'), ['{2,}']);
  assert.deepEqual(unboundedQuantifiers('(a|b)*c'), ['*']);
  assert.deepEqual(unboundedQuantifiers('^[A-Za-z0-9_]{1,15}$'), []);
});

function sources(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) sources(p, out);
    else if (p.endsWith('.ts') && !p.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

test('device code has no unbounded repetition in a regular expression: XS spends a C malloc per repetition', () => {
  const found: string[] = [];
  for (const f of [...sources(join(repoRoot, 'agent')), ...sources(join(repoRoot, 'platform/moddable'))]) {
    const sf = ts.createSourceFile(f, readFileSync(f, 'utf8'), ts.ScriptTarget.ES2022, true);
    const visit = (n: ts.Node) => {
      const where = () => `${relative(repoRoot, f).split('\\').join('/')}:${sf.getLineAndCharacterOfPosition(n.getStart()).line + 1}`;
      if (n.kind === ts.SyntaxKind.RegularExpressionLiteral) {
        const text = n.getText();
        const q = unboundedQuantifiers(text.slice(1, text.lastIndexOf('/')));
        if (q.length) found.push(`${where()} ${text} (${q.join(' ')})`);
      }
      if ((ts.isNewExpression(n) || ts.isCallExpression(n)) && ts.isIdentifier(n.expression) && n.expression.text === 'RegExp')
        found.push(`${where()} RegExp built at run time`);
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }
  assert.deepEqual(found, []);
});
