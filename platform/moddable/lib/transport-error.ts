// The one error the Moddable bindings (HTTP, MQTT, package download) reject with. It carries the port's
// TransportErrorInfo, so the agent can tell "try again later" from "this will never work", and a stable code
// (DM_ERR_TRANSPORT_<KIND>) that logs and the lab can match on. The same shape as platform/node's, kept
// separate because device code may not import anything from platform/node.
import type { TransportErrorInfo, TransportFailure } from '../../../agent/ports.js';

export class TransportError extends Error {
  // A class field, not `this.name = …`: XS freezes Error.prototype after preload, and assigning over its
  // non-writable `name` would throw; a field defines an own property instead.
  override readonly name = 'TransportError';
  readonly code: string;
  readonly info: TransportErrorInfo;
  /** info.retryable and info.httpStatus again, where the agent reads them on what a Downloader throws. */
  readonly retryable: boolean;
  readonly httpStatus?: number;
  constructor(info: TransportErrorInfo) {
    super(info.message);
    this.info = info;
    this.code = transportErrorCode(info.kind);
    this.retryable = info.retryable;
    if (info.httpStatus !== undefined) this.httpStatus = info.httpStatus;
  }
}

export function transportErrorCode(kind: TransportFailure): string {
  return `DM_ERR_TRANSPORT_${kind.toUpperCase().replace(/-/g, '_')}`;
}

export function transportError(kind: TransportFailure, message: string, retryable: boolean, httpStatus?: number): TransportError {
  return new TransportError(httpStatus === undefined ? { kind, message, retryable } : { kind, message, retryable, httpStatus });
}
