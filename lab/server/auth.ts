// Device accounts of the lab server and both directions of DM 1.2 authentication (OMA-TS-DM_Security 1.2
// §5.1): the device's credential (basic, MD5 digest in SyncHdr Cred, or HMAC in the x-syncml-hmac header)
// checked against the nonce this server issued, and the server's own credential built with the nonce the
// device issued. The digest arithmetic is the agent's (agent/session/auth.ts): one formula, two peers.
import type { Cred } from '../../agent/syncml/model.js';
import type { AuthSettings } from '../../agent/tree/types.js';
import {
  checkServerCred,
  clientCred,
  hmacHeader,
  parseHmacHeader,
  AUTH_BASIC,
  AUTH_MAC,
  AUTH_MD5,
  type DigestCrypto,
} from '../../agent/session/auth.js';
import { base64Decode, utf8Decode } from '../../agent/util/bytes.js';
import { DmError } from '../../agent/errors.js';
import { aAuthType } from '../../agent/description/seed.js';

export type AuthType = 'none' | 'basic' | 'md5' | 'hmac';

export interface DeviceAccount {
  /** Source/LocName (basic, md5), the user name of a basic credential, or the HMAC header's username. */
  username: string;
  password: string;
  auth: AuthType;
  /** When set, only this DevId may use the account. */
  devId?: string;
  /** First nonce (base64) the device is expected to know, e.g. from a factory bootstrap. */
  nonce?: string;
  /** The server's own credential to this device (DMAcc SRVCRED); absent = the server does not authenticate. */
  server?: { username: string; password: string; auth: Exclude<AuthType, 'none'>; nonce?: string };
}

const TYPES: AuthType[] = ['none', 'basic', 'md5', 'hmac'];

function bad(message: string): never {
  throw new DmError('DM_ERR_CONFIG', 400, `devices: ${message}`);
}

function nonEmpty(o: Record<string, unknown>, k: string, where: string): string {
  const v = o[k];
  if (typeof v !== 'string' || v === '') bad(`${where}.${k} must be a non-empty string`);
  return v;
}

function b64(o: Record<string, unknown>, k: string, where: string): string | undefined {
  const v = o[k];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') bad(`${where}.${k} must be a base64 string`);
  try {
    base64Decode(v);
  } catch {
    bad(`${where}.${k} '${v}' is not base64`);
  }
  return v;
}

/** Parses the credentials table: [{ username, password, auth?: 'md5', devId?, nonce?, server? }]. */
export function parseDevices(json: unknown): DeviceAccount[] {
  const list = Array.isArray(json) ? json : (json as { devices?: unknown } | null)?.devices;
  if (!Array.isArray(list)) bad('expected a list of accounts, or { "devices": [ … ] }');
  const out: DeviceAccount[] = [];
  // A fleet's table has one account per device: a set keeps the duplicate check linear.
  const seen = new Set<string>();
  list.forEach((raw, i) => {
    const where = `devices[${i}]`;
    if (typeof raw !== 'object' || raw === null) bad(`${where} must be an object`);
    const o = raw as Record<string, unknown>;
    const auth = (o.auth ?? 'md5') as AuthType;
    if (!TYPES.includes(auth)) bad(`${where}.auth must be one of ${TYPES.join(', ')}`);
    const a: DeviceAccount = { username: nonEmpty(o, 'username', where), password: nonEmpty(o, 'password', where), auth };
    if (o.devId !== undefined) a.devId = nonEmpty(o, 'devId', where);
    const nonce = b64(o, 'nonce', where);
    if (nonce !== undefined) a.nonce = nonce;
    if (o.server !== undefined) {
      const s = o.server as Record<string, unknown>;
      if (typeof s !== 'object' || s === null) bad(`${where}.server must be an object`);
      const sa = (s.auth ?? 'md5') as AuthType;
      if (sa === 'none' || !TYPES.includes(sa)) bad(`${where}.server.auth must be basic, md5 or hmac`);
      a.server = {
        username: nonEmpty(s, 'username', `${where}.server`),
        password: nonEmpty(s, 'password', `${where}.server`),
        auth: sa as Exclude<AuthType, 'none'>,
      };
      const sn = b64(s, 'nonce', `${where}.server`);
      if (sn !== undefined) a.server.nonce = sn;
    }
    const key = `${a.username}\u0000${a.devId ?? ''}`;
    if (seen.has(key)) bad(`${where}: account ${a.username} is listed twice`);
    seen.add(key);
    out.push(a);
  });
  return out;
}

export function schemeUrn(type: AuthType): string {
  return type === 'basic' ? AUTH_BASIC : type === 'hmac' ? AUTH_MAC : AUTH_MD5;
}

function settings(type: AuthType, name: string, secret: string, nonce: Uint8Array): AuthSettings {
  return { type: aAuthType(type), name, secret, nonce };
}

/** How the account of a device message was found (AccountBook.find), for the log. */
export type FoundBy = 'LocName' | 'HMAC username' | 'basic credential' | 'DevId';

/**
 * The accounts a server knows, indexed by username and by the DevId an account is bound to: a fleet's table
 * has one per device, and every message looks its account up.
 */
export class AccountBook {
  private readonly byName = new Map<string, DeviceAccount[]>();
  private readonly byDevId = new Map<string, DeviceAccount>();

  constructor(accounts: readonly DeviceAccount[]) {
    for (const a of accounts) {
      const same = this.byName.get(a.username);
      if (same) same.push(a);
      else this.byName.set(a.username, [a]);
      if (a.devId !== undefined && !this.byDevId.has(a.devId)) this.byDevId.set(a.devId, a);
    }
  }

