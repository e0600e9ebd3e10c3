// A short, seeded fuzz run inside `npm test` (the long one is `npm run fuzz`), and the replay of every input
// a fuzz run ever found (test/fuzz/regressions/<target>-*.bin).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fuzz } from './fuzz.js';
import {
  Finding,
  readSessionCase,
  serverSeeds,
  SESSION_ACCOUNTS,
  sessionTarget,
  settleWithin,
  SIGNED_ACCOUNT,
  wbxmlTarget,
  writeSessionCase,
  xmlTarget,
} from './targets.js';
import { prng, mutateBytes, mutateXml } from './mutate.js';
import { xsFuzz, xsReplay } from './xs-target.js';
import { needDeviceWorker } from '../xs/device-worker.js';
import { dm12Dtd, needDtd, needPeer } from '../helpers/peers.js';
import { xmllintVerdicts } from './libxml2-target.js';
import { readServerCase, recordScripts, serverTarget, writeServerCase } from './server-target.js';

const here = new URL('.', import.meta.url).pathname;

for (const [target, cases] of [
  ['xml', 6000],
  ['wbxml', 6000],
  ['session', 1500],
] as const) {
  test(`fuzz ${target}: ${cases} seeded cases, no exception escapes, refused packages leave the tree alone`, async () => {
    const r = await fuzz(target, { cases, seed: 20261125 });
    assert.deepEqual(r.findings, []);
    // The run explores: mutations reach many distinct outcomes, not one error over and over.
    assert.ok(r.signatures >= (target === 'session' ? 40 : 100), `only ${r.signatures} distinct outcomes`);
  });
}

test('fuzz session with the DTD: 1500 seeded cases, every message the device sent is DM 1.2 DTD-valid (xmllint)', {
  skip: needDtd(),
}, async () => {
  const r = await fuzz('session', { cases: 1500, seed: 20261126, dtd: true });
  assert.deepEqual(r.findings, []);
  // The check itself: a message the DTD refuses is a finding, kept with its case.
  const sent: Uint8Array[] = [];
  await sessionTarget([serverSeeds()[0]!], 0, sent);
  assert.ok(
    sent.length === 1 && /<SyncML/.test(new TextDecoder().decode(sent[0]!)),
    'sent.length === 1 && /<SyncML/.test(new TextDecoder().decode(sent[0]!))',
  );
  const [valid, broken] = xmllintVerdicts(
    [sent[0]!, new TextEncoder().encode('<SyncML xmlns="SYNCML:SYNCML1.2"><SyncHdr/></SyncML>')].map((b, k) => {
      const f = join(mkdtempSync(join(tmpdir(), 'dm-v-')), `${k}.xml`);
      writeFileSync(f, b);
      return f;
    }),
    ['--dtdvalid', dm12Dtd()],
  );
  assert.equal(valid, undefined);
  assert.match(broken ?? '', /validity error/);
});

test('fuzz server: 1500 seeded cases, the lab server answers every mutated device message with a reply it can read (DTD-valid XML) or an HTTP refusal', async () => {
  const r = await fuzz('server', { cases: 1500, seed: 20261202, dtd: needDtd() === false });
  assert.deepEqual(r.findings, []);
  assert.ok(r.signatures >= 40, `only ${r.signatures} distinct outcomes`);
});

test('server cases: a recorded session replays as it ran, one message changed changes the rest, and a finding replays from its file', async () => {
  const scripts = await recordScripts();
  assert.equal(scripts.length, 12);
  const hmacUser = scripts.find((s) => s.auth === 'hmac')!;
  assert.ok(
    hmacUser.hmacs.slice(1).every((h) => h?.startsWith('algorithm=MD5')),
    'HMAC messages keep their header',
  );
  assert.equal(await serverTarget(hmacUser, -1, new Uint8Array()), '401:>200:Alert,Get>200:Alert>200:Add,Exec>200:>200:');
  const md5User = scripts[0]!;
  // MD5: challenged, authenticated, checking and Get, the confirm, the deployment, Final; then the report session.
  assert.equal(await serverTarget(md5User, -1, new Uint8Array()), '401:>212:Alert,Get>200:Alert>200:Add,Exec>200:>212:');
  // Package 1 again in place of the authenticated one: its credential is for a nonce since replaced.
  assert.match(await serverTarget(md5User, 1, md5User.messages[0]!), /^401:>401:/);
  // Neither XML nor WBXML: 415, and the device never authenticates in that session, so nothing after it runs.
  assert.equal(await serverTarget(md5User, 1, new Uint8Array([1, 2, 3])), '401:>415>407:>407:>407:>401:');
  const back = readServerCase(writeServerCase(md5User, 2, new Uint8Array([9])));
  assert.equal(back.auth, 'md5');
  assert.deepEqual(back.messages[2], new Uint8Array([9]));
  assert.deepEqual(back.messages[3], md5User.messages[3]);
});

