import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nodeCrypto } from '../../../platform/node/crypto.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

test('random bytes: each draw has the length asked, and 2000 nonces across several pool refills are all distinct', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    const b = nodeCrypto.randomBytes(16);
    assert.equal(b.length, 16);
    seen.add(hex(b));
  }
  assert.equal(seen.size, 2000);
  for (const n of [0, 1, 2, 4, 511, 512, 513, 4096, 10_000]) assert.equal(nodeCrypto.randomBytes(n).length, n);
});

test("random bytes: a draw is the caller's own copy; writing into it changes no later draw", () => {
  const a = nodeCrypto.randomBytes(64);
  a.fill(0);
  const later = Array.from({ length: 100 }, () => nodeCrypto.randomBytes(64));
  // 64 zero bytes from a CSPRNG would be a 2^-512 event: seeing them means the pool leaked a caller's buffer.
  assert.ok(
    later.every((b) => b.some((x) => x !== 0)),
    'later.every((b) => b.some((x) => x !== 0))',
  );
  assert.notEqual(a.buffer, later[0]!.buffer);
});

test('random bytes: the bytes are not biased (each bit is set in 45–55 % of 64 KiB)', () => {
  let ones = 0;
  let total = 0;
  for (let i = 0; i < 4096; i++) {
    for (const x of nodeCrypto.randomBytes(16)) {
      for (let k = 0; k < 8; k++) ones += (x >> k) & 1;
      total += 8;
    }
  }
  assert.ok(ones / total > 0.45 && ones / total < 0.55, `${ones} of ${total} bits set`);
});

test('md5 and sha256 give the RFC 1321 and FIPS 180 test vectors', () => {
  assert.equal(hex(nodeCrypto.md5(new TextEncoder().encode('abc'))), '900150983cd24fb0d6963f7d28e17f72');
  const h = nodeCrypto.createSha256();
  h.update(new TextEncoder().encode('ab'));
  h.update(new TextEncoder().encode('c'));
  assert.equal(hex(h.digest()), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
});
