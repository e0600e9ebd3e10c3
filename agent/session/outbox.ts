// The outbox: the commands waiting to go to the server (Statuses, Results, Alerts) and the fitting of
// them into messages. A message never grows past the smallest of our own MaxMsgSize, the transport's
// limit and the server's MaxMsgSize; what does not fit goes in the next one, which the server asks for
// with Alert 1222 (DM Protocol: multiple messages in a package).
import type { Command, Item, StatusCmd, SyncHdr } from '../syncml/model.js';
import { AlertCode } from '../syncml/model.js';
import { encodeMessage } from '../syncml/codec.js';
import { numberCommands } from '../syncml/numbering.js';
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
   * The body of the next message under `hdr`: the SyncHdr Status, the queued commands that fit under sendLimit(),
   * and Alert 1222 when the server's package goes on; the rest waits for the next message.
   */
  fill(hdr: SyncHdr): { body: Command[]; final: boolean; bytes: Uint8Array } {
    const head: Command[] = this.hdrStatus ? [this.hdrStatus] : [];
    this.hdrStatus = undefined;
    const tail: Command[] = this.continuing ? [{ kind: 'Alert', cmdId: '0', data: AlertCode.NextMessage, items: [] }] : [];
    const limit = this.sendLimit();
    const build = (n: number): Command[] => numberCommands([...head, ...this.queue.slice(0, n), ...tail]);
    // The commands that fit, found without ever encoding much more than `limit` bytes: a device's heap
    // holds the message being built, and a long outbox (a listed subtree) encoded whole would not fit in it.
    // A prefix is picked by estimated size, encoded, then grown by the estimate scaled to what that encoding
    // really took, and shrunk a command at a time while over. At least one command goes, or the session could
    // never progress. The bytes that fit are the message itself: they go on the wire as they are.
    const n = this.queue.length;
    const sizes = this.queue.map(estimatedSize);
    const fixed = 400 + head.reduce((k, c) => k + estimatedSize(c), 0);
    const estimate = (count: number) => {
      let e = fixed;
      for (let k = 0; k < count; k++) e += sizes[k]!;
      return e;
    };
    let candidate = 0;
    for (let est = fixed; candidate < n && (candidate === 0 || est + sizes[candidate]! <= limit); candidate++) est += sizes[candidate]!;
    // encodeMessage is called here, not from a helper: the encoder runs at the session's deepest point, where
    // every frame counts on the device's 640-slot stack (test/xs/stack.test.ts).
    let take = -1;
    let bytes: Uint8Array = new Uint8Array(0);
    for (let grows = 0; ; ) {
      const tried = encodeMessage(
        { hdr, body: build(candidate), final: candidate === n && !this.continuing },
        this.o.encoding,
        this.o.utf8,
      );
      if (tried.length > limit && candidate > 1) {
        // Over: the last size that fitted is the message; without one yet, a command less.
        if (take >= 0) break;
        candidate--;
        continue;
      }
      take = candidate;
      bytes = tried;
      // The estimate runs high (WBXML especially): scale it by what the encoding took and add what then
      // fits, for a few rounds.
      if (tried.length > limit || take === n || ++grows > 4) break;
      const scale = tried.length / estimate(take);
      let used = tried.length;
      while (candidate < n && used + sizes[candidate]! * scale <= limit) used += sizes[candidate++]! * scale;
      if (candidate === take) break;
    }
    const body = build(take);
    const final = take === n && !this.continuing;
    this.queue.splice(0, take);
    return { body, final, bytes };
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

/** About the bytes an Item takes as XML: its elements, URIs, Meta and value (binary as base64). */
function itemSize(it: Item): number {
  let n = 80;
  if (it.source) n += 40 + it.source.locURI.length + (it.source.locName?.length ?? 0);
  if (it.target) n += 40 + it.target.locURI.length + (it.target.locName?.length ?? 0);
  if (it.meta) n += 80 + (it.meta.type?.length ?? 0) + (it.meta.format?.length ?? 0) + (it.meta.mark?.length ?? 0);
  const d = it.data;
  if (d !== undefined) n += 20 + (typeof d === 'string' ? d.length : Math.ceil(d.length / 3) * 4);
  return n;
}

/**
 * About the bytes a command takes in a message, as XML (text counted in UTF-16 units: the fitting loop
 * shrinks a message the estimate let run over). Containers are walked with an array.
 */
export function estimatedSize(cmd: Command): number {
  let size = 0;
  const todo: Command[] = [cmd];
  while (todo.length) {
    const c = todo.pop()!;
    size += 120;
    if (c.kind === 'Status') {
      for (const r of c.targetRefs) size += 30 + r.length;
      for (const r of c.sourceRefs) size += 30 + r.length;
      if (c.chal) size += 200;
    }
    if (c.kind === 'Atomic' || c.kind === 'Sequence') for (const x of c.commands) todo.push(x);
    if ('items' in c) for (const it of c.items) size += itemSize(it);
  }
  return size;
}
