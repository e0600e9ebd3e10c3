// Our native module of the device build (platform/moddable/native/esp-ota.ts and esp-ota.c). ESP-IDF and the
// ESP32 compiler are not installed here, so: every host function the JavaScript side names is defined in the C
// file and the other way round, and the C file compiles on the host (gcc) against the XS headers of the
// xsnap package and stand-in declarations of the ESP-IDF calls it makes (esp-idf-stubs/, written from
// ESP-IDF's API reference). What the calls do on a board is not tested here (manifests/README.md says what is
// left to a board).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { needPeer, repoRoot } from '../../helpers/peers.js';

const ts = readFileSync(join(repoRoot, 'platform/moddable/native/esp-ota.ts'), 'utf8');
const c = readFileSync(join(repoRoot, 'platform/moddable/native/esp-ota.c'), 'utf8');

test('the host functions esp-ota.ts calls are the ones esp-ota.c defines', () => {
  const called = [...ts.matchAll(/native\('(xs_\w{1,60})'\)/g)].map((m) => m[1]).sort();
  const defined = [...c.matchAll(/^void (xs_\w{1,60})\(xsMachine \*the\)$/gm)].map((m) => m[1]).sort();
  assert.equal(called.length, 8, 'eight calls');
  assert.deepEqual(called, defined);
  // xsc compiles native('…') only with one string literal: no other form may appear.
  const code = ts
    .split('\n')
    .filter((l) => !l.trimStart().startsWith('//'))
    .join('\n');
  assert.equal(code.match(/native\(/g)?.length, called.length + 1, 'every native( is a literal call, besides the declaration');
});

test('esp-ota.c compiles against the XS headers and the ESP-IDF declarations it uses', { skip: needPeer('gcc') }, () => {
  const r = spawnSync(
    'gcc',
    [
      '-fsyntax-only',
      '-Wall',
      '-Wextra',
      '-Werror',
      '-std=gnu11',
      // On the device the platform's headers bring size_t before xs.h; on the host it comes first.
      '-include',
      'stddef.h',
      '-I',
      join(repoRoot, 'test/platform/moddable/esp-idf-stubs'),
      '-I',
      join(repoRoot, 'node_modules/@agoric/xsnap/moddable/xs/includes'),
      join(repoRoot, 'platform/moddable/native/esp-ota.c'),
    ],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
});
