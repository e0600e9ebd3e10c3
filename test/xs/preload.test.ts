// Preload fidelity (test/xs/preload.ts): on the XS engine, what a module makes when it loads is treated as the
// Moddable linker leaves it in flash, so the errors a preloaded device meets happen in `npm test` too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import os from 'node:os';
import fs from 'node:fs';
import { join } from 'node:path';
import { bundleScript, loadXsnap } from './harness.js';
import { deviceWorkerSpawn, evaluatePreloaded, preloadSkip } from './preload.js';

const here = new URL('.', import.meta.url).pathname;
const skip = preloadSkip();

/** A device-sized worker with `script` loaded as preloaded modules; `run(expr)` answers its value or its error. */
async function preloaded(script: string, onCommand: (request: Uint8Array) => Uint8Array = () => new Uint8Array(0)) {
  const xsnap = await loadXsnap();
  const dec = new TextDecoder();
  const worker = await xsnap({
    os: os.type(),
    spawn: deviceWorkerSpawn(),
    fs: { ...fs, ...fs.promises } as never,
    stderr: 'inherit',
    stdout: 'ignore',
    name: 'dm-agent-preload',
    handleCommand: async (r: Uint8Array) => {
      const text = dec.decode(r);
      if (text.startsWith('{"answer":')) {
        last = (JSON.parse(text) as { answer: string }).answer;
        return new Uint8Array(0);
      }
      return onCommand(r);
    },
  });
  let last = '';
  await evaluatePreloaded(worker, script);
  const run = async (expr: string): Promise<string> => {
    await worker.evaluate(`{ let a; try { a = 'ok ' + String((${expr})()); } catch (e) { a = 'throws ' + e.message; }
      issueCommand(new TextEncoder().encode(JSON.stringify({ answer: a })).buffer); }`);
    return last;
  };
  return { run, close: () => worker.close() };
}

test('preload fidelity: what a module makes when it loads is in flash; what the device makes later is not', { skip }, async () => {
  const w = await preloaded(`"use strict";
    const weak = new WeakMap(); const map = new Map(); const set = new Set([1]); const bytes = new Uint8Array(4);
    let counter = 0; let handler = () => 1; const record = { a: 1 }; const list = [1];
    class Thing { method() { return 1; } }
    globalThis.probe = {
      weakSet: () => weak.set({}, 1), mapSet: () => map.set('a', 1), setAdd: () => set.add(2), mapRead: () => map.size + set.size,
      bytes: () => { bytes[0] = 1; return bytes[0]; }, counter: () => ++counter, handler: () => { handler = () => 2; },
      record: () => { record.b = 2; return record.b; }, list: () => list.push(2),
      method: () => { Thing.prototype.method = () => 2; }, static: () => { Thing.extra = 1; },
      builtin: () => { Array.prototype.extra = 1; }, override: () => { const o = {}; o.toString = () => 'x'; return String(o); },
      flashKey: () => new WeakMap().set(record, 1), freshKey: () => new WeakMap().set({}, 1).has(record),
      fresh: () => { const m = new Map(); m.set(1, 2); const b = new Uint8Array(2); b[1] = 7; return m.get(1) + b[1]; },
    };`);
  try {
    // Collections and buffers made at load: read-only (XS: "read-only WeakMap instance", "read-only buffer").
    assert.match(await w.run('probe.weakSet'), /^throws .*WeakMap.*read-only/);
    assert.match(await w.run('probe.mapSet'), /^throws .*Map.*read-only/);
    assert.match(await w.run('probe.setAdd'), /^throws .*Set.*read-only/);
    assert.equal(await w.run('probe.mapRead'), 'ok 1', 'reading them works');
    assert.match(await w.run('probe.bytes'), /^throws .*read-only buffer/);
    // Functions, class prototypes and built-in prototypes: frozen; a module variable holding a function: constant.
    assert.match(await w.run('probe.method'), /^throws /);
    assert.match(await w.run('probe.static'), /^throws /);
    assert.match(await w.run('probe.builtin'), /^throws /);
    assert.match(await w.run('probe.override'), /^throws /, 'a frozen Object.prototype.toString cannot be shadowed by assignment');
    assert.match(await w.run('probe.handler'), /^throws .*const/);
    // An object in flash cannot be a weak key; one made later can.
    assert.match(await w.run('probe.flashKey'), /^throws WeakMap key: read-only/);
    assert.equal(await w.run('probe.freshKey'), 'ok false');
    // Ordinary objects, arrays and other module variables stay writable (XS keeps their changes in RAM).
    assert.equal(await w.run('probe.counter'), 'ok 1');
    assert.equal(await w.run('probe.record'), 'ok 2');
    assert.equal(await w.run('probe.list'), 'ok 2');
    assert.equal(await w.run('probe.fresh'), 'ok 9', 'what is made after the link is ordinary');
  } finally {
    await w.close();
  }
});

test('preload fidelity: the old auth.ts memo (a WeakMap made at load) fails as it failed on the simulator; auth.ts now works', {
  skip,
}, async () => {
  const md5 = (r: Uint8Array) => new Uint8Array(createHash('md5').update(r).digest());
  const w = await preloaded(await bundleScript(join(here, 'fixtures/preload-entry.ts')), md5);
  try {
    const old = await w.run('__preloadProbe.oldDigest');
    process.stdout.write(`# old auth.ts memo under preload: ${old}\n`);
    assert.match(old, /^throws .*WeakMap.*read-only/);
    // RFC-style vector of the DM security spec (Bruce2 / OhBehave / Nonce), as test/agent/session/auth.test.ts.
    assert.equal(await w.run('__preloadProbe.bareDigest'), 'ok Zz6EivR3yeaaENcRN6lpAQ==');
    assert.equal(await w.run('__preloadProbe.keptDigest'), 'ok Zz6EivR3yeaaENcRN6lpAQ==');
  } finally {
    await w.close();
  }
});
