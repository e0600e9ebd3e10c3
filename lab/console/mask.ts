// Secrets never leave the console: a basic credential (base64 of user:password) and the values of DMAcc
// secrets (AAuthSecret, and any node named like a password) in a decoded message are replaced by a mask
// before it is shown or exported. An MD5 or HMAC digest is kept: it proves the password without giving it.
import type { Command, Item, SyncMLMessage } from '../../agent/syncml/model.js';

export const MASK = '(secret, not shown)';

const SECRET_NODE = /(^|\/)(AAuthSecret|[^/]*passw(or)?d[^/]*|ServerPW|ClientPW)$/i;

function secretItem(i: Item): boolean {
  return SECRET_NODE.test(i.target?.locURI ?? '') || SECRET_NODE.test(i.source?.locURI ?? '');
}

function maskItems(items: Item[]): boolean {
  let masked = false;
  for (const i of items) {
    if (i.data !== undefined && secretItem(i)) {
      i.data = MASK;
      masked = true;
    }
  }
  return masked;
}

function maskCommand(c: Command): boolean {
  let masked = false;
  if (c.kind === 'Atomic' || c.kind === 'Sequence') {
    for (const inner of c.commands) masked = maskCommand(inner) || masked;
    return masked;
  }
  if (c.kind === 'Status' && c.cred && /basic/i.test(c.cred.meta?.type ?? 'basic')) {
    c.cred.data = MASK;
    masked = true;
  }
  if ('items' in c) masked = maskItems(c.items) || masked;
  return masked;
}

/** Masks the secrets of a decoded message in place; true when there was one. */
export function maskSecrets(msg: SyncMLMessage): boolean {
  let masked = false;
  const cred = msg.hdr.cred;
  // A Cred without a Type is basic (RepPro: syncml:auth-basic is the default).
  if (cred && /basic/i.test(cred.meta?.type ?? 'basic')) {
    cred.data = MASK;
    masked = true;
  }
  for (const c of msg.body) masked = maskCommand(c) || masked;
  return masked;
}
