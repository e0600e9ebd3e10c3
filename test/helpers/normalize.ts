// Model normalisation for cross-checks: binary Data becomes base64 (what XML carries), so a model that went
// through XML compares equal to one that did not.
import type { SyncMLMessage } from '../../agent/syncml/model.js';
import { base64Encode } from '../../agent/util/bytes.js';

export function normalize(msg: SyncMLMessage): unknown {
  return JSON.parse(JSON.stringify(msg, (_k, v: unknown) => (v instanceof Uint8Array ? base64Encode(v) : v)));
}
