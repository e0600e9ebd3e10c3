// Which message on …/down answers the message in flight, for the Moddable MQTT binding. One message is in
// flight at a time and the next message on /down is its reply: no SyncML is decoded on the device for this.
// A message with nothing in flight is a stray (a late reply of a message already given up on). A message
// identical to the last reply delivered is a duplicate: the server answers a message published again (after
// a timeout or a reconnect) with the reply it already made, and that copy may arrive after the first one was
// taken, while the next message is in flight; taking it would answer the wrong message.
import { bytesEqual } from '../../../agent/util/bytes.js';

export type Verdict = 'reply' | 'duplicate' | 'stray' | 'too-large';

export class ReplyGate {
  /** The last reply taken (one message's worth of RAM, at most maxBytes). */
  private last?: Uint8Array;

  constructor(readonly maxBytes: number) {}

  judge(payload: Uint8Array, inFlight: boolean): Verdict {
    if (this.last && bytesEqual(payload, this.last)) return 'duplicate';
    if (!inFlight) return 'stray';
    if (payload.length > this.maxBytes) return 'too-large';
    this.last = payload;
    return 'reply';
  }
}
