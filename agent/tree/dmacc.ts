// Reading the DM account the session needs out of ./DMAcc, and writing nonces back.
import type { DmAccount, AuthSettings, DmTree } from './types.js';
import { DEVICE } from './types.js';
import { DmError } from '../errors.js';
import { base64Decode, utf8Decode, utf8Encode } from '../util/bytes.js';

function val(tree: DmTree, uri: string): string {
  const d = tree.get(uri, DEVICE).data;
  return d === undefined ? '' : typeof d === 'string' ? d : utf8Decode(d);
}

function bytes(tree: DmTree, uri: string): Uint8Array {
  const v = tree.get(uri, DEVICE);
  if (v.data === undefined) return new Uint8Array(0);
  if (v.data instanceof Uint8Array) return v.data;
  return v.format === 'b64' ? base64Decode(v.data) : utf8Encode(v.data);
}

function auth(tree: DmTree, path: string | undefined): AuthSettings {
  if (!path) return { type: 'NONE', name: '', secret: '', nonce: new Uint8Array(0) };
  const type = val(tree, `${path}/AAuthType`);
  if (type !== 'BASIC' && type !== 'DIGEST' && type !== 'HMAC' && type !== 'NONE') {
    throw new DmError('DM_ERR_CONFIG', 400, `${path}/AAuthType '${type}' is not supported (BASIC, DIGEST, HMAC)`);
  }
  return { type, name: val(tree, `${path}/AAuthName`), secret: val(tree, `${path}/AAuthSecret`), nonce: bytes(tree, `${path}/AAuthData`) };
}

/** The account for `serverId`, or the first one. */
export function readAccount(tree: DmTree, serverId?: string): DmAccount {
  const accounts = tree.exists('./DMAcc') ? (tree.get('./DMAcc', DEVICE).children ?? []) : [];
  for (const name of accounts) {
    const path = `./DMAcc/${name}`;
    const sid = val(tree, `${path}/ServerID`);
    if (serverId !== undefined && sid !== serverId) continue;
    let client: string | undefined;
    let server: string | undefined;
    if (tree.exists(`${path}/AppAuth`)) {
      for (const a of tree.get(`${path}/AppAuth`, DEVICE).children ?? []) {
        const level = val(tree, `${path}/AppAuth/${a}/AAuthLevel`);
        if (level === 'CLCRED') client = `${path}/AppAuth/${a}`;
        else if (level === 'SRVCRED') server = `${path}/AppAuth/${a}`;
      }
    }
    const acc: DmAccount = {
      path,
      serverId: sid,
      serverUri: val(tree, `${path}/AppAddr/1/Addr`),
      client: auth(tree, client),
      server: auth(tree, server),
    };
    if (tree.exists(`${path}/Name`)) acc.name = val(tree, `${path}/Name`);
    return acc;
  }
  throw new DmError('DM_ERR_CONFIG', 400, serverId ? `no DM account for server ${serverId}` : 'no DM account under ./DMAcc');
}

/** Points the account at another server address (AppAddr). */
export function writeServerUri(tree: DmTree, account: DmAccount, uri: string): void {
  tree.replace(`${account.path}/AppAddr/1/Addr`, { data: uri }, DEVICE);
}

/** Stores the nonce to use next with (client) or expect from (server) the server. */
export function writeNonce(tree: DmTree, account: DmAccount, which: 'client' | 'server', nonce: Uint8Array): void {
  const level = which === 'client' ? 'CLCRED' : 'SRVCRED';
  const base = `${account.path}/AppAuth`;
  if (!tree.exists(base)) return;
  for (const a of tree.get(base, DEVICE).children ?? []) {
    if (val(tree, `${base}/${a}/AAuthLevel`) === level) tree.replace(`${base}/${a}/AAuthData`, { format: 'bin', data: nonce }, DEVICE);
  }
}