  /**
   * The account a device message claims, and how it was found. By name first: Source/LocName, else the HMAC
   * header's username, else the user name inside a basic credential; an account bound to the DevId when the
   * account says so. Then, when no name is given or it names no account, the account bound to the DevId: no DM
   * 1.2 rule requires a LocName (DM RepPro only says it carries the user id for MD5), and clients such as
   * libdmclient send none, so a device known by its DevId is still found. Its credential decides, as always.
   */
  find(
    devId: string,
    locName: string | undefined,
    hmac: string | undefined,
    cred?: Cred,
  ): { account: DeviceAccount; by: FoundBy } | undefined {
    const named: [string | undefined, FoundBy][] = [
      [locName, 'LocName'],
      [hmac !== undefined ? parseHmacHeader(hmac)?.username : undefined, 'HMAC username'],
      [basicUser(cred), 'basic credential'],
    ];
    const [user, by] = named.find(([name]) => name !== undefined) ?? [undefined, 'DevId'];
    const account = user !== undefined ? this.named(devId, user) : undefined;
    if (account) return { account, by };
    const bound = this.byDevId.get(devId);
    return bound ? { account: bound, by: 'DevId' } : undefined;
  }

  private named(devId: string, user: string): DeviceAccount | undefined {
    const same = this.byName.get(user);
    if (!same) return undefined;
    let unbound: DeviceAccount | undefined;
    for (const a of same) {
      if (a.devId === devId) return a;
      if (a.devId === undefined) unbound ??= a;
    }
    return unbound;
  }
}

/** The user name inside a basic credential (b64 of user:pass), if the Cred is one and can be read. */
export function basicUser(cred: Cred | undefined): string | undefined {
  if (!cred || (cred.meta?.type ?? AUTH_BASIC) !== AUTH_BASIC) return undefined;
  try {
    const text = utf8Decode(base64Decode(cred.data));
    const colon = text.indexOf(':');
    return colon > 0 ? text.slice(0, colon) : undefined;
  } catch {
    return undefined;
  }
}

export type Verdict = 'ok' | 'missing' | 'bad';

/** Checks the device's credential: Cred in SyncHdr (basic, md5) or the x-syncml-hmac header over the body. */
export function verifyDevice(
  crypto: DigestCrypto,
  account: DeviceAccount,
  cred: Cred | undefined,
  hmac: string | undefined,
  body: Uint8Array,
  nonce: Uint8Array,
): Verdict {
  if (account.auth === 'none') return 'ok';
  return checkServerCred(crypto, settings(account.auth, account.username, account.password, nonce), cred, hmac, body);
}

/** A nonce the device may have made a credential with, and how to name it in the log. */
export interface KnownNonce {
  nonce: Uint8Array;
  what: string;
}

/**
 * The nonce of `known` a refused MD5 digest or HMAC mac was made with, if any: the password is then right and
 * only the nonce is stale, as on a device's first contact or after a Chal that did not reach it. That is the
 * protocol's normal course (a challenge puts it right), not a wrong password.
 */
export function staleNonce(
  crypto: DigestCrypto,
  account: DeviceAccount,
  cred: Cred | undefined,
  hmac: string | undefined,
  body: Uint8Array,
  known: KnownNonce[],
): KnownNonce | undefined {
  if (account.auth !== 'md5' && account.auth !== 'hmac') return undefined;
  return known.find((k) => verifyDevice(crypto, account, cred, hmac, body, k.nonce) === 'ok');
}

/** What is wrong with a refused credential, for the log a lab user reads. */
export function explainRefusal(account: DeviceAccount, cred: Cred | undefined, hmac: string | undefined): string {
  if (account.auth === 'hmac') {
    if (hmac === undefined) return 'no x-syncml-hmac header (the account uses HMAC)';
    const h = parseHmacHeader(hmac);
    if (!h) return `x-syncml-hmac header '${hmac}' lacks username or mac`;
    if (h.algorithm.toUpperCase() !== 'MD5') return `x-syncml-hmac algorithm ${h.algorithm} (only MD5 exists in DM 1.2)`;
    return 'HMAC mac does not match (wrong password, a nonce this server never sent, or the mac was not computed over the exact body)';
  }
  if (!cred) return `no Cred in SyncHdr (the account uses ${schemeUrn(account.auth)})`;
  const type = cred.meta?.type ?? AUTH_BASIC;
  if (type !== schemeUrn(account.auth)) return `Cred type ${type}, the account uses ${schemeUrn(account.auth)}`;
  if (cred.meta?.format !== undefined && cred.meta.format !== 'b64') return `Cred Format ${cred.meta.format}, must be b64`;
  return account.auth === 'md5'
    ? 'MD5 digest does not match (wrong password, or a nonce this server never sent)'
    : 'basic credential does not match';
}

/** The server's SyncHdr Cred for a device that asks for server authentication (basic or md5). */
export function serverCred(crypto: DigestCrypto, account: DeviceAccount, nonce: Uint8Array): Cred | undefined {
  const s = account.server;
  if (!s || s.auth === 'hmac') return undefined;
  return clientCred(crypto, settings(s.auth, s.username, s.password, nonce));
}

/** The server's x-syncml-hmac header when it authenticates to the device with HMAC. */
export function serverHmac(crypto: DigestCrypto, account: DeviceAccount, nonce: Uint8Array, body: Uint8Array): string | undefined {
  const s = account.server;
  if (s?.auth !== 'hmac') return undefined;
  return hmacHeader(crypto, s.username, s.password, nonce, body);
}
