// The one error the Node bindings reject with: a kind the agent and the lab can branch on, and whether
// sending the same message again later may help.
import type { TransportErrorInfo } from '../../agent/ports.js';

export class TransportError extends Error {
  override readonly name = 'TransportError';
  readonly code: string;
  constructor(readonly info: TransportErrorInfo) {
    super(info.message);
    this.code = `DM_ERR_TRANSPORT_${info.kind.toUpperCase().replace(/-/g, '_')}`;
  }
}
