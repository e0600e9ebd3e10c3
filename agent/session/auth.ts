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
 * The hash of "user:pass" is the same for every digest of an account: a UserPassHashes keeps it per account,
 * for its owner (a session keeps its account's and its server's; a lab server or a fleet in one process, the
 * most recent few hundred). Its owner makes it at run time: on the device a table made when this module
 * loads would be in flash, and read-only ("read-only WeakMap instance"), and so would the crypto port it
 * would be keyed by. The digest functions take either one or a bare Crypto port (then nothing is kept).
 */
export class UserPassHashes {
  private readonly memo = new Map<string, Uint8Array>();

  declare readonly crypto: Crypto;
  declare private readonly most: number;

  constructor(crypto: Crypto, most = 256) {
    this.crypto = crypto;
    this.most = most;
  }

  /** utf8(b64(md5("user:pass"))), the first part of every digest of that account. */
  get(user: string, pass: string): Uint8Array {
    const userPass = `${user}:${pass}`;
    let hash = this.memo.get(userPass);
    if (!hash) {
      if (this.memo.size >= this.most) this.memo.delete(this.memo.keys().next().value!);
      hash = userPassHash(this.crypto, userPass);
      this.memo.set(userPass, hash);
    }
    return hash;
  }
}

/** What the digest functions compute with: a crypto port, or the hashes kept for its owner. */
export type DigestCrypto = Crypto | UserPassHashes;

function userPassHash(crypto: Crypto, userPass: string): Uint8Array {
  return utf8Encode(base64Encode(crypto.md5(utf8Encode(userPass))));
}

function portOf(c: DigestCrypto): Crypto {
  return c instanceof UserPassHashes ? c.crypto : c;
}

function userPassHashB64(c: DigestCrypto, user: string, pass: string): Uint8Array {
  return c instanceof UserPassHashes ? c.get(user, pass) : userPassHash(c, `${user}:${pass}`);
}

export function md5Digest(crypto: DigestCrypto, user: string, pass: string, nonce: Uint8Array): string {
  return base64Encode(portOf(crypto).md5(concatBytes([userPassHashB64(crypto, user, pass), COLON, nonce])));
}

export function hmacMac(crypto: DigestCrypto, user: string, pass: string, nonce: Uint8Array, body: Uint8Array): string {
  const port = portOf(crypto);
  const bodyHash = utf8Encode(base64Encode(port.md5(body)));
  return base64Encode(port.md5(concatBytes([userPassHashB64(crypto, user, pass), COLON, nonce, COLON, bodyHash])));
}

export function hmacHeader(crypto: DigestCrypto, user: string, pass: string, nonce: Uint8Array, body: Uint8Array): string {
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
  const skipSpace = () => {
    while (i < n && isSpace(value.charCodeAt(i))) i++;
  };
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
        if (close >= 0) {
          field = value.slice(i + 1, close);
          i = close + 1;
        }
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
export function clientCred(crypto: DigestCrypto, auth: AuthSettings): Cred | undefined {
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
export function checkServerCred(
  crypto: DigestCrypto,
  expected: AuthSettings,
  cred: Cred | undefined,
  hmac: string | undefined,
  body: Uint8Array,
): 'ok' | 'missing' | 'bad' {
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
  const want =
    expected.type === 'BASIC'
      ? basicCred(expected.name, expected.secret)
      : md5Digest(crypto, expected.name, expected.secret, expected.nonce);
  // Compare decoded bytes so base64 line breaks or padding quirks do not matter.
  try {
    return bytesEqual(base64Decode(cred.data), base64Decode(want)) ? 'ok' : 'bad';
  } catch {
    return 'bad';
  }
}
