// WBXML 1.2 writer for SyncML 1.2: header 02 A4 01 6A (version 1.2, public id 0x1201, UTF-8), code page 1 for
// MetInf, OPAQUE for binary data. With a string table, strings used more than once and shared URI prefixes
// ("./DevInfo/", "./SCOMO/Inventory/Deployed/") are written once and referenced (STR_T, then an inline tail):
// WBXML allows a text run of several string tokens, and libwbxml joins them back. A string that ends an entry
// is referenced inside it rather than stored again.
import type { El } from './element.js';
import { NS_METINF, walkElement, type ElementVisitor } from './element.js';
import type { SyncMLMessage } from './model.js';
import { messageParts } from './map.js';
import { DmError } from '../errors.js';
import { utf8Encode, utf8Length } from '../util/bytes.js';
import { CHARSET_UTF8, END, OPAQUE, PUBLIC_ID_SYNCML_12, STR_I, STR_T, SWITCH_PAGE, TOKENS, WBXML_VERSION_1_2 } from './wbxml-tokens.js';

export interface WbxmlEncodeOptions {
  /** Share repeated strings and URI prefixes through the string table (default true). */
  stringTable?: boolean;
}

/**
 * The message as WBXML, a command at a time (messageParts): each command's element tree is built twice (once
 * for the string table's texts, once to write it) rather than the whole message's tree held at once, which
 * on a device takes about four times the message's size.
 */
export function encodeWbxmlMessage(msg: SyncMLMessage, opts: WbxmlEncodeOptions = {}): Uint8Array {
  const parts = messageParts(msg);
  let table: Table | undefined;
  if (opts.stringTable !== false) {
    const texts = new TextCollector();
    walkElement(parts.header, texts);
    for (let k = 0; k < parts.bodyCount; k++) walkElement(parts.bodyElement(k), texts);
    table = buildTable(texts.texts);
  }
  const out = start(table);
  const w = new WbxmlWriter(out, table);
  w.open('SyncML', true);
  walkElement(parts.header, w);
  w.open('SyncBody', parts.bodyCount > 0);
  if (parts.bodyCount > 0) {
    for (let k = 0; k < parts.bodyCount; k++) walkElement(parts.bodyElement(k), w);
    out.byte(END);
  }
  out.byte(END);
  return out.done();
}

/** The document's header and string table. */
function start(table: Table | undefined): Sink {
  const out = new Sink();
  out.byte(WBXML_VERSION_1_2);
  out.mbu32(PUBLIC_ID_SYNCML_12);
  out.mbu32(CHARSET_UTF8);
  out.mbu32(table ? table.bytes.length : 0);
  if (table) out.bytes(table.bytes);
  return out;
}

/** Growable byte sink; the result is sliced once to its exact size. */
class Sink {
  buf = new Uint8Array(1024);
  n = 0;
  private room(k: number): void {
    if (this.n + k <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.n + k) size *= 2;
    const b = new Uint8Array(size);
    b.set(this.buf.subarray(0, this.n));
    this.buf = b;
  }
  byte(v: number): void {
    this.room(1);
    this.buf[this.n++] = v;
  }
  bytes(v: Uint8Array): void {
    this.room(v.length);
    this.buf.set(v, this.n);
    this.n += v.length;
  }
  mbu32(v: number): void {
    if (v < 0x80) {
      this.byte(v);
      return;
    }
    const tmp: number[] = [v & 0x7f];
    for (v = Math.floor(v / 128); v > 0; v = Math.floor(v / 128)) tmp.unshift((v & 0x7f) | 0x80);
    for (const t of tmp) this.byte(t);
  }
  /** A string's UTF-8 bytes; ASCII is written in place, anything else through utf8Encode. */
  utf8(s: string): void {
    this.room(s.length);
    const start = this.n;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        this.n = start;
        this.bytes(utf8Encode(s));
        return;
      }
      this.buf[this.n++] = c;
    }
  }
  done(): Uint8Array {
    return this.buf.slice(0, this.n);
  }
}

