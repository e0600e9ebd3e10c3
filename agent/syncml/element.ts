// The neutral element tree both encodings meet in. XML text <-> El (xml-*.ts), WBXML bytes <-> El
// (wbxml-*.ts), and El <-> SyncMLMessage once, in map.ts, so the SyncML structure rules live in one place.

/** Namespace of the MetInf elements (XML: xmlns="syncml:metinf"; WBXML: code page 1). */
export const NS_METINF = 'syncml:metinf';

export interface El {
  name: string;
  /** Set only for elements outside the SyncML namespace (the MetInf ones). */
  ns?: string;
  /** Text (string), opaque bytes (WBXML OPAQUE) and child elements, in document order. */
  children: ElChild[];
}

export type ElChild = El | string | Uint8Array;

/** What walkElement reports, in document order. */
export interface ElementVisitor {
  /** An element begins, `depth` levels below the root; `empty` when it has no children (no end() follows). */
  start(e: El, depth: number, empty: boolean): void;
  text(s: string): void;
  bytes(b: Uint8Array): void;
  /** An element with children ends; `nested` when one of them was an element. */
  end(e: El, depth: number, nested: boolean): void;
}

/**
 * Walks `root` and everything in it. The open elements are kept in parallel arrays, not in frames (the
 * writers run at a session's deepest point, on the device's 640-slot stack) nor in an object each (the
 * host writes many messages a second).
 */
export function walkElement(root: El, v: ElementVisitor): void {
  const els: El[] = [];
  const next: number[] = [];
  const nested: boolean[] = [];
  let e: El | undefined = root;
  for (;;) {
    if (e) {
      const empty = e.children.length === 0;
      v.start(e, els.length, empty);
      if (!empty) {
        els.push(e);
        next.push(0);
        nested.push(false);
      }
      e = undefined;
    }
    const top = els.length - 1;
    if (top < 0) return;
    const open = els[top]!;
    const k = next[top]!;
    if (k < open.children.length) {
      next[top] = k + 1;
      const c = open.children[k]!;
      if (typeof c === 'string') v.text(c);
      else if (c instanceof Uint8Array) v.bytes(c);
      else {
        nested[top] = true;
        e = c;
      }
      continue;
    }
    const hadElements = nested[top]!;
    els.pop();
    next.pop();
    nested.pop();
    v.end(open, top, hadElements);
  }
}
