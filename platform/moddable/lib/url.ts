// URL parsing for the transports. XS has no URL class unless the SDK's "url" module is built in, and the
// SDK's socket dictionaries want host, port and path apart anyway; this small parser covers exactly the
// forms a DM account or a PkgURL uses: scheme://[user[:password]@]host[:port][/path][?query].
import { transportError } from './transport-error.js';
import { isAsciiLetter } from '../../../agent/util/scan.js';

/** The parts of `scheme://authority path?query#fragment`; undefined when `uri` has no `letters://`. */
function splitUri(uri: string): { scheme: string; authority: string; path: string } | undefined {
  // Scanned, not matched: a PkgURL comes from the server and may be long (agent/util/scan.ts says why).
  const sep = uri.indexOf('://');
  if (sep <= 0) return undefined;
  for (let i = 0; i < sep; i++) if (!isAsciiLetter(uri.charCodeAt(i))) return undefined;
  let end = sep + 3;
  while (end < uri.length && uri[end] !== '/' && uri[end] !== '?' && uri[end] !== '#') end++;
  const hash = uri.indexOf('#', end);
  return { scheme: uri.slice(0, sep), authority: uri.slice(sep + 3, end), path: uri.slice(end, hash < 0 ? uri.length : hash) };
}

export type Scheme = 'http' | 'https' | 'mqtt' | 'mqtts';

export interface Endpoint {
  scheme: Scheme;
  /** TLS (https, mqtts): the socket is the SDK's SecureSocket. */
  secure: boolean;
  /** Host name or address, without brackets or port (the SDK's socket resolves both). */
  host: string;
  port: number;
  /** Path and query, always starting with '/'. */
  path: string;
  user?: string;
  password?: string;
}

const DEFAULT_PORT: Record<Scheme, number> = { http: 80, https: 443, mqtt: 1883, mqtts: 8883 };

/** Parses `uri` for one of `schemes`; a refusal is a non-retryable TransportError (kind 'other'). */
export function parseEndpoint(uri: string, schemes: readonly Scheme[]): Endpoint {
  const bad = (why: string) => transportError('other', `'${uri}' ${why}`, false);
  const m = splitUri(uri);
  if (!m) throw bad('is not a URL');
  const scheme = m.scheme.toLowerCase() as Scheme;
  if (!schemes.includes(scheme)) throw bad(`is not a ${schemes.join(' or ')} URL`);
  let authority = m.authority;
  let user: string | undefined;
  let password: string | undefined;
  const at = authority.lastIndexOf('@');
  if (at >= 0) {
    const info = authority.slice(0, at);
    authority = authority.slice(at + 1);
    const colon = info.indexOf(':');
    try {
      user = decodeURIComponent(colon >= 0 ? info.slice(0, colon) : info);
      if (colon >= 0) password = decodeURIComponent(info.slice(colon + 1));
    } catch {
      throw bad('has a malformed user name or password');
    }
  }
  let host: string;
  let portText = '';
  if (authority.startsWith('[')) {
    // An IPv6 literal: kept for the message, but lwIP builds of the SDK are usually IPv4-only.
    const close = authority.indexOf(']');
    if (close < 0) throw bad('has an unclosed [ in its host');
    host = authority.slice(1, close);
    const rest = authority.slice(close + 1);
    if (rest && !rest.startsWith(':')) throw bad('has junk after its host');
    portText = rest.slice(1);
  } else {
    const colon = authority.lastIndexOf(':');
    host = colon >= 0 ? authority.slice(0, colon) : authority;
    portText = colon >= 0 ? authority.slice(colon + 1) : '';
  }
  if (!host) throw bad('has no host');
  let port = DEFAULT_PORT[scheme];
  if (portText) {
    if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) throw bad(`has a bad port '${portText}'`);
    port = Number(portText);
  }
  const rawPath = m.path;
  const path = rawPath === '' ? '/' : rawPath.startsWith('/') ? rawPath : `/${rawPath}`;
  const e: Endpoint = { scheme, secure: scheme === 'https' || scheme === 'mqtts', host, port, path };
  if (user !== undefined) e.user = user;
  if (password !== undefined) e.password = password;
  return e;
}
