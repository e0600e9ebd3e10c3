// SyncML XML writer: compact by default (what goes on the wire), indented for traces and the CLI.
// Binary data becomes base64 text: XML has no opaque, and DM says Format b64 for such values.
import type { El } from './element.js';
import type { SyncMLMessage } from './model.js';
import { SYNCML_NS } from './model.js';
import { messageParts, escapeText } from './map.js';
import { base64Encode, encodeUtf8With } from '../util/bytes.js';
import type { Utf8 } from '../ports.js';

export interface XmlEncodeOptions {
  indent?: boolean;
  declaration?: boolean;
  /** The platform's native UTF-8 converter, if it has one. */
  utf8?: Utf8;
}

/**
 * The message as XML text, written a command at a time (messageParts): the element tree of one command exists
 * at once, not the whole message's, which on a device takes about four times the message's size.
 */
export function encodeXmlString(msg: SyncMLMessage, opts: XmlEncodeOptions = {}): string {
  const indent = opts.indent ?? false;
  const parts = messageParts(msg);
  const out = new TextSink();
  if (opts.declaration) out.push('<?xml version="1.0" encoding="UTF-8"?>' + (indent ? '\n' : ''));
  out.push(`<SyncML xmlns="${SYNCML_NS}">`);
  write(parts.header, indent, out, undefined, 1);
  if (indent) out.push('\n  ');
  if (parts.bodyCount === 0) out.push('<SyncBody/>');
  else {
    out.push('<SyncBody>');
    for (let k = 0; k < parts.bodyCount; k++) write(parts.bodyElement(k), indent, out, undefined, 2);
    out.push(indent ? '\n  </SyncBody>' : '</SyncBody>');
  }
  out.push(indent ? '\n</SyncML>\n' : '</SyncML>');
  return out.done();
}

export function encodeXml(msg: SyncMLMessage, opts: XmlEncodeOptions = {}): Uint8Array {
  return encodeUtf8With(opts.utf8, encodeXmlString(msg, opts));
}

/**
 * Text built from many small pieces without one array of them all: a message of a few hundred elements has a
 * thousand pieces, and an array that size is one contiguous block of the device's chunk heap (16 KB on the
 * 64-bit simulator), which a fragmented fixed heap may not have (XS then aborts). Pieces are joined 64 at a time.
 */
class TextSink {
  private text = '';
  private readonly parts: string[] = [];
  push(piece: string): void {
    this.parts.push(piece);
    if (this.parts.length >= 64) {
      this.text += this.parts.join('');
      this.parts.length = 0;
    }
  }
  done(): string {
    return this.text + this.parts.join('');
  }
}

export function elementToXml(root: El, opts: { indent?: boolean; rootNs?: string } = {}): string {
  const out = new TextSink();
  write(root, opts.indent ?? false, out, opts.rootNs);
  return out.done();
}

/**
 * Writes `root` and everything in it. The elements still open are kept in an array, not in frames: the
 * encoder runs at the deepest point of a session, and the device's stack has 640 slots.
 */
function write(root: El, indent: boolean, out: TextSink, rootNs?: string, base = 0): void {
  // Parallel arrays rather than an object per open element: the host encodes many messages a second.
  const els: El[] = [];
  const next: number[] = [];
  const nested: boolean[] = [];
  let e: El | undefined = root;
  let ns = rootNs;
  for (;;) {
    if (e) {
      const attrs = ns ? ` xmlns="${ns}"` : e.ns ? ` xmlns="${e.ns}"` : '';
      if (indent && base + els.length > 0) out.push('\n' + '  '.repeat(base + els.length));
      if (e.children.length === 0) out.push(`<${e.name}${attrs}/>`);
      else { out.push(`<${e.name}${attrs}>`); els.push(e); next.push(0); nested.push(false); }
      e = undefined;
      ns = undefined;
    }
    const top = els.length - 1;
    if (top < 0) return;
    const open = els[top]!;
    const k = next[top]!;
    if (k < open.children.length) {
      next[top] = k + 1;
      const c = open.children[k]!;
      if (typeof c === 'string') out.push(escapeText(c));
      else if (c instanceof Uint8Array) out.push(base64Encode(c));
      else { nested[top] = true; e = c; }
      continue;
    }
    const hadElements = nested[top]!;
    els.pop(); next.pop(); nested.pop();
    if (hadElements && indent) out.push(base + top > 0 ? '\n' + '  '.repeat(base + top) : '\n');
    out.push(`</${open.name}>`);
  }
}