interface Table {
  bytes: Uint8Array;
  /** Whole strings (entries, or tails of entries) → offset. */
  whole: Map<string, number>;
  /** Shared prefixes → offset, longest first. */
  prefixes: [string, number][];
}

export function encodeWbxml(root: El, opts: WbxmlEncodeOptions = {}): Uint8Array {
  let table: Table | undefined;
  if (opts.stringTable !== false) {
    const texts = new TextCollector();
    walkElement(root, texts);
    table = buildTable(texts.texts);
  }
  const out = start(table);
  walkElement(root, new WbxmlWriter(out, table));
  return out.done();
}

/** The tokens of the elements walkElement reports, switching code page where an element needs it. */
class WbxmlWriter implements ElementVisitor {
  private page = 0;
  declare private readonly out: Sink;
  declare private readonly table: Table | undefined;

  constructor(out: Sink, table: Table | undefined) {
    this.out = out;
    this.table = table;
  }
  /** A SyncML (code page 0) element's token; with content, its END is the caller's. */
  open(name: string, content: boolean): void {
    this.switchTo(0);
    this.out.byte(TOKENS[0]!.get(name)! | (content ? 0x40 : 0));
  }
  private switchTo(page: number): void {
    if (this.page !== page) {
      this.out.byte(SWITCH_PAGE);
      this.out.byte(page);
      this.page = page;
    }
  }
  start(e: El, _depth: number, empty: boolean): void {
    const page = e.ns === NS_METINF ? 1 : 0;
    const tok = TOKENS[page]!.get(e.name);
    if (tok === undefined) throw new DmError('DM_ERR_NOT_SUPPORTED', 406, `no WBXML token for <${e.name}> on code page ${page}`);
    this.switchTo(page);
    this.out.byte(empty ? tok : tok | 0x40);
  }
  text(t: string): void {
    writeText(t, this.out, this.table);
  }
  bytes(b: Uint8Array): void {
    this.out.byte(OPAQUE);
    this.out.mbu32(b.length);
    this.out.bytes(b);
  }
  end(): void {
    this.out.byte(END);
  }
}

function writeText(s: string, out: Sink, table: Table | undefined): void {
  if (table) {
    const w = table.whole.get(s);
    if (w !== undefined) {
      out.byte(STR_T);
      out.mbu32(w);
      return;
    }
    for (const [p, off] of table.prefixes) {
      if (s.length > p.length && s.startsWith(p)) {
        out.byte(STR_T);
        out.mbu32(off);
        s = s.slice(p.length);
        break;
      }
    }
  }
  if (s.indexOf('\u0000') >= 0)
    throw new DmError('DM_ERR_BAD_FORMAT', 415, 'text with a NUL character cannot be written as a WBXML string');
  out.byte(STR_I);
  out.utf8(s);
  out.byte(0);
}

/** The texts of the elements walkElement reports, in document order. */
class TextCollector implements ElementVisitor {
  readonly texts: string[] = [];
  start(): void {}
  text(t: string): void {
    this.texts.push(t);
  }
  bytes(): void {}
  end(): void {}
}

/**
 * Picks what goes in the string table by its saving: an entry of L bytes costs L+1 once and saves, at each use,
 * an inline string (L+2 bytes) for a reference (2 bytes with a small offset). A reference may point into the
 * middle of an entry (WBXML reads a table string from any offset to the next NUL), so a string that ends another
 * entry costs nothing: "1.2" and "2" ride on "DM/1.2". Longest strings are taken first so that their tails are
 * known when the shorter ones are weighed.
 */
