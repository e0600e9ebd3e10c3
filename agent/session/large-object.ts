// Large object reassembly (DM Protocol §10, Large Object Handling): a value too large for one message comes
// as chunks of Add or Replace with MoreData, the first announcing the whole size in Meta/Size. Each chunk is
// answered 213 and the last one lands the value; a size that does not add up is 424, an object whose end
// never comes (another command, or the end of the package) is reported with Alert 1225.
import type { Command, Item, Meta } from '../syncml/model.js';
import { AlertCode } from '../syncml/model.js';
import type { NodeFormat } from '../tree/types.js';
import { concatBytes, utf8Encode, utf8Length } from '../util/bytes.js';

interface LargeObject {
  kind: 'Add' | 'Replace';
  uri: string;
  format: NodeFormat;
  type?: string;
  size: number;
  /** Bytes received so far: more than `size` ends the object at once, so chunks cannot pile up in memory. */
  received: number;
  parts: (string | Uint8Array)[];
}

export class LargeObjects {
  declare private current?: LargeObject;

  /** `maxObjSize`: the largest object we accept, as our SyncHdr announces it. */
  declare readonly maxObjSize: number;

  constructor(maxObjSize: number) {
    this.maxObjSize = maxObjSize;
  }

  /** The target of the object being received, if one is. */
  get uri(): string | undefined {
    return this.current?.uri;
  }

  /** Takes one chunk: 213 for more to come, 412/413/424 for an object refused, 0 with the whole value. */
  addChunk(kind: 'Add' | 'Replace', uri: string, meta: Meta, item: Item): { code: number; data?: string | Uint8Array } {
    let lo = this.current;
    if (!lo) {
      if (meta.size === undefined) return { code: 412 };
      if (meta.size > this.maxObjSize) return { code: 413 };
      lo = { kind, uri, format: (meta.format ?? 'chr') as NodeFormat, size: meta.size, received: 0, parts: [] };
      if (meta.type) lo.type = meta.type;
      this.current = lo;
    }
    const chunk = item.data ?? '';
    lo.received += typeof chunk === 'string' ? utf8Length(chunk) : chunk.length;
    if (lo.received > lo.size) {
      this.current = undefined;
      return { code: 424 };
    }
    lo.parts.push(chunk);
    if (item.moreData) return { code: 213 };
    this.current = undefined;
    if (lo.received !== lo.size) return { code: 424 };
    return { code: 0, data: joinParts(lo.parts) };
  }

  /** Drops the object being received, if one is, and tells the server that its end never came (Alert 1225). */
  abandon(out: Command[]): void {
    if (!this.current) return;
    out.push({ kind: 'Alert', cmdId: '', data: AlertCode.NoEndOfData, items: [{ target: { locURI: this.current.uri } }] });
    this.current = undefined;
  }
}

function joinParts(parts: (string | Uint8Array)[]): string | Uint8Array {
  if (parts.every((p) => typeof p === 'string')) return (parts as string[]).join('');
  return concatBytes(parts.map((p) => (typeof p === 'string' ? utf8Encode(p) : p)));
}
