// The lab server's SyncML writer. It is its own code, not the agent's encoder, so a device under test is
// checked against a second implementation; and it writes text directly, because building a DOM per message
// (xmlbuilder2, which this writer replaced) cost the in-process fleet a fifth of its time. Tests hold it to
// xmlbuilder2's bytes on every message the lab server sends. Element order follows the SyncML 1.2 DTD
// (Status: CmdID, MsgRef, CmdRef, Cmd, TargetRef*, SourceRef*, Cred?, Chal?, Data, Item*); MetInf elements
// carry xmlns="syncml:metinf". WBXML replies go through the agent's tokenizer.
import type { Command, Cred, Item, LocRef, Meta, SyncMLMessage } from '../../agent/syncml/model.js';
import { METINF_NS, SYNCML_NS } from '../../agent/syncml/model.js';
import { parseXmlElement } from '../../agent/syncml/xml-decode.js';
import { encodeWbxml } from '../../agent/syncml/wbxml-encode.js';
import { base64Encode } from '../../agent/util/bytes.js';
import { nodeUtf8 } from '../../platform/node/utf8.js';
import type { Encoding } from '../../agent/syncml/codec.js';

// A CR as a reference: raw, the device's parser reads it as LF (XML 1.0 §2.11). What XML cannot carry at all
// (C0 controls but tab and LF, U+FFFE/U+FFFF, a lone surrogate), which a device's WBXML string may hold and
// the server echo, becomes U+FFFD, as the agent's writer does.
const ESCAPED =
  /[&<>\r\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '\r': '&#13;' };
