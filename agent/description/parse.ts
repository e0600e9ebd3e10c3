// Validation of the device description JSON (description.ts): every refusal names the field.
import type { DeviceDescription } from './description.js';
import { DmError } from '../errors.js';
import { base64Decode } from '../util/bytes.js';
import { isUrlOf } from '../util/scan.js';

type Obj = Record<string, unknown>;

function fail(path: string, what: string): never {
  throw new DmError('DM_ERR_CONFIG', 400, `device description: ${path} ${what}`);
}

function obj(v: unknown, path: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, 'must be an object');
  return v as Obj;
}

function str(o: Obj, key: string, path: string, optional = false): string | undefined {
  const v = o[key];
  if (v === undefined && optional) return undefined;
  if (typeof v !== 'string' || v === '') fail(`${path}.${key}`, 'must be a non-empty string');
  return v;
}

function oneOf<T extends string>(o: Obj, key: string, path: string, allowed: readonly T[], optional = false): T | undefined {
  const v = str(o, key, path, optional);
  if (v === undefined) return undefined;
  if (!allowed.includes(v as T)) fail(`${path}.${key}`, `must be one of ${allowed.join('|')}`);
  return v as T;
}

/**
 * Every duration is bounded: a timer longer than 2^31-1 ms overflows (Node warns and fires after 1 ms), so
 * the limits below keep each one, and a schedule's interval plus its jitter, well under that.
 */
export const DURATION_LIMITS = {
  timeoutMs: 600000, // transport.timeoutMs: 10 minutes
  minutes: 10080, // schedule.*Minutes: one week each
  debounceMs: 1000,
  longPressMs: 60000,
} as const;

function posNum(o: Obj, key: string, path: string, max: number, optional = true): number | undefined {
  const v = o[key];
  if (v === undefined && optional) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || v > max) fail(`${path}.${key}`, `must be a number > 0 and at most ${max}`);
  return v;
}

const MAX_NAME = 64;

/** Edit distance of two short names (cut at MAX_NAME), two rows at a time: no recursion, bounded work. */
function distance(a: string, b: string): number {
  a = a.slice(0, MAX_NAME).toLowerCase();
  b = b.slice(0, MAX_NAME).toLowerCase();
  let prev: number[] = [];
  for (let j = 0; j <= b.length; j++) prev.push(j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row.push(Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    }
    prev = row;
  }
  return prev[b.length]!;
}

/** The known name nearest to `name`, if it is near enough to be a likely misspelling. */
export function nearestName(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Math.max(2, Math.floor(Math.min(name.length, MAX_NAME) / 3)) + 1;
  for (const k of known) {
    const d = distance(name, k);
    if (d < bestD) {
      best = k;
      bestD = d;
    }
  }
  return best;
}

/**
 * The first key of `o` not in `known`, said as `<prefix><key> is not a known field (did you mean …?)`,
 * or undefined when every key is known. `prefix` is the path with its trailing dot ('' at the root).
 */
export function unknownField(o: Record<string, unknown>, prefix: string, known: readonly string[]): string | undefined {
  for (const k in o) {
    if (!Object.hasOwn(o, k) || known.includes(k)) continue;
    const near = nearestName(k, known);
    const shown = k.length > MAX_NAME ? `${k.slice(0, MAX_NAME)}…` : k;
    return `${prefix}${shown} is not a known field (${near !== undefined ? `did you mean ${prefix}${near}?` : `known: ${known.join(', ')}`})`;
  }
  return undefined;
}

function only(o: Obj, path: string, known: readonly string[]): void {
  const u = unknownField(o, path === '' ? '' : `${path}.`, known);
  if (u !== undefined) throw new DmError('DM_ERR_CONFIG', 400, `device description: ${u}`);
}

const NODE_NAME = /^[A-Za-z0-9_.-]{1,32}$/;

