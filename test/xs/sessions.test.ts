// agent/ on the real XS engine (xsnap), and the same bundle on Node: whole sessions against the lab server,
// with the same answers and the same randomness, must put byte-identical messages on the wire.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { repoRoot } from '../helpers/peers.js';
import { decodeMessage } from '../../agent/syncml/codec.js';
import { exampleDevice, runOnNode, runOnXs, userConfirm, type EngineRun, type RunOptions } from './harness.js';
import type { Scenario } from './driver.js';

function current(): unknown {
  const d = exampleDevice() as { components: { version: string }[]; transport: { encoding: string } };
  d.components[0]!.version = '2.0';
  d.components[1]!.version = '1.5';
  return d;
}

const wbxmlDevice = () => {
  const d = exampleDevice() as { transport: { encoding: string } };
  d.transport.encoding = 'wbxml';
  return d;
};

const scenarios: { name: string; scenario: () => Scenario; options?: RunOptions; check: (r: EngineRun) => void }[] = [
  {
    name: 'user trigger on a component, UI confirm answered yes, SCOMO DownloadInstall and its result alert',
    scenario: userConfirm,
    check: (r) => {
      assert.equal(r.result.ok, true, r.result.error);
      assert.equal(r.result.sessions, 2);
      assert.deepEqual(r.result.deployed, ['com.example.weather 2.0', 'com.example.sensor 1.4']);
      assert.ok(r.result.screens.includes('confirm:Please confirm'), "r.result.screens.includes('confirm:Please confirm')");
      assert.deepEqual(
        r.server.outcomes().map((o) => o.resultCode),
        [1200],
      );
      assert.deepEqual(r.server.deviations(), []);
    },
  },
  {
    name: 'device trigger in WBXML: the autoUpdate component installs without asking',
    scenario: () => ({ device: wbxmlDevice(), trigger: 'device', answers: [] }),
    check: (r) => {
      assert.equal(r.result.ok, true, r.result.error);
      assert.deepEqual(r.result.deployed, ['com.example.weather 1.0', 'com.example.sensor 1.5']);
      assert.equal(
        r.result.screens.some((s) => s.startsWith('confirm')),
        false,
      );
      assert.equal(r.wire[0]![0], 0x02, 'WBXML on the wire');
    },
  },
  {
    name: 'user check with nothing to update: one session, the user is told',
    scenario: () => ({ device: current(), trigger: 'user', component: 'app1', answers: [] }),
    check: (r) => {
      assert.equal(r.result.ok, true, r.result.error);
      assert.equal(r.result.sessions, 1);
      assert.equal(r.server.deployments().length, 0);
    },
  },
  {
    name: 'user check of the whole device with firmware: FUMO DownloadAndUpdate, the restart, 200 from the new firmware',
    scenario: () => ({ device: current(), trigger: 'user', answers: ['yes'], firmware: '1.0.0' }),
    options: { catalog: 'catalog-firmware.json' },
    check: (r) => {
      assert.equal(r.result.ok, true, r.result.error);
      assert.equal(r.result.firmware, '1.1.0', 'the new firmware runs, confirmed');
      assert.equal(r.result.sessions, 3, 'the check; after the restart, the confirming session and the report');
      assert.ok(r.result.screens.includes('idle:Restarting…'), r.result.screens.join(', '));
      assert.deepEqual(
        r.server.outcomes().map((o) => [o.resultCode, o.source]),
        [[200, './FUMO/fw/DownloadAndUpdate']],
      );
      assert.deepEqual(r.server.deviations(), []);
    },
  },
  {
    name: 'a malformed server package: Alert 1223, a clean failure, the request kept',
    scenario: userConfirm,
    options: { garbleReply: 2 },
    check: (r) => {
      assert.equal(r.result.ok, false);
      assert.match(r.result.error ?? '', /^DM_ERR_BAD_XML/);
      assert.equal(r.result.queued, 1);
      const abort = decodeMessage(r.wire.at(-2)!);
      assert.ok(
        abort.body.some((c) => c.kind === 'Alert' && c.data === '1223'),
        "abort.body.some((c) => c.kind === 'Alert' && c.data === '1223')",
      );
    },
  },
];

for (const s of scenarios) {
  test(`XS and Node: ${s.name}`, async () => {
    const xs = await runOnXs(s.scenario(), s.options);
    const node = await runOnNode(s.scenario(), s.options);
    s.check(xs);
    s.check(node);
    assert.deepEqual(xs.result, node.result);
    assert.equal(xs.wire.length, node.wire.length);
    xs.wire.forEach((m, i) => assert.ok(Buffer.from(m).equals(Buffer.from(node.wire[i]!)), `message ${i + 1} differs between XS and Node`));
    assert.ok(xs.meters!.compute > 0 && xs.meters!.liveHeapCount > 0, 'xs.meters!.compute > 0 && xs.meters!.liveHeapCount > 0');
  });
}

