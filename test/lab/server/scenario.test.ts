import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_SCENARIO, FailurePlan, fillText, loadScenario, parseScenario } from '../../../lab/server/scenario.js';
import { repoRoot } from '../../helpers/peers.js';

test('an empty scenario is the default one', () => {
  const s = parseScenario({});
  assert.deepEqual(s.ui, DEFAULT_SCENARIO.ui);
  assert.equal(s.operation, 'DownloadInstall');
  assert.deepEqual(s.failures, []);
});

test('UI texts, options, null to switch an alert off, extra alerts, failures in short and long form', () => {
  const s = parseScenario({
    name: 'x',
    ui: {
      checking: null,
      confirm: { text: 'Go?', options: 'MINDT=1&DR=1', expect: 'yes' },
      extra: [{ alert: 'single', text: 'When?', options: 'DR=1', choices: ['Now', 'Later'] }],
    },
    failures: ['no-update', { kind: 'http-500-at-message', message: 2, times: 3 }, { kind: 'delay-ms', ms: 100 }],
  });
  assert.equal(s.ui.checking, null);
  assert.deepEqual(s.ui.confirm, { text: 'Go?', options: 'MINDT=1&DR=1', expect: 'yes' });
  assert.deepEqual(s.ui.extra, [{ alert: '1103', text: 'When?', options: 'DR=1', choices: ['Now', 'Later'] }]);
  assert.deepEqual(s.failures, [
    { kind: 'no-update' },
    { kind: 'http-500-at-message', message: 2, times: 3 },
    { kind: 'delay-ms', ms: 100 },
  ]);
});

test('scenario errors say which field is wrong', () => {
  const bad = (json: unknown, re: RegExp) =>
    assert.throws(
      () => parseScenario(json),
      (e: Error) => re.test(e.message),
    );
  bad({ ui: { confirm: { options: 'MINDT=two words&x' } } }, /ui\.confirm\.options .* is not an option string/);
  bad({ ui: { confirm: { expect: 'maybe' } } }, /ui\.confirm\.expect must be/);
  bad({ failures: [{ kind: 'explode' }] }, /failures\[0\]\.kind 'explode' is unknown/);
  bad({ failures: [{ kind: 'delay-ms', ms: 0 }] }, /failures\[0\]\.ms must be an integer from 1 to 60000/);
  bad({ failures: [{ kind: 'drop-connection-at-message' }] }, /failures\[0\]\.message must be/);
  bad({ ui: { extra: [{ alert: '1104', text: 'pick' }] } }, /needs choices/);
  bad({ operation: 'Remove' }, /operation must be/);
});

test('an unknown scenario field is refused with its path and the nearest known name', () => {
  const bad = (json: unknown, text: string) =>
    assert.throws(
      () => parseScenario(json),
      (e: Error) => e.message.includes(text),
      text,
    );
  bad({ failure: ['no-update'] }, 'scenario: failure is not a known field (did you mean failures?)');
  bad({ ui: { confrim: { expect: 'yes' } } }, 'ui.confrim is not a known field (did you mean ui.confirm?)');
  bad({ ui: { confirm: { expcet: 'yes' } } }, 'ui.confirm.expcet is not a known field (did you mean ui.confirm.expect?)');
  bad({ ui: { checking: { txt: 'x' } } }, 'ui.checking.txt is not a known field (did you mean ui.checking.text?)');
  bad(
    { ui: { extra: [{ alert: '1100', text: 'x', choises: [] }] } },
    'ui.extra[0].choises is not a known field (did you mean ui.extra[0].choices?)',
  );
  bad(
    { failures: [{ kind: 'delay-ms', ms: 5, mesage: 2 }] },
    'failures[0].mesage is not a known field (did you mean failures[0].message?)',
  );
  bad({ failures: [{ kind: 'no-update', times: 2 }] }, 'failures[0].times is not a known field');
  const device = JSON.parse(readFileSync(join(repoRoot, 'lab', 'examples', 'device.json'), 'utf8'));
  bad(device, 'is not a known field');
  bad(device, '(this is a device description, not a scenario)');
});

test('FailurePlan: at-message failures fire once at their message; delay/corrupt/no-update every time', () => {
  const plan = new FailurePlan(
    parseScenario({ failures: [{ kind: 'drop-connection-at-message', message: 2, times: 2 }, 'corrupt-package'] }).failures,
  );
  assert.equal(plan.take('drop-connection-at-message', 1), undefined);
  assert.ok(plan.take('drop-connection-at-message', 2), "plan.take('drop-connection-at-message', 2)");
  assert.ok(plan.take('drop-connection-at-message', 2), "plan.take('drop-connection-at-message', 2)");
  assert.equal(plan.take('drop-connection-at-message', 2), undefined);
  assert.ok(plan.take('corrupt-package'), "plan.take('corrupt-package')");
  assert.ok(plan.take('corrupt-package'), "plan.take('corrupt-package')");
  assert.equal(plan.take('abort-session', 1), undefined);
});

test('fillText fills known placeholders and leaves the rest', () => {
  assert.equal(
    fillText('Install {name} {version} (now {current}) {x}?', { name: 'Weather', version: '2.0', current: '1.0' }),
    'Install Weather 2.0 (now 1.0) {x}?',
  );
});

test('every lab/examples/scenario-*.json is valid', () => {
  const dir = join(repoRoot, 'lab', 'examples');
  const files = readdirSync(dir).filter((f) => /^scenario-.*\.json$/.test(f));
  assert.ok(files.length >= 3, 'examples exist');
  for (const f of files) assert.ok(loadScenario(join(dir, f)).name, f);
});

test("a message failure can name the device's session: flaky-network's HTTP 500 hits the next session, not the first", () => {
  const s = loadScenario(join(repoRoot, 'lab/examples/scenario-flaky-network.json'));
  const plan = new FailurePlan(s.failures);
  assert.equal(plan.take('http-500-at-message', 1, 1), undefined, 'not the first message of the first session');
  assert.ok(plan.take('http-500-at-message', 1, 2), 'the first message of the second session');
  assert.equal(plan.take('http-500-at-message', 1, 3), undefined, 'once');
  assert.throws(() => parseScenario({ failures: [{ kind: 'http-500-at-message', message: 1, session: 0 }] }), /session/);
});