function cred(v: unknown, path: string, types: readonly string[]) {
  const o = obj(v, path);
  only(o, path, ['type', 'username', 'password', 'nonce']);
  const type = oneOf(o, 'type', path, types)!;
  if (type === 'none')
    return { type, username: typeof o.username === 'string' ? o.username : '', password: typeof o.password === 'string' ? o.password : '' };
  const c: { type: string; username: string; password: string; nonce?: string } = {
    type,
    username: str(o, 'username', path)!,
    password: str(o, 'password', path)!,
  };
  const nonce = str(o, 'nonce', path, true);
  if (nonce !== undefined) {
    try {
      base64Decode(nonce);
    } catch {
      fail(`${path}.nonce`, 'must be base64');
    }
    c.nonce = nonce;
  }
  return c;
}

export function parseDeviceDescription(json: unknown): DeviceDescription {
  const root = obj(json, 'the description');
  only(root, '', ['devInfo', 'devDetail', 'account', 'transport', 'components', 'schedule', 'button']);
  const di = obj(root.devInfo, 'devInfo');
  only(di, 'devInfo', ['devId', 'man', 'mod', 'dmV', 'lang']);
  const devInfo: DeviceDescription['devInfo'] = {
    devId: str(di, 'devId', 'devInfo')!,
    man: str(di, 'man', 'devInfo')!,
    mod: str(di, 'mod', 'devInfo')!,
  };
  const dmV = str(di, 'dmV', 'devInfo', true);
  if (dmV) devInfo.dmV = dmV;
  const lang = str(di, 'lang', 'devInfo', true);
  if (lang) devInfo.lang = lang;
  const desc: DeviceDescription = { devInfo, account: undefined as never, components: [] };
  if (root.devDetail !== undefined) {
    const dd = obj(root.devDetail, 'devDetail');
    only(dd, 'devDetail', ['devTyp', 'oem', 'fwV', 'swV', 'hwV', 'lrgObj']);
    const out: NonNullable<DeviceDescription['devDetail']> = {};
    for (const k of ['devTyp', 'oem', 'fwV', 'swV', 'hwV'] as const) {
      const v = str(dd, k, 'devDetail', true);
      if (v) out[k] = v;
    }
    if (dd.lrgObj !== undefined) {
      if (typeof dd.lrgObj !== 'boolean') fail('devDetail.lrgObj', 'must be true or false');
      out.lrgObj = dd.lrgObj;
    }
    desc.devDetail = out;
  }
  const a = obj(root.account, 'account');
  only(a, 'account', ['id', 'serverId', 'serverUri', 'name', 'auth', 'serverAuth']);
  const serverUri = str(a, 'serverUri', 'account')!;
  if (!isUrlOf(serverUri, ['http', 'https', 'mqtt', 'mqtts'])) fail('account.serverUri', 'must be an http(s):// or mqtt(s):// URL');
  desc.account = {
    serverId: str(a, 'serverId', 'account')!,
    serverUri,
    auth: cred(a.auth, 'account.auth', ['none', 'basic', 'md5', 'hmac']) as DeviceDescription['account']['auth'],
  };
  const id = str(a, 'id', 'account', true);
  if (id) {
    if (!NODE_NAME.test(id)) fail('account.id', 'must be a node name (letters, digits, _ . -; at most 32)');
    desc.account.id = id;
  }
  const name = str(a, 'name', 'account', true);
  if (name) desc.account.name = name;
  if (a.serverAuth !== undefined)
    desc.account.serverAuth = cred(a.serverAuth, 'account.serverAuth', ['basic', 'md5', 'hmac']) as NonNullable<
      DeviceDescription['account']['serverAuth']
    >;
  if (root.transport !== undefined) {
    const t = obj(root.transport, 'transport');
    only(t, 'transport', ['kind', 'encoding', 'mqtt', 'caFile', 'timeoutMs', 'retries']);
    const tr: NonNullable<DeviceDescription['transport']> = { kind: oneOf(t, 'kind', 'transport', ['http', 'mqtt'] as const) ?? 'http' };
    const enc = oneOf(t, 'encoding', 'transport', ['xml', 'wbxml'] as const, true);
    if (enc) tr.encoding = enc;
    if (t.mqtt !== undefined) {
      const m = obj(t.mqtt, 'transport.mqtt');
      only(m, 'transport.mqtt', ['url', 'username', 'password', 'topicPrefix']);
      const url = str(m, 'url', 'transport.mqtt')!;
      if (!isUrlOf(url, ['mqtt', 'mqtts'])) fail('transport.mqtt.url', 'must be an mqtt:// or mqtts:// URL');
      tr.mqtt = { url };
      for (const k of ['username', 'password', 'topicPrefix'] as const) {
        const v = str(m, k, 'transport.mqtt', true);
        if (v) tr.mqtt[k] = v;
      }
    }
    if (tr.kind === 'mqtt' && !tr.mqtt) fail('transport.mqtt', 'is required when transport.kind is mqtt');
    const ca = str(t, 'caFile', 'transport', true);
    if (ca) tr.caFile = ca;
    const to = posNum(t, 'timeoutMs', 'transport', DURATION_LIMITS.timeoutMs);
    if (to) tr.timeoutMs = to;
    if (t.retries !== undefined) {
      if (typeof t.retries !== 'number' || !Number.isInteger(t.retries) || t.retries < 0 || t.retries > 10)
        fail('transport.retries', 'must be an integer 0..10');
      tr.retries = t.retries;
    }
    desc.transport = tr;
  }
  if (!Array.isArray(root.components)) fail('components', 'must be an array (it may be empty)');
  const nodes = new Set<string>();
  const ids = new Set<string>();
  (root.components as unknown[]).forEach((c, i) => {
    const p = `components[${i}]`;
    const o = obj(c, p);
    only(o, p, ['node', 'id', 'name', 'version', 'description', 'state', 'pkgIdRef']);
    const node = str(o, 'node', p)!;
    if (!NODE_NAME.test(node)) fail(`${p}.node`, 'must be a node name (letters, digits, _ . -; at most 32)');
    const cid = str(o, 'id', p)!;
    if (nodes.has(node)) fail(`${p}.node`, `'${node}' is used twice`);
    if (ids.has(cid)) fail(`${p}.id`, `'${cid}' is used twice`);
    nodes.add(node);
    ids.add(cid);
    const comp: DeviceDescription['components'][number] = { node, id: cid, name: str(o, 'name', p)!, version: str(o, 'version', p)! };
    const d = str(o, 'description', p, true);
    if (d) comp.description = d;
    const st = oneOf(o, 'state', p, ['active', 'inactive'] as const, true);
    if (st) comp.state = st;
    const ref = str(o, 'pkgIdRef', p, true);
    if (ref) comp.pkgIdRef = ref;
    desc.components.push(comp);
  });
  if (root.schedule !== undefined) {
    const s = obj(root.schedule, 'schedule');
    only(s, 'schedule', ['intervalMinutes', 'jitterMinutes', 'backoffMinutes', 'backoffCapMinutes']);
    desc.schedule = { intervalMinutes: posNum(s, 'intervalMinutes', 'schedule', DURATION_LIMITS.minutes, false)! };
    for (const k of ['jitterMinutes', 'backoffMinutes', 'backoffCapMinutes'] as const) {
      const v = posNum(s, k, 'schedule', DURATION_LIMITS.minutes);
      if (v) desc.schedule[k] = v;
    }
  }
  if (root.button !== undefined) {
    const b = obj(root.button, 'button');
    only(b, 'button', ['debounceMs', 'longPressMs']);
    desc.button = {};
    const db = posNum(b, 'debounceMs', 'button', DURATION_LIMITS.debounceMs);
    if (db) desc.button.debounceMs = db;
    const lp = posNum(b, 'longPressMs', 'button', DURATION_LIMITS.longPressMs);
    if (lp) desc.button.longPressMs = lp;
    if ((desc.button.longPressMs ?? 2000) <= (desc.button.debounceMs ?? 30)) fail('button.longPressMs', 'must be longer than debounceMs');
  }
  return desc;
}
