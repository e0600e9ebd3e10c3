import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryTree, aclGrants, parseAcl, parseUri } from '../../../agent/tree/tree.js';
import { DEVICE } from '../../../agent/tree/types.js';
import { DmError } from '../../../agent/errors.js';

const status = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    if (e instanceof DmError) return e.status;
    throw e;
  }
  return 200;
};

function tree() {
  const t = new MemoryTree({ limits: { maxNodes: 40 } });
  t.add('./A', { format: 'node' }, DEVICE);
  t.setAcl('./A', 'Add=s1&Get=*&Replace=s1&Delete=s1&Exec=s2');
  t.add('./A/leaf', { format: 'chr', data: 'v' }, DEVICE);
  t.add('./A/op', { format: 'null' }, DEVICE);
  t.setFlags('./A/op', { exec: true });
  t.add('./P', { format: 'node' }, DEVICE);
  t.setFlags('./P', { permanent: true });
  t.setAcl('./P', 'Get=*&Delete=*&Add=*');
  return t;
}

test('ACL: inherited from the nearest ancestor, * and + lists, DEVICE bypass; forbidden is 425', () => {
  const t = tree();
  assert.equal(t.get('./A/leaf', 's9').data, 'v', 'Get=* inherited');
  assert.equal(
    status(() => t.replace('./A/leaf', { data: 'w' }, 's2')),
    425,
  );
  assert.equal(
    status(() => t.replace('./A/leaf', { data: 'w' }, 's1')),
    200,
  );
  assert.equal(
    status(() => t.checkExec('./A/op', 's1')),
    425,
  );
  assert.equal(
    status(() => t.checkExec('./A/op', 's2')),
    200,
  );
  assert.equal(
    status(() => t.checkExec('./A/leaf', 's2')),
    405,
    'not executable',
  );
  t.replaceProperty('./A/leaf', 'ACL', 'Get=s3', 's1'); // leaf ACL: Replace on the parent decides
  assert.equal(
    status(() => t.get('./A/leaf', 's1')),
    425,
    'own ACL now overrides the parent',
  );
  assert.equal(t.get('./A/leaf', 's3').data, 'w');
  assert.equal(t.getProperty('./A/leaf', 'ACL', 's3'), 'Get=s3');
  assert.equal(
    status(() => t.replaceProperty('./A/leaf', 'ACL', 'Get=*', 's2')),
    425,
  );
  assert.equal(
    status(() => t.replaceProperty('./A/leaf', 'ACL', 'Bogus=*', 's1')),
    400,
  );
  assert.equal(
    status(() => t.add('./B', { format: 'chr', data: 'x' }, 'anyone')),
    200,
    'root grants Add=*',
  );
  assert.equal(
    status(() => t.delete('./B', 'anyone')),
    425,
    'root grants no Delete',
  );
  assert.deepEqual(parseAcl('Add=a+b&Get=*&Add=c').get('Add'), ['a', 'b', 'c']);
});

test('statuses: 404, 405, 418, 415, 414, 400, 420', () => {
  const t = tree();
  assert.equal(
    status(() => t.get('./nope', 's1')),
    404,
  );
  assert.equal(
    status(() => t.replace('./nope', { data: 'x' }, 's1')),
    404,
    'Replace does not create',
  );
  assert.equal(
    status(() => t.add('./A/leaf', { format: 'chr', data: 'x' }, 's1')),
    418,
  );
  assert.equal(
    status(() => t.add('./A/leaf/under', { format: 'chr' }, 's1')),
    405,
    'Add under a leaf',
  );
  assert.equal(
    status(() => t.replace('./A', { data: 'x' }, 's1')),
    405,
    'interior has no value',
  );
  assert.equal(
    status(() => t.delete('.', DEVICE)),
    405,
    'root',
  );
  assert.equal(
    status(() => t.delete('./P', 's1')),
    405,
    'permanent',
  );
  for (const [f, v] of [
    ['int', '12x'],
    ['int', '99999999999'],
    ['bool', 'yes'],
    ['float', '1.2.3'],
    ['date', '2026/11/25'],
    ['b64', 'a$=='],
    ['null', 'x'],
  ] as const) {
    assert.equal(
      status(() => t.add('./A/f', { format: f, data: v }, 's1')),
      415,
      `${f} ${v}`,
    );
  }
  assert.equal(
    status(() => t.add('./A/f', { format: 'int', data: '-42' }, 's1')),
    200,
  );
  assert.equal(
    status(() => t.get(`./${'x/'.repeat(20)}y`, 's1')),
    414,
  );
  assert.equal(
    status(() => t.get('./A/../A', 's1')),
    400,
  );
  assert.equal(
    status(() => t.get('./A//leaf', 's1')),
    400,
  );
  assert.equal(
    status(() => parseUri(`./${'n'.repeat(40)}`)),
    414,
  );
  let full = 0;
  for (let i = 0; i < 50 && full === 0; i++) full = status(() => t.add(`./A/n${i}`, { format: 'chr', data: '' }, 's1')) === 420 ? i : 0;
  assert.ok(full > 0, 'tree full is 420');
});

