// SyncML XML writer: compact by default (what goes on the wire), indented for traces and the CLI.
// Binary data becomes base64 text: XML has no opaque, and DM says Format b64 for such values.
import type { El } from './element.js';
import { walkElement, type ElementVisitor } from './element.js';
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
  if (opts.declaration) out.push(`<?xml version="1.0" encoding="UTF-8"?>${indent ? '\n' : ''}`);
  out.push(`<SyncML xmlns="${SYNCML_NS}">`);
  const w = new XmlWriter(out, indent);
  write(w, parts.header, undefined, 1);
  if (indent) out.push('\n  ');
  if (parts.bodyCount === 0) out.push('<SyncBody/>');
  else {
    out.push('<SyncBody>');
    for (let k = 0; k < parts.bodyCount; k++) write(w, parts.bodyElement(k), undefined, 2);
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
  write(new XmlWriter(out, opts.indent ?? false), root, opts.rootNs);
  return out.done();
}

/** The XML of the elements walkElement reports; one per message, reused for its parts. */
class XmlWriter implements ElementVisitor {
  declare root: El | undefined;
  declare rootNs: string | undefined;
  base = 0;
  declare private readonly out: TextSink;
  declare private readonly indent: boolean;

  constructor(out: TextSink, indent: boolean) {
    this.out = out;
    this.indent = indent;
  }
  private pad(depth: number): string {
    return `\n${'  '.repeat(this.base + depth)}`;
  }
  start(e: El, depth: number, empty: boolean): void {
    const ns = e === this.root && this.rootNs ? this.rootNs : e.ns;
    const attrs = ns ? ` xmlns="${ns}"` : '';
    if (this.indent && this.base + depth > 0) this.out.push(this.pad(depth));
    this.out.push(empty ? `<${e.name}${attrs}/>` : `<${e.name}${attrs}>`);
  }
  text(t: string): void {
    this.out.push(escapeText(t));
  }
  bytes(b: Uint8Array): void {
    this.out.push(base64Encode(b));
  }
  end(e: El, depth: number, nested: boolean): void {
    if (nested && this.indent) this.out.push(this.pad(depth));
    this.out.push(`</${e.name}>`);
  }
}

/** Writes `root` and everything in it, `base` levels deep (for the indentation); `rootNs` on the root only. */
function write(w: XmlWriter, root: El, rootNs?: string, base = 0): void {
  w.root = root;
  w.rootNs = rootNs;
  w.base = base;
  walkElement(root, w);
}
