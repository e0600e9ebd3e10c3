// DM 1.2 authentication (OMA-TS-DM_Security 1.2 §5.1; DM Protocol §8 examples):
//   basic: Cred/Data = b64("user:pass")
//   md5:   Cred/Data = b64(md5(b64(md5("user:pass")) + ":" + nonce))     nonce = raw bytes of the b64 NextNonce
//   HMAC:  header x-syncml-hmac: algorithm=MD5, username="user", mac=b64(md5(b64(md5("user:pass")) + ":" + nonce + ":" + b64(md5(body))))
import type { Crypto } from '../ports.js';
import type { Cred } from '../syncml/model.js';
import type { AuthSettings } from '../tree/types.js';
import { base64Encode, utf8Encode, concatBytes, bytesEqual, base64Decode } from '../util/bytes.js';
import { isAsciiLetter, isSpace } from '../util/scan.js';

export const AUTH_BASIC = 'syncml:auth-basic';
export const AUTH_MD5 = 'syncml:auth-md5';
export const AUTH_MAC = 'syncml:auth-MAC';

const COLON = utf8Encode(':');

export function basicCred(user: string, pass: string): string {
  return base64Encode(utf8Encode(`${user}:${pass}`));
}

/**
 * The hash of "user:pass" is the same for every digest of an account: made once per account, not per message.
 * A device uses one or two (its own, and the server's when it checks it); a fleet or a server in one process
 * interleaves many, so the memo keeps the most recent few hundred rather than the last one.
 */
const USER_PASS_MEMO = 256;
const userPassHashes = new WeakMap<Crypto, Map<string, Uint8Array>>();

function userPassHashB64(crypto: Crypto, user: string, pass: string): Uint8Array {
  const userPass = `${user}:${pass}`;
  let memo = userPassHashes.get(crypto);
  if (!memo) userPassHashes.set(crypto, (memo = new Map()));
  let hash = memo.get(userPass);
  if (!hash) {
    if (memo.size >= USER_PASS_MEMO) memo.delete(memo.keys().next().value!);
    hash = utf8Encode(base64Encode(crypto.md5(utf8Encode(userPass))));
    memo.set(userPass, hash);
  }
  return hash;
}

export function md5Digest(crypto: Crypto, user: string, pass: string, nonce: Uint8Array): string {
  return base64Encode(crypto.md5(concatBytes([userPassHashB64(crypto, user, pass), COLON, nonce])));
}

export function hmacMac(crypto: Crypto, user: string, pass: string, nonce: Uint8Array, body: Uint8Array): string {
  const bodyHash = utf8Encode(base64Encode(crypto.md5(body)));
  return base64Encode(crypto.md5(concatBytes([userPassHashB64(crypto, user, pass), COLON, nonce, COLON, bodyHash])));
}

export function hmacHeader(crypto: Crypto, user: string, pass: string, nonce: Uint8Array, body: Uint8Array): string {
  return `algorithm=MD5, username="${user}", mac=${hmacMac(crypto, user, pass, nonce, body)}`;
}

/**
 * Parses an x-syncml-hmac header value (`name=value` or `name="value"`, comma-separated); undefined when it
 * lacks username or mac. A malformed field is skipped up to the next comma. A loop, not a regular
 * expression: the value comes from the server (util/scan.ts says why).
 */
export function parseHmacHeader(value: string): { algorithm: string; username: string; mac: string } | undefined {
  const fields: Record<string, string> = {};
  const n = value.length;
  let i = 0;
  const skipSpace = () => { while (i < n && isSpace(value.charCodeAt(i))) i++; };
  while (i < n) {
    skipSpace();
    const keyStart = i;
    while (i < n && isAsciiLetter(value.charCodeAt(i))) i++;
    const key = value.slice(keyStart, i).toLowerCase();
    skipSpace();
    let field: string | undefined;
    if (key && value[i] === '=') {
      i++;
      skipSpace();
      if (value[i] === '"') {
        const close = value.indexOf('"', i + 1);
        if (close >= 0) { field = value.slice(i + 1, close); i = close + 1; }
      } else {
        const start = i;
        while (i < n && value[i] !== ',' && !isSpace(value.charCodeAt(i))) i++;
        field = value.slice(start, i);
      }
      skipSpace();
    }
    if (field !== undefined && (i === n || value[i] === ',')) fields[key] = field;
    const comma = value.indexOf(',', i);
    if (comma < 0) break;
    i = comma + 1;
  }
  if (fields.username === undefined || fields.mac === undefined) return undefined;
  return { algorithm: fields.algorithm ?? 'MD5', username: fields.username, mac: fields.mac };
}

/** The SyncHdr Cred for an account's client credential, or undefined (none, or HMAC which is not a Cred). */
export function clientCred(crypto: Crypto, auth: AuthSettings): Cred | undefined {
  if (auth.type === 'BASIC') {
    return { meta: { format: 'b64', type: AUTH_BASIC }, data: basicCred(auth.name, auth.secret) };
  }
  if (auth.type === 'DIGEST') {
    return { meta: { format: 'b64', type: AUTH_MD5 }, data: md5Digest(crypto, auth.name, auth.secret, auth.nonce) };
  }
  return undefined;
}

/** Auth scheme URN an account setting answers a Chal with. */
export function schemeOf(type: AuthSettings['type']): string | undefined {
  return type === 'BASIC' ? AUTH_BASIC : type === 'DIGEST' ? AUTH_MD5 : type === 'HMAC' ? AUTH_MAC : undefined;
}

/**
 * Checks the credential a server put in its SyncHdr against what the account expects (SRVCRED).
 * Returns 'ok', 'missing' (→ 407) or 'bad' (→ 401).
 */
export function checkServerCred(crypto: Crypto, expected: AuthSettings, cred: Cred | undefined,
  hmac: string | undefined, body: Uint8Array): 'ok' | 'missing' | 'bad' {
  if (expected.type === 'NONE') return 'ok';
  if (expected.type === 'HMAC') {
    if (hmac === undefined) return 'missing';
    const h = parseHmacHeader(hmac);
    if (!h || h.username !== expected.name || h.algorithm.toUpperCase() !== 'MD5') return 'bad';
    return h.mac === hmacMac(crypto, expected.name, expected.secret, expected.nonce, body) ? 'ok' : 'bad';
  }
  if (!cred) return 'missing';
  const type = cred.meta?.type ?? AUTH_BASIC;
  if (type !== schemeOf(expected.type)) return 'bad';
  const want = expected.type === 'BASIC'
    ? basicCred(expected.name, expected.secret)
    : md5Digest(crypto, expected.name, expected.secret, expected.nonce);
  // Compare decoded bytes so base64 line breaks or padding quirks do not matter.
  try {
    return bytesEqual(base64Decode(cred.data), base64Decode(want)) ? 'ok' : 'bad';
  } catch {
    return 'bad';
  }
}
