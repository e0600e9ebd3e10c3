// Fitting commands into one message under a size limit: the one algorithm the device's session and the lab
// server both use (DM Protocol: a package spans messages; what does not fit waits for the next one, which
// the other side asks for with Alert 1222). Pure: it encodes, and leaves the queue to its caller.
import type { Encoding } from './codec.js';
import { encodeMessage } from './codec.js';
import type { Command, Item, SyncHdr, SyncMLMessage } from './model.js';
import { numberCommands } from './numbering.js';
import type { Utf8 } from '../ports.js';

export interface FitRequest {
  hdr: SyncHdr;
  /** Sent first, always (the Statuses). */
  head: Command[];
  /** Sent in order, as many as fit. */
  queued: Command[];
  /** Sent last, always (an Alert 1222 asking for the rest of the other side's package). */
  tail: Command[];
  /** Bytes the message must keep under; 0 for no limit. */
  limit: number;
  /** The package goes on after this message: no Final even when every queued command fits. */
  moreToCome: boolean;
  /**
   * When even one queued command does not fit beside the head: send it anyway (true: nothing else could
   * make room, and the session must progress), or send none (false: sending the head makes room).
   */
  atLeastOne: boolean;
  encoding: Encoding;
  utf8?: Utf8;
  /** Another encoder than the agent's (the lab server's own, an independent writer). */
  encode?: (m: SyncMLMessage) => Uint8Array;
}

export interface Fitted {
  /** How many queued commands went in. */
  take: number;
  /** The message body, CmdIDs numbered: head, then queued[0 … take), then tail. */
  body: Command[];
  final: boolean;
  /** The encoded message: it goes on the wire as it is. May exceed the limit only when one command does. */
  bytes: Uint8Array;
}

/**
 * The commands that fit, found without ever encoding much more than `limit` bytes: a device's heap holds the
 * message being built, and a long queue (a listed subtree) encoded whole would not fit in it. A prefix is
 * picked by estimated size, encoded, then grown by the estimate scaled to what that encoding really took; once
 * a count is over, the gap between it and the largest that fitted is halved until they meet, so the message
 * holds the longest prefix that fits.
 */
export function fitMessage(r: FitRequest): Fitted {
  // Few locals: each is a slot of the device's stack at the encoder's depth.
  const queued = r.queued;
  const limit = r.limit > 0 ? r.limit : Number.POSITIVE_INFINITY;
  const least = r.atLeastOne ? 1 : 0;
  const build = (count: number): Command[] => numberCommands([...r.head, ...queued.slice(0, count), ...r.tail]);
  const n = queued.length;
  const sizes = queued.map(estimatedSize);
  const fixed = 400 + r.head.reduce((k, c) => k + estimatedSize(c), 0);
  const estimate = (count: number) => {
    let e = fixed;
    for (let k = 0; k < count; k++) e += sizes[k]!;
    return e;
  };
  let candidate = 0;
  for (let est = fixed; candidate < n && (candidate < least || est + sizes[candidate]! <= limit); candidate++) est += sizes[candidate]!;
  let take = -1;
  let body: Command[] = [];
  let bytes: Uint8Array = new Uint8Array(0);
  // The fewest commands known to be over the limit (n + 1: none known yet).
  let over = n + 1;
  for (let grows = 0; ; ) {
    const tried = build(candidate);
    const msg: SyncMLMessage = { hdr: r.hdr, body: tried, final: candidate === n && !r.moreToCome };
    // encodeMessage is called here, not through a helper: the encoder runs at the session's deepest point,
    // where every frame counts on the device's 640-slot stack (test/xs/stack.test.ts).
    const encoded = r.encode ? r.encode(msg) : encodeMessage(msg, r.encoding, r.utf8);
    if (encoded.length > limit && candidate > least) {
      over = candidate;
      // Over: halve the gap to the largest count that fitted; without one yet, a command less.
      candidate = take >= 0 ? (take + over) >> 1 : candidate - 1;
      if (candidate <= take) break;
      continue;
    }
    take = candidate;
    body = tried;
    bytes = encoded;
    if (encoded.length > limit || take === n) break;
    if (over <= n) {
      // Between a count that fits and one that does not: halve the gap.
      candidate = (take + over) >> 1;
      if (candidate <= take) break;
      continue;
    }
    // The estimate runs high (WBXML especially): scale it by what the encoding took and add what then
    // fits, for a few rounds.
    if (++grows > 4) break;
    const scale = encoded.length / estimate(take);
    let used = encoded.length;
    while (candidate < n && used + sizes[candidate]! * scale <= limit) used += sizes[candidate++]! * scale;
    if (candidate === take) break;
  }
  return { take, body, final: take === n && !r.moreToCome, bytes };
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
      for (const ref of c.targetRefs) size += 30 + ref.length;
      for (const ref of c.sourceRefs) size += 30 + ref.length;
      if (c.chal) size += 200;
    }
    if (c.kind === 'Atomic' || c.kind === 'Sequence') for (const x of c.commands) todo.push(x);
    if ('items' in c) for (const it of c.items) size += itemSize(it);
  }
  return size;
}