test('fuzz libxml2: 6000 seeded cases, our XML reader takes no document libxml2 refuses', { skip: needPeer('xmllint') }, async () => {
  const r = await fuzz('libxml2', { cases: 6000, seed: 20261125 });
  assert.deepEqual(r.findings, []);
  // Both sides say many things: documents both take, both refuse for many reasons, and ours refuses more.
  assert.ok(r.signatures >= 60, `only ${r.signatures} distinct outcomes`);
});

test('fuzz libwbxml: 400 seeded cases, our WBXML reader takes no document libwbxml refuses', { skip: needPeer('wbxml2xml') }, async () => {
  const r = await fuzz('libwbxml', { cases: 400, seed: 20261125 });
  assert.deepEqual(r.findings, []);
  assert.ok(r.signatures >= 15, `only ${r.signatures} distinct outcomes`);
});

test("fuzz xs: 150 seeded cases on the XS engine with the device's stack and heap margin, no abort", {
  skip: needDeviceWorker(),
}, async () => {
  const r = await xsFuzz({ cases: 150, seed: 20261125 });
  assert.deepEqual(r.findings, []);
  assert.ok(r.signatures >= 20, `only ${r.signatures} distinct outcomes`);
});

test('the mutators are deterministic for a seed and do change their input', () => {
  const base = new TextEncoder().encode('<SyncML><SyncHdr><MsgID>1</MsgID></SyncHdr><SyncBody><Final/></SyncBody></SyncML>');
  const a = mutateBytes(base, prng(5), [base]);
  const b = mutateBytes(base, prng(5), [base]);
  assert.deepEqual(a, b);
  const changed = Array.from({ length: 50 }, (_, i) => mutateBytes(base, prng(i), [base])).filter(
    (m) => Buffer.compare(m, base) !== 0,
  ).length;
  assert.ok(changed >= 45, `${changed} of 50 mutations changed the input`);
  // A real server package, so that the text mutations find what they aim at (numbers, Data, LocURI …).
  const text = new TextDecoder().decode(serverSeeds()[0]!);
  const changedXml = Array.from({ length: 50 }, (_, i) => mutateXml(text, prng(i))).filter((m) => m !== text).length;
  assert.ok(changedXml >= 40, `${changedXml} of 50 XML mutations changed the input`);
  assert.equal(mutateXml(text, prng(3)), mutateXml(text, prng(3)));
});

test('a slow case, a promise that never settles and a heap over budget are findings, not a hung or silent run', async () => {
  const slow = await fuzz('xml', { cases: 5, seed: 1, caseBudgetMs: 0 });
  assert.equal(slow.findings.length, 5);
  assert.match(slow.findings[0]!.message, /^slow case: \d+ ms \(budget 0 ms\)/);
  const heavy = await fuzz('wbxml', { cases: 600, seed: 1, heapBudgetMB: 1 });
  assert.equal(heavy.findings.length, 1, 'reported once, not every sample');
  assert.match(heavy.findings[0]!.message, /^heap at \d+ MB after case 0 \(budget 1 MB\)/);
  await assert.rejects(
    settleWithin(new Promise(() => {}), 20, 'never'),
    (e: unknown) => e instanceof Finding && /never did not settle within 20 ms: a hang/.test(e.message),
  );
  assert.equal(await settleWithin(Promise.resolve(7), 20, 'at once'), 7);
  await assert.rejects(settleWithin(Promise.reject(new Error('boom')), 20, 'refused'), /boom/);
});