function buildTable(texts: string[]): Table | undefined {
  const count = new Map<string, number>();
  for (const t of texts) if (t.length > 0 && t.indexOf('\u0000') < 0) count.set(t, (count.get(t) ?? 0) + 1);
  // Candidates for a tail (short strings: numbers, versions, names) are grouped by their last character, so
  // finding the tails of a string stays cheap.
  const byLast = new Map<number, string[]>();
  for (const t of count.keys()) {
    if (t.length > MAX_TAIL) continue;
    const k = t.charCodeAt(t.length - 1);
    const g = byLast.get(k);
    if (g) g.push(t);
    else byLast.set(k, [t]);
  }
  const entries: string[] = [];
  const refs = new Map<string, number>();
  /** Tails: string → [the entry it ends, its byte offset inside that entry]. */
  const tails = new Map<string, [string, number]>();
  let size = 0;
  const mine: string[] = [];
  for (const t of [...count.keys()].sort(longestFirst)) {
    if (tails.has(t)) continue;
    const len = utf8Length(t);
    // A reference is STR_T and the offset as a multi-byte integer: one byte below 128, two below 16384. Each
    // use saves the inline form (STR_I, the bytes, NUL) for it; the entry itself costs its bytes and a NUL.
    const ref = mbu32Length(size);
    let gain = count.get(t)! * (len + 1 - ref) - (len + 1);
    mine.length = 0;
    const group = byLast.get(t.charCodeAt(t.length - 1));
    if (group) {
      for (const u of group) {
        // A tail must start on a character boundary: not on the low half of a surrogate pair.
        if (u.length < t.length && !tails.has(u) && t.endsWith(u) && !isLowSurrogate(u.charCodeAt(0))) {
          gain += count.get(u)! * (utf8Length(u) + 1 - ref);
          mine.push(u);
        }
      }
    }
    if (gain <= 0) continue;
    entries.push(t);
    refs.set(t, size);
    for (const u of mine) tails.set(u, [t, len - utf8Length(u)]);
    size += len + 1;
  }
  for (const [u, [t, skip]] of tails) refs.set(u, refs.get(t)! + skip);
  // Shared path prefixes of the strings left inline: the longest prefix ending in '/' shared by two or more.
  const prefixUse = new Map<string, number>();
  for (const t of texts) {
    if (refs.has(t)) continue;
    const slash = t.lastIndexOf('/');
    if (slash <= 1 || slash === t.length - 1) continue;
    for (let k = t.indexOf('/', 1); k >= 0 && k <= slash; k = t.indexOf('/', k + 1)) {
      const p = t.slice(0, k + 1);
      prefixUse.set(p, (prefixUse.get(p) ?? 0) + 1);
    }
  }
  const chosen: string[] = [];
  for (const [p, n] of [...prefixUse].sort(longestKeyFirst)) {
    const len = utf8Length(p);
    // Uses not already served by a longer chosen prefix.
    let uses = n;
    for (const q of chosen) if (q.startsWith(p)) uses -= prefixUse.get(q)!;
    if (uses >= 2 && uses * (len - 2) > len + 1) chosen.push(p);
  }
  const prefixes: [string, number][] = [];
  for (const p of chosen) {
    let at = refs.get(p);
    if (at === undefined) {
      entries.push(p);
      at = size;
      size += utf8Length(p) + 1;
    }
    prefixes.push([p, at]);
  }
  if (entries.length === 0) return undefined;
  const bytes = new Uint8Array(size);
  let o = 0;
  for (const e of entries) {
    bytes.set(utf8Encode(e), o);
    o += utf8Length(e) + 1; // the NUL is already there
  }
  return { bytes, whole: refs, prefixes };
}

const longestFirst = (a: string, b: string): number => b.length - a.length;
const longestKeyFirst = (a: [string, number], b: [string, number]): number => b[0].length - a[0].length;
const isLowSurrogate = (c: number): boolean => c >= 0xdc00 && c <= 0xdfff;
const mbu32Length = (v: number): number => (v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : 4);
/** Longest string looked for as the tail of another (UTF-16 units); longer tails are rare and costly to find. */
const MAX_TAIL = 32;