test('the values of the whole tree have a budget: 420 past it, through Add, Replace, Copy and Delete; restore brings it back', () => {
  const t = new MemoryTree({ limits: { maxTreeValueBytes: 100 } });
  t.add('./A', { format: 'node' }, DEVICE);
  t.setAcl('./A', 'Add=*&Get=*&Replace=*&Delete=*');
  assert.equal(
    status(() => t.add('./A/a', { format: 'chr', data: 'x'.repeat(60) }, 's1')),
    200,
  );
  assert.equal(
    status(() => t.add('./A/b', { format: 'chr', data: 'é'.repeat(21) }, 's1')),
    420,
    '42 bytes of UTF-8 on 60: over 100',
  );
  assert.equal(
    status(() => t.add('./A/b', { format: 'bin', data: new Uint8Array(40) }, 's1')),
    200,
  );
  assert.equal(t.valueBytes, 100);
  assert.equal(
    status(() => t.replace('./A/a', { data: 'x'.repeat(61) }, 's1')),
    420,
  );
  assert.equal(
    status(() => t.replace('./A/a', { data: 'x'.repeat(10) }, 's1')),
    200,
    'a smaller value frees its difference',
  );
  const snap = t.snapshot();
  assert.equal(
    status(() => t.copy('./A/c', './A/b', 's1')),
    200,
  );
  assert.equal(t.valueBytes, 90);
  assert.equal(
    status(() => t.copy('./A/d', './A/b', 's1')),
    420,
  );
  t.restore(snap);
  assert.equal(t.valueBytes, 50);
  t.delete('./A', DEVICE);
  assert.equal(t.valueBytes, 0);
  assert.equal(
    status(() => t.add('./A/z', { format: 'chr', data: 'x'.repeat(100) }, DEVICE)),
    200,
    'the whole budget is usable again',
  );
});

test('Add creates missing interior parents; Get of an interior lists children; Copy of leaves', () => {
  const t = tree();
  t.add('./A/x/y/z', { format: 'chr', data: 'deep' }, 's1');
  assert.deepEqual(t.get('./A/x', 's1').children, ['y']);
  assert.equal(t.get('./A/x/y', 's1').leaf, false);
  t.copy('./A/copy', './A/leaf', 's1');
  assert.equal(t.get('./A/copy', 's1').data, 'v');
  assert.equal(
    status(() => t.copy('./A/c2', './A', 's1')),
    405,
    'interior source',
  );
  assert.equal(t.getProperty('./A/leaf', 'Size', 's1'), '1');
  assert.equal(t.getProperty('./A/leaf', 'Format', 's1'), 'chr');
  t.replaceProperty('./A/copy', 'Name', 'renamed', 's1');
  assert.equal(t.exists('./A/renamed'), true);
  assert.equal(
    status(() => t.replaceProperty('./A/renamed', 'Name', 'leaf', 's1')),
    418,
  );
});

test('snapshot/restore undo every change (what Atomic rolls back with)', () => {
  const t = tree();
  const snap = t.snapshot();
  t.add('./A/new', { format: 'chr', data: 'n' }, 's1');
  t.replace('./A/leaf', { data: 'changed' }, 's1');
  t.delete('./A/op', 's1');
  t.restore(snap);
  assert.equal(t.exists('./A/new'), false);
  assert.equal(t.get('./A/leaf', 's1').data, 'v');
  assert.equal(t.exists('./A/op'), true);
  t.add('./A/after', { format: 'chr', data: '' }, 's1');
  assert.equal(t.exists('./A/after'), true, 'still usable after restore');
});