test('coverage: `npm run fuzz -- --coverage` measures the blocks of agent/ its cases reach, per file', () => {
  // Its own process: V8 counts blocks only in functions compiled after coverage started.
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(here, 'run.ts'), '--cases', '800', '--seed', '1', '--target', 'xml', '--target', 'session', '--coverage'],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const runs = r.stdout.split(/^(?=\w+ +seed 1:)/m).filter((x) => x.trim());
  assert.equal(runs.length, 2, r.stdout);
  const files = (text: string) =>
    new Map([...text.matchAll(/^ {2}(\S+) +(\d+) of (\d+) blocks reached$/gm)].map((m) => [m[1]!, { reached: +m[2]!, known: +m[3]! }]));
  const xml = files(runs[0]!);
  const session = files(runs[1]!);
  const decoder = xml.get('syncml/xml-decode.ts');
  assert.ok(decoder && decoder.reached >= 60 && decoder.reached < decoder.known, JSON.stringify(decoder));
  assert.ok(
    [...xml.values(), ...session.values()].every((f) => f.reached <= f.known),
    '[...xml.values(), ...session.values()].every((f) => f.reached <= f.known)',
  );
  // The decoder's run does not reach the session engine; the session's run does, and its total adds up.
  assert.equal(xml.get('session/session.ts'), undefined);
  // The engine is session/*.ts (the loop, commands, credentials, outbox …): its reach is counted over the folder.
  const engine = [...session].filter(([f]) => f.startsWith('session/')).reduce((n, [, f]) => n + f.reached, 0);
  assert.ok((session.get('session/session.ts')?.reached ?? 0) > 0 && engine >= 200, `session/ reached ${engine}\n${runs[1]}`);
  const total = Number(/, (\d+) blocks of agent\/ reached/.exec(runs[1]!)?.[1]);
  assert.equal(
    total,
    [...session.values()].reduce((n, f) => n + f.reached, 0),
  );
});

test('session cases: every account runs, and a finding keeps its account and packages so that the replay is the case', async () => {
  // A server package that carries commands and no server credential: the first account runs them; the
  // others challenge the server (407) and run none (215), but for the one whose packages the harness signs.
  let seed: Uint8Array | undefined;
  for (const s of serverSeeds())
    if (/^running>Alert=200,SyncHdr=200$/.test(await sessionTarget([s], 0))) {
      seed = s;
      break;
    }
  assert.ok(seed, 'the corpus has a server package with an Alert');
  for (let a = 1; a < SESSION_ACCOUNTS.length; a++) {
    assert.equal(
      await sessionTarget([seed], a),
      a === SIGNED_ACCOUNT ? 'running>Alert=200,SyncHdr=200' : 'running>Alert=215,SyncHdr=407',
      `account ${a}`,
    );
  }
  // And the seeds carry the server's MD5 credential for the first nonce: that account then takes the package (212).
  const md5 = SESSION_ACCOUNTS.findIndex((d) => d.account.serverAuth?.type === 'md5');
  const sigs = await Promise.all(serverSeeds().map((s) => sessionTarget([s], md5)));
  assert.ok(
    sigs.some((x) => /SyncHdr=212/.test(x)),
    'some seed authenticates the server',
  );
  const c = { account: 2, replies: [seed, new Uint8Array([1, 2, 3])] };
  const back = readSessionCase(writeSessionCase(c));
  assert.equal(back.account, 2);
  assert.deepEqual(back.replies, c.replies);
  await assert.rejects(sessionTarget([seed], SESSION_ACCOUNTS.length), RangeError);
});

test('the targets catch what they should: a non-DmError escaping is a finding', async () => {
  // Not from a decoder: prove the check itself works by calling the session target with nothing to say.
  assert.equal(await sessionTarget([]), '');
  assert.match(xmlTarget(new TextEncoder().encode('<SyncML>')), /^DM_ERR_/);
  assert.match(wbxmlTarget(new Uint8Array([2, 0xa4, 1, 0x6a, 5, 0, 0])), /^DM_ERR_/);
});

const regressions = join(new URL('.', import.meta.url).pathname, 'regressions');
const files = readdirSync(regressions).filter((f) => f.endsWith('.bin') || f.endsWith('.case') || f.endsWith('.server'));

test('every input a fuzz run found is replayed', { skip: files.length === 0 ? 'no fuzz finding recorded yet' : false }, async () => {
  const dir = regressions;
  for (const f of files) {
    if (f.endsWith('.server')) {
      await serverTarget(readServerCase(readFileSync(join(dir, f), 'utf8')), -1, new Uint8Array());
      continue;
    }
    if (f.endsWith('.case')) {
      const c = readSessionCase(readFileSync(join(dir, f), 'utf8'));
      await sessionTarget(c.replies, c.account);
      continue;
    }
    const input = new Uint8Array(readFileSync(join(dir, f)));
    if (f.startsWith('libxml2-')) assert.match(xmlTarget(input), /^DM_ERR_/, `${f}: libxml2 refuses it, so must we`);
    else if (f.startsWith('libwbxml-')) assert.match(wbxmlTarget(input), /^DM_ERR_/, `${f}: libwbxml refuses it, so must we`);
    else if (f.startsWith('xml-')) xmlTarget(input);
    else if (f.startsWith('wbxml-')) wbxmlTarget(input);
    else if (f.startsWith('xs-')) {
      if (needDeviceWorker()) continue;
      assert.equal(await xsReplay(input), undefined, f);
    } else await sessionTarget([input]);
  }
});
