// The outbox: the commands waiting to go to the server (Statuses, Results, Alerts), and what they are
// fitted into messages under (agent/syncml/fit.ts fits them). A message never grows past the smallest of
// our own MaxMsgSize, the transport's limit and the server's MaxMsgSize; what does not fit goes in the next
// one, which the server asks for with Alert 1222 (DM Protocol: multiple messages in a package).
import type { Command, StatusCmd, SyncHdr } from '../syncml/model.js';
import { AlertCode } from '../syncml/model.js';
import type { FitRequest } from '../syncml/fit.js';
import type { SessionOptions } from './types.js';

/** Our MaxMsgSize when the options give none. */
const DEFAULT_MAX_MSG = 16384;

/** The options of the session (SessionOptions documents them) that shape its messages. */
export type OutboxOptions = Pick<SessionOptions, 'encoding' | 'utf8' | 'maxMsgSize' | 'maxSendSize'>;

export class Outbox {
  /** Commands waiting to go out, in order: a message takes them from the front. */
  readonly queue: Command[] = [];
  /** The Status for the server's SyncHdr: the first command of the next message. */
  declare hdrStatus?: StatusCmd;
  /** The server's package goes on: our next message answers without Final and asks for more (Alert 1222). */
  continuing = false;
  /** The server's MaxMsgSize, once it has announced one. */
  serverMaxMsgSize = 0;
  /** Our own MaxMsgSize, as our SyncHdr announces it. */
  declare readonly maxMsgSize: number;

  declare private readonly o: OutboxOptions;

  constructor(o: OutboxOptions) {
    this.o = o;
    this.maxMsgSize = o.maxMsgSize ?? DEFAULT_MAX_MSG;
  }

  /**
   * What the next message under `hdr` is fitted from (fitMessage, which the session calls itself: one frame
   * less above the encoder): the SyncHdr Status, the queue, and Alert 1222 when the server's package goes on.
   * At least one queued command goes, or the session could never progress. Then sent() with what went.
   */
  next(hdr: SyncHdr): FitRequest {
    const head: Command[] = this.hdrStatus ? [this.hdrStatus] : [];
    this.hdrStatus = undefined;
    const tail: Command[] = this.continuing ? [{ kind: 'Alert', cmdId: '0', data: AlertCode.NextMessage, items: [] }] : [];
    const r: FitRequest = {
      hdr,
      head,
      queued: this.queue,
      tail,
      limit: this.sendLimit(),
      moreToCome: this.continuing,
      atLeastOne: true,
      encoding: this.o.encoding,
    };
    if (this.o.utf8) r.utf8 = this.o.utf8;
    return r;
  }

  /** The first `take` queued commands went out. */
  sent(take: number): void {
    this.queue.splice(0, take);
  }

  /** The size our messages must keep under: the smallest of our own MaxMsgSize, the transport's limit and the server's MaxMsgSize. */
  sendLimit(): number {
    // Our own MaxMsgSize bounds what we build too: it is the size our buffers are made for, and a server
    // that announces a larger one (or none) must not make a device build a message its heap cannot hold.
    let limit = this.maxMsgSize;
    if (this.o.maxSendSize && this.o.maxSendSize > 0) limit = Math.min(limit, this.o.maxSendSize);
    if (this.serverMaxMsgSize > 0) limit = Math.min(limit, this.serverMaxMsgSize);
    return limit;
  }
}