test('bin values are bytes; a binary leaf keeps exact bytes', () => {
  const t = tree();
  t.add('./A/b', { format: 'bin', data: new Uint8Array([0, 255, 1]) }, 's1');
  assert.deepEqual([...(t.get('./A/b', 's1').data as Uint8Array)], [0, 255, 1]);
  assert.equal(t.get('./A/b', 's1').size, 3);
});

test('commit reuses the JSON of untouched subtrees: after 3000 random changes, each committed text is the tree as it is', async () => {
  const { serializeTree, deserializeTree } = await import('../../../agent/tree/persist-format.js');
  const { MemoryStorage } = await import('../../helpers/memory-storage.js');
  let seed = 12345;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return (seed >>> 8) % n;
  };
  const storage = new MemoryStorage();
  const t = new MemoryTree({ storage, limits: { maxNodes: 200 } });
  const names = ['a', 'b', 'c', 'd'];
  const uri = () => `./${Array.from({ length: 1 + rnd(3) }, () => names[rnd(names.length)]).join('/')}`;
  let snap = t.snapshot();
  const ops = [
    () => t.add(uri(), rnd(3) ? { format: 'chr', data: `v${rnd(100)}` } : { format: 'node' }, DEVICE),
    () => t.add(uri(), { format: 'bin', data: new Uint8Array([rnd(256), rnd(256)]) }, DEVICE),
    () => t.replace(uri(), rnd(2) ? { data: `r${rnd(100)}` } : { format: 'int', data: String(rnd(9)) }, DEVICE),
    () => t.replaceProperty(uri(), 'ACL', rnd(2) ? 'Get=*' : 'Get=s1&Replace=s1', 's1'),
    () => t.replaceProperty(uri(), 'Title', `t${rnd(10)}`, DEVICE),
    () => t.replaceProperty(uri(), 'Name', names[rnd(names.length)]!, DEVICE),
    () => t.delete(uri(), DEVICE),
    () => t.setFlags(uri(), { exec: rnd(2) === 0, permanent: rnd(4) === 0 }),
    () => t.setAcl(uri(), rnd(2) ? undefined : 'Get=*&Add=*'),
    () => t.copy(uri(), uri(), DEVICE),
    () => {
      snap = t.snapshot();
    },
    () => t.restore(snap),
  ];
  let changed = 0;
  for (let i = 0; i < 3000; i++) {
    const before = serializeTree(t.root);
    try {
      ops[rnd(ops.length)]!();
    } catch (e) {
      if (!(e instanceof DmError)) throw e;
    }
    const fresh = serializeTree(t.root);
    if (fresh !== before) changed++;
    t.commit();
    assert.equal(storage.read('tree'), fresh, `after change ${i}`);
  }
  assert.ok(changed > 500, `only ${changed} of 3000 changes took`);
  assert.equal(serializeTree(deserializeTree(storage.read('tree')!)), storage.read('tree'));
});

test('parseUri: its one-pass path agrees with the rule-by-rule reference on 50,000 random URIs (segments or status)', async () => {
  const { checkedUriSegments } = await import('../../../agent/tree/tree.js');
  const pieces = ['./', '/', '.', '..', 'a', 'DevInfo', 'x'.repeat(32), 'y'.repeat(33), '?', 'é', '😀', '\uD800', '', 'Ab-9_~'];
  const limits = { maxNodes: 100, maxValueBytes: 100, maxTreeValueBytes: 1000, maxUriLength: 64, maxDepth: 4, maxSegmentLength: 32 };
  let seed = 7;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return (seed >>> 8) % n;
  };
  const outcome = (f: () => string[]) => {
    try {
      return f().join('|');
    } catch (e) {
      return e instanceof DmError ? `${e.status} ${e.message}` : `crash ${String(e)}`;
    }
  };
  let accepted = 0;
  for (let i = 0; i < 50_000; i++) {
    let u = rnd(4) ? './' : '';
    for (let k = rnd(9); k > 0; k--) u += pieces[rnd(pieces.length)]! + (rnd(3) ? '/' : '');
    if (rnd(2)) u = u.replace(/\/$/, '');
    const got = outcome(() => parseUri(u, limits));
    assert.equal(
      got,
      outcome(() => checkedUriSegments(u, limits)),
      u,
    );
    if (!/^\d{3} /.test(got)) accepted++;
  }
  assert.ok(accepted > 5000, `only ${accepted} accepted URIs: the fast path was barely exercised`);
});

