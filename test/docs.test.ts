// The Markdown pages: every relative link points to a file of the repository (docs/check-links.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const script = new URL('../docs/check-links.mjs', import.meta.url).pathname;

test('every relative link of every Markdown page points to an existing file', () => {
  const r = spawnSync(process.execPath, [script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});

test('the link check fails on a broken link and names it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'links-'));
  try {
    mkdirSync(join(dir, 'docs'));
    copyFileSync(script, join(dir, 'docs/check-links.mjs'));
    writeFileSync(join(dir, 'README.md'), 'See [the guide](docs/guide.md) and `[code](not/a/link.md)`.\n');
    const r = spawnSync(process.execPath, [join(dir, 'docs/check-links.mjs')], { encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /README\.md:1: docs\/guide\.md/);
    assert.doesNotMatch(r.stderr, /not\/a\/link/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
