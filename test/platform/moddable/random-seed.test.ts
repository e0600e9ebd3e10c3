import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { SAVED_SEED_BYTES, bootSeed, savedSeed } from '../../../platform/moddable/lib/random-seed.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

test('boot seed: the saved seed, then the time (8 bytes, big-endian), then the fresh bytes', () => {
  const saved = new Uint8Array(SAVED_SEED_BYTES).map((_, i) => i + 1);
  const seed = bootSeed(savedSeed(saved), 0x0102030405, new Uint8Array([0xaa, 0xbb]));
  assert.equal(hex(seed), `${hex(saved)}0000000102030405aabb`);
});

test('boot seed: no saved seed, a damaged one, or a clock before 1970 still give a seed; nothing throws', () => {
  assert.equal(hex(bootSeed(undefined, 1, new Uint8Array([7]))), '000000000000000107');
  assert.equal(hex(bootSeed('%%% not base64', 1, new Uint8Array([7]))), '000000000000000107');
  assert.equal(hex(bootSeed(undefined, -5, new Uint8Array(0))), '0000000000000000');
  assert.equal(hex(bootSeed(undefined, Number.NaN, new Uint8Array(0))), '0000000000000000');
  assert.equal(bootSeed(undefined, 0, new Uint8Array(400)).length, 256, 'no more than the RC4 key schedule reads');
});

test('a platform whose own randomness repeats at every start (unseeded rand()) still draws differently after each reboot', () => {
  // A deterministic stand-in for "rng": its stream is a function of the seed it was given.
  const stream = (seed: Uint8Array, n: number) =>
    new Uint8Array(createHash('sha256').update(seed).update(String(n)).digest()).subarray(0, n);
  const sameFresh = new Uint8Array(16).fill(9);
  let stored: string | undefined;
  const firstDraws: string[] = [];
  for (let boot = 0; boot < 5; boot++) {
    const seed = bootSeed(stored, 0, sameFresh); // no clock either: the worst case
    stored = savedSeed(stream(seed, SAVED_SEED_BYTES));
    firstDraws.push(hex(stream(seed, 2) /* e.g. the first session id */));
  }
  assert.equal(new Set(firstDraws).size, 5, firstDraws.join(' '));
});