test('list: exactly the nodes of the subtree that get() lets the server read, parents first, on 200 random ACL layouts', () => {
  let seed = 99;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return (seed >>> 8) % n;
  };
  const acls = [undefined, 'Get=s1', 'Get=s2', 'Get=*', 'Replace=s1'];
  for (let round = 0; round < 200; round++) {
    const t = new MemoryTree();
    const all: string[] = ['./R'];
    t.add('./R', { format: 'node' }, DEVICE);
    for (let i = 0; i < 25; i++) {
      const parent = all[rnd(all.length)]!;
      if (t.get(parent, DEVICE).leaf) continue;
      const uri = `${parent}/n${i}`;
      t.add(uri, rnd(2) ? { format: 'node' } : { format: 'chr', data: `v${i}` }, DEVICE);
      all.push(uri);
    }
    for (const u of all) t.setAcl(u, acls[rnd(acls.length)]);
    if (status(() => t.get('./R', 's1')) !== 200) {
      assert.equal(
        status(() => t.list('./R', 's1', 100)),
        425,
      );
      continue;
    }
    const listed = t.list('./R', 's1', 100).map((v) => v.uri);
    const readable = all.filter((u) => status(() => t.get(u, 's1')) === 200);
    assert.deepEqual([...listed].sort(), [...readable].sort());
    for (const u of listed) {
      const parent = u.slice(0, u.lastIndexOf('/'));
      if (listed.includes(parent)) assert.ok(listed.indexOf(parent) < listed.indexOf(u), `${parent} before ${u}`);
    }
    if (listed.length > 1)
      assert.equal(
        status(() => t.list('./R', 's1', listed.length - 1)),
        413,
      );
  }
});

test('aclGrants answers as parseAcl does, on 20,000 drawn ACLs, for every command and for servers in, out of and beside the ACL', () => {
  const cmds = ['Add', 'Delete', 'Exec', 'Get', 'Replace'] as const;
  // Server ids that are prefixes, extensions and neighbours of one another, the '*' and an empty one.
  const ids = ['s', 's1', 's12', '1', '*', 'Get', 'srv+', ''];
  let seed = 20261202;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  let granted = 0;
  for (let k = 0; k < 20000; k++) {
    const entries: string[] = [];
    for (let e = rnd(4); e > 0; e--) {
      const list: string[] = [];
      for (let m = 1 + rnd(3); m > 0; m--) list.push(['s', 's1', 's12', '1', '*', 'Get'][rnd(6)]!);
      entries.push(`${cmds[rnd(5)]}=${list.join('+')}`);
    }
    const acl = entries.join('&');
    const parsed = parseAcl(acl);
    for (const cmd of cmds) {
      for (const who of ids) {
        const want = (parsed.get(cmd) ?? []).some((x) => x === '*' || x === who);
        assert.equal(aclGrants(acl, cmd, who), want, `${acl} ${cmd} ${who}`);
        if (want) granted++;
      }
    }
  }
  const checks = 20000 * cmds.length * ids.length;
  assert.ok(granted > checks / 100 && granted < checks / 2, `the draw tests both answers often (${granted} of ${checks} granted)`);
});

test('aclGrants: an entry parseAcl refuses grants nothing, and the entries beside it still count', () => {
  for (const bad of ['Get', 'Get=', 'Gett=s1', 'get=s1', '=s1', 'Get=+', 'Get=s1&&']) {
    assert.throws(() => parseAcl(bad));
    assert.equal(aclGrants(bad, 'Get', 's1') && !bad.includes('Get=s1'), false, bad);
  }
  assert.equal(aclGrants('Gett=s1', 'Get', 's1'), false);
  assert.equal(aclGrants('Get=&Get=s1', 'Get', 's1'), true);
  assert.equal(aclGrants('Get=s1++s2', 'Get', ''), false, 'no empty server id is granted');
});