test('XS meters are deterministic: the same session twice gives the same compute and heap counts', async () => {
  const a = await runOnXs(userConfirm());
  const b = await runOnXs(userConfirm());
  assert.deepEqual(a.meters, b.meters);
});

test('the bundle runs without the host globals a device lacks: using one makes both engines fail', async () => {
  const { bundleDriver } = await import('./harness.js');
  const text = await bundleDriver();
  assert.match(text, /^\(function \(TextEncoder, TextDecoder, Buffer, process, console, setTimeout/);
  // The shadowing works: inside the wrapper the names are undefined even on Node.
  const probe = text.replace(
    /\n[\s\S]*\n\}\)\(\);$/,
    '\nglobalThis.__probe = [typeof TextEncoder, typeof setTimeout, typeof Buffer].join();\n})();',
  );
  new Function(probe)();
  assert.equal((globalThis as unknown as { __probe: string }).__probe, 'undefined,undefined,undefined');
});

test('agent/ spreads no argument list into a call: XS puts every argument on a stack of 640 slots on the device', () => {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith('.ts')) {
        readFileSync(p, 'utf8')
          .split('\n')
          .forEach((line, i) => {
            // f(...xs) or f(a, ...xs), but not [...xs] or {...o} inside the call's arguments.
            if (/[\w)\]]\s*\((?:[^()[\]{}]*,)?\s*\.\.\.\s*[\w(]/.test(line) && !/^\s*(\/\/|\*)/.test(line))
              found.push(`${p}:${i + 1}: ${line.trim()}`);
          });
      }
    }
  };
  walk(join(repoRoot, 'agent'));
  assert.deepEqual(found, []);
  assert.ok(/[\w)\]]\s*\((?:[^()[\]{}]*,)?\s*\.\.\.\s*[\w(]/.test('out.push(...inner);'), 'the pattern finds a spread');
});

/** Functions of agent/ that call themselves (directly, or by handing themselves to a call as a callback). */
function selfRecursive(): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith('.ts')) files.push(p);
    }
  };
  walk(join(repoRoot, 'agent'));
  const found: string[] = [];
  for (const f of files) {
    const sf = ts.createSourceFile(f, readFileSync(f, 'utf8'), ts.ScriptTarget.ES2022, true);
    const visit = (n: ts.Node) => {
      let name: string | undefined;
      let body: ts.Node | undefined;
      let method = false;
      if (ts.isFunctionDeclaration(n) && n.name) {
        name = n.name.text;
        body = n.body;
      } else if (ts.isMethodDeclaration(n) && ts.isIdentifier(n.name)) {
        name = n.name.text;
        body = n.body;
        method = true;
      } else if (
        ts.isVariableDeclaration(n) &&
        ts.isIdentifier(n.name) &&
        n.initializer &&
        (ts.isArrowFunction(n.initializer) || ts.isFunctionExpression(n.initializer))
      ) {
        name = n.name.text;
        body = n.initializer.body;
      }
      if (name && body) {
        let self = false;
        const look = (m: ts.Node) => {
          if (ts.isCallExpression(m)) {
            const e = m.expression;
            if (ts.isIdentifier(e) && e.text === name) self = true;
            if (method && ts.isPropertyAccessExpression(e) && e.expression.kind === ts.SyntaxKind.ThisKeyword && e.name.text === name)
              self = true;
          }
          if (ts.isIdentifier(m) && m.text === name && ts.isCallExpression(m.parent) && m.parent.arguments.some((a) => a === m))
            self = true;
          ts.forEachChild(m, look);
        };
        look(body);
        if (self) found.push(`${relative(repoRoot, f).split('\\').join('/')}:${name}`);
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }
  return found.sort();
}

test('agent/ recurses only over structures it builds or bounds itself: input never sets the depth on a 640-slot stack', () => {
  // Each entry and what bounds its depth. Input from a server (XML, WBXML, URIs, the stored tree) is walked
  // with arrays: on the simulator a message nested 20 deep overflowed the device's stack before that.
  const allowed: Record<string, string> = {
    'agent/syncml/map.ts:command': 'Atomic/Sequence nesting, cut at MAX_CONTAINER_NESTING',
    'agent/syncml/map.ts:commandEl': 'our own outgoing commands',
    'agent/syncml/numbering.ts:numbered': 'our own outgoing commands',
  };
  assert.deepEqual(selfRecursive(), Object.keys(allowed).sort());
});