/** Any character ESCAPED may take (surrogate pairs too): one cheap scan leaves most texts as they are. */
const MAY_ESCAPE = /[&<>\u0000-\u0008\u000B-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/;
const escapeText = (v: string): string => (v.search(MAY_ESCAPE) < 0 ? v : v.replace(ESCAPED, (c) => ESCAPES[c] ?? '\ufffd'));

/**
 * Text of an element tree written start to end. A start tag stays open until the element gets content, so an
 * element without any is written `<Name/>`.
 */
class XmlText {
  out = '';
  private open = false;
  private readonly names: string[] = [];

  start(name: string, ns?: string): this {
    if (this.open) this.out += '>';
    this.out += ns === undefined ? `<${name}` : `<${name} xmlns="${ns}"`;
    this.names.push(name);
    this.open = true;
    return this;
  }

  /** Text content; an empty one closes the start tag when told to (`<Format></Format>`, as xmlbuilder2 wrote it). */
  text(v: string, closeStart = false): this {
    if (v === '' && !closeStart) return this;
    if (this.open) {
      this.out += '>';
      this.open = false;
    }
    this.out += escapeText(v);
    return this;
  }

  end(): this {
    const name = this.names.pop()!;
    this.out += this.open ? '/>' : `</${name}>`;
    this.open = false;
    return this;
  }

  leaf(name: string, v: string, ns?: string): this {
    return this.start(name, ns)
      .text(v, ns !== undefined)
      .end();
  }
}

function meta(x: XmlText, m: Meta): void {
  x.start('Meta');
  const mi = (name: string, v: string | number | undefined) => {
    if (v !== undefined) x.leaf(name, String(v), METINF_NS);
  };
  // MetInf DTD order.
  mi('Format', m.format);
  mi('Type', m.type);
  mi('Mark', m.mark);
  mi('Size', m.size);
  mi('Version', m.version);
  mi('NextNonce', m.nextNonce);
  mi('MaxMsgSize', m.maxMsgSize);
  mi('MaxObjSize', m.maxObjSize);
  for (const v of m.emi ?? []) mi('EMI', v);
  x.end();
}

function loc(x: XmlText, name: string, r: LocRef): void {
  x.start(name).leaf('LocURI', r.locURI);
  if (r.locName !== undefined) x.leaf('LocName', r.locName);
  x.end();
}

function item(x: XmlText, it: Item): void {
  x.start('Item');
  if (it.target) loc(x, 'Target', it.target);
  if (it.source) loc(x, 'Source', it.source);
  if (it.meta) meta(x, it.meta);
  if (it.data !== undefined) x.leaf('Data', typeof it.data === 'string' ? it.data : base64Encode(it.data));
  if (it.moreData) x.start('MoreData').end();
  x.end();
}

function cred(x: XmlText, c: Cred): void {
  x.start('Cred');
  if (c.meta) meta(x, c.meta);
  x.leaf('Data', c.data).end();
}

function command(x: XmlText, c: Command): void {
  if (c.kind === 'Unsupported') throw new Error(`the lab server never sends <${c.name}>`);
  x.start(c.kind).leaf('CmdID', c.cmdId);
  switch (c.kind) {
    case 'Status':
      x.leaf('MsgRef', c.msgRef).leaf('CmdRef', c.cmdRef).leaf('Cmd', c.cmd);
      for (const t of c.targetRefs) x.leaf('TargetRef', t);
      for (const s of c.sourceRefs) x.leaf('SourceRef', s);
      if (c.cred) cred(x, c.cred);
      if (c.chal) {
        x.start('Chal');
        meta(x, c.chal.meta);
        x.end();
      }
      x.leaf('Data', c.data);
      for (const it of c.items) item(x, it);
      break;
    case 'Alert':
      if (c.noResp) x.start('NoResp').end();
      if (c.data !== undefined) x.leaf('Data', c.data);
      if (c.correlator !== undefined) x.leaf('Correlator', c.correlator);
      for (const it of c.items) item(x, it);
      break;
    case 'Add':
    case 'Replace':
    case 'Delete':
    case 'Copy':
    case 'Get':
      if (c.noResp) x.start('NoResp').end();
      if (c.meta) meta(x, c.meta);
      for (const it of c.items) item(x, it);
      break;
    case 'Exec':
      if (c.noResp) x.start('NoResp').end();
      if (c.meta) meta(x, c.meta);
      if (c.correlator !== undefined) x.leaf('Correlator', c.correlator);
      for (const it of c.items) item(x, it);
      break;
    case 'Atomic':
    case 'Sequence':
      if (c.noResp) x.start('NoResp').end();
      if (c.meta) meta(x, c.meta);
      for (const sub of c.commands) command(x, sub);
      break;
    case 'Results':
      if (c.msgRef !== undefined) x.leaf('MsgRef', c.msgRef);
      x.leaf('CmdRef', c.cmdRef);
      if (c.meta) meta(x, c.meta);
      if (c.targetRef !== undefined) x.leaf('TargetRef', c.targetRef);
      if (c.sourceRef !== undefined) x.leaf('SourceRef', c.sourceRef);
      for (const it of c.items) item(x, it);
      break;
  }
  x.end();
}

/** The message as SyncML 1.2 XML text (no XML declaration unless asked, as DM peers commonly send it). */
export function messageToXml(msg: SyncMLMessage, opts: { declaration?: boolean } = {}): string {
  const x = new XmlText();
  if (opts.declaration) x.out = '<?xml version="1.0" encoding="UTF-8"?>';
  x.start('SyncML', SYNCML_NS);
  const h = msg.hdr;
  x.start('SyncHdr').leaf('VerDTD', h.verDTD).leaf('VerProto', h.verProto).leaf('SessionID', h.sessionId).leaf('MsgID', h.msgId);
  loc(x, 'Target', h.target);
  loc(x, 'Source', h.source);
  if (h.respURI !== undefined) x.leaf('RespURI', h.respURI);
  if (h.noResp) x.start('NoResp').end();
  if (h.cred) cred(x, h.cred);
  if (h.meta) meta(x, h.meta);
  x.end().start('SyncBody');
  for (const c of msg.body) command(x, c);
  if (msg.final) x.start('Final').end();
  return x.end().end().out;
}

/** Encodes a server message in the device's encoding: XML text, or that XML tokenized to WBXML. */
export function encodeServerMessage(msg: SyncMLMessage, encoding: Encoding): Uint8Array {
  const xml = messageToXml(msg);
  if (encoding === 'xml') return nodeUtf8.encode(xml);
  return encodeWbxml(parseXmlElement(xml, { maxBytes: 1 << 20 }), { stringTable: true });
}
