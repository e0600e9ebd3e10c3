// package.json's "engines" agrees with every package the lockfile installs: each Node version the
// project claims is one every dependency accepts, so `npm ci` warns no EBADENGINE on a supported Node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

const root = new URL('..', import.meta.url);
const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));
const lock = JSON.parse(readFileSync(new URL('package-lock.json', root), 'utf8'));

type V = [number, number, number];
// The few range forms npm's engines fields use: `*`, `>=`, `>`, `<`, `<=`, `^`, `~`, bare, x-ranges, `||`.
function parts(s: string): [number, number | undefined, number | undefined] {
  const m = /^(\d{1,4})(?:\.(\d{1,4}|x))?(?:\.(\d{1,4}|x))?$/.exec(s);
  if (!m) throw new Error(`unknown version '${s}'`);
  const n = (x?: string) => (x === undefined || x === 'x' ? undefined : Number(x));
  return [Number(m[1]), n(m[2]), n(m[3])];
}
function cmp(a: V, b: V): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}
function comparator(c: string, v: V): boolean {
  const m = /^(>=|<=|>|<|\^|~|=)?\s{0,2}(.{1,20})$/.exec(c);
  if (!m) throw new Error(`unknown comparator '${c}'`);
  if (m[2] === '*' || m[2] === 'x') return true;
  const [maj, min, pat] = parts(m[2]);
  const lo: V = [maj, min ?? 0, pat ?? 0];
  switch (m[1]) {
    case '>=':
      return cmp(v, lo) >= 0;
    case '>':
      return cmp(v, lo) > 0;
    case '<':
      return cmp(v, lo) < 0;
    case '<=':
      return cmp(v, lo) <= 0;
    case '^':
      return cmp(v, lo) >= 0 && (maj > 0 ? v[0] === maj : v[0] === 0 && v[1] === lo[1]);
    case '~':
      return cmp(v, lo) >= 0 && v[0] === maj && (min === undefined || v[1] === min);
    default:
      return v[0] === maj && (min === undefined || v[1] === min) && (pat === undefined || v[2] === pat);
  }
}
function satisfies(range: string, v: V): boolean {
  return range.split('||').some((set) => {
    const cs = set
      .trim()
      .replace(/(>=|<=|>|<|\^|~|=) /g, '$1')
      .split(/\s+/)
      .filter(Boolean);
    return cs.length === 0 || cs.every((c) => comparator(c, v));
  });
}

test('every Node version package.json claims is accepted by every locked dependency', () => {
  const ours: string = pkg.engines.node;
  const claimed: V[] = [];
  for (let major = 18; major <= 26; major++)
    for (let minor = 0; minor <= 30; minor++) {
      const v: V = [major, minor, 0];
      if (satisfies(ours, v)) claimed.push(v);
    }
  assert.ok(claimed.length > 0, `engines.node '${ours}' claims no Node version`);
  assert.ok(satisfies(ours, [20, 20, 0]), `engines.node '${ours}' must keep Node 20 (the machines run it)`);
  const refused: string[] = [];
  for (const [path, entry] of Object.entries<{ engines?: { node?: string } }>(lock.packages)) {
    const want = entry.engines?.node;
    if (!want || path === '') continue;
    const bad = claimed.find((v) => !satisfies(want, v));
    if (bad) refused.push(`${path} wants node '${want}', refuses ${bad.join('.')}`);
  }
  assert.deepEqual(refused, [], `package.json says node '${ours}'`);
});

test('the range reader knows the forms the lockfile uses', () => {
  assert.ok(satisfies('^20.9 || ^22.11', [22, 11, 0]), '^22.11 takes 22.11.0');
  assert.ok(!satisfies('^20.9 || ^22.11', [21, 0, 0]), '^20.9 || ^22.11 refuses 21');
  assert.ok(!satisfies('>=22', [20, 20, 0]), '>=22 refuses 20');
  assert.ok(satisfies('>= 10.x', [20, 0, 0]), '>= 10.x takes 20');
  assert.ok(satisfies('*', [20, 0, 0]), '* takes all');
});
