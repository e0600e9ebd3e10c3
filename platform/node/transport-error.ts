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
