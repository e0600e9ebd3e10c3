// The one error the Node bindings reject with: a kind the agent and the lab can branch on, and whether
// sending the same message again later may help.
import type { TransportErrorInfo } from '../../agent/ports.js';

export class TransportError extends Error {
  override readonly name = 'TransportError';
  readonly code: string;
  /** info.retryable and info.httpStatus again, where the agent reads them on what a Downloader throws. */
  readonly retryable: boolean;
  readonly httpStatus?: number;
  constructor(readonly info: TransportErrorInfo) {
    super(info.message);
    this.code = `DM_ERR_TRANSPORT_${info.kind.toUpperCase().replace(/-/g, '_')}`;
    this.retryable = info.retryable;
    if (info.httpStatus !== undefined) this.httpStatus = info.httpStatus;
  }
}

// Node's codes for a server certificate the client refuses (tls.checkServerIdentity and OpenSSL's verify
// results), each with what it means for the person who reads the error.
const CERT_PROBLEMS: Record<string, string> = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'is not signed by a CA this device trusts',
  UNABLE_TO_GET_ISSUER_CERT: 'is not signed by a CA this device trusts',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'is not signed by a CA this device trusts',
  SELF_SIGNED_CERT_IN_CHAIN: 'comes from a CA this device does not trust',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'is self-signed, and this device does not trust it',
  CERT_HAS_EXPIRED: 'has expired',
  CERT_NOT_YET_VALID: 'is not valid yet',
  ERR_TLS_CERT_ALTNAME_INVALID: 'is for another host name',
  CERT_REVOKED: 'is revoked',
  CERT_SIGNATURE_FAILURE: 'has a bad signature',
};

/**
 * A TransportError for a server whose certificate the device refused, or undefined when `e` is something
 * else. Not retryable: the same certificate is refused again. The message names the problem and Node's code,
 * e.g. "the TLS certificate of 127.0.0.1:8443 is refused: it has expired (CERT_HAS_EXPIRED: certificate has expired)".
 */
export function certificateRefusal(e: { code?: unknown; message: string }, where: string): TransportError | undefined {
  const code = typeof e.code === 'string' ? e.code : '';
  const problem = CERT_PROBLEMS[code] ?? (/CERT/.test(code) ? 'failed the check' : undefined);
  if (problem === undefined) return undefined;
  const hint = problem.includes('trust') ? "; give the server's CA in the device description's transport.caFile" : '';
  return new TransportError({
    kind: 'tls',
    message: `the TLS certificate of ${where} is refused: it ${problem} (${code}: ${e.message})${hint}`,
    retryable: false,
  });
}
