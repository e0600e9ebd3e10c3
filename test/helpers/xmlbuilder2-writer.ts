// The oracle for the lab server's XML writer: the same SyncML messages written with xmlbuilder2, an XML
// library independent of both the lab server and the agent. Tests compare the lab server's bytes with these.
import { create } from 'xmlbuilder2';
import type { Command, Cred, Item, LocRef, Meta, SyncMLMessage } from '../../agent/syncml/model.js';
import { METINF_NS, SYNCML_NS } from '../../agent/syncml/model.js';
import { base64Encode } from '../../agent/util/bytes.js';

type Node = ReturnType<typeof create>;

function leaf(parent: Node, name: string, value: string): void {
  const e = parent.ele(name);
  if (value !== '') e.txt(value);
}

function meta(parent: Node, m: Meta): void {
  const e = parent.ele('Meta');
  const mi = (name: string, v: string | number | undefined) => {
    if (v !== undefined) e.ele(METINF_NS, name).txt(String(v));
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
  for (const x of m.emi ?? []) mi('EMI', x);
}

function loc(parent: Node, name: string, r: LocRef): void {
  const e = parent.ele(name);
  leaf(e, 'LocURI', r.locURI);
  if (r.locName !== undefined) leaf(e, 'LocName', r.locName);
}

function item(parent: Node, it: Item): void {
  const e = parent.ele('Item');
  if (it.target) loc(e, 'Target', it.target);
  if (it.source) loc(e, 'Source', it.source);
  if (it.meta) meta(e, it.meta);
  if (it.data !== undefined) leaf(e, 'Data', typeof it.data === 'string' ? it.data : base64Encode(it.data));
  if (it.moreData) e.ele('MoreData');
}

function cred(parent: Node, c: Cred): void {
  const e = parent.ele('Cred');
  if (c.meta) meta(e, c.meta);
  leaf(e, 'Data', c.data);
}

function command(parent: Node, c: Command): void {
  if (c.kind === 'Unsupported') throw new Error(`the lab server never sends <${c.name}>`);
  const e = parent.ele(c.kind);
  leaf(e, 'CmdID', c.cmdId);
  switch (c.kind) {
    case 'Status':
      leaf(e, 'MsgRef', c.msgRef);
      leaf(e, 'CmdRef', c.cmdRef);
      leaf(e, 'Cmd', c.cmd);
      for (const t of c.targetRefs) leaf(e, 'TargetRef', t);
      for (const s of c.sourceRefs) leaf(e, 'SourceRef', s);
      if (c.cred) cred(e, c.cred);
      if (c.chal) meta(e.ele('Chal'), c.chal.meta);
      leaf(e, 'Data', c.data);
      c.items.forEach((it) => item(e, it));
      break;
    case 'Alert':
      if (c.noResp) e.ele('NoResp');
      if (c.data !== undefined) leaf(e, 'Data', c.data);
      if (c.correlator !== undefined) leaf(e, 'Correlator', c.correlator);
      c.items.forEach((it) => item(e, it));
      break;
    case 'Add':
    case 'Replace':
    case 'Delete':
    case 'Copy':
    case 'Get':
      if (c.noResp) e.ele('NoResp');
      if (c.meta) meta(e, c.meta);
      c.items.forEach((it) => item(e, it));
      break;
    case 'Exec':
      if (c.noResp) e.ele('NoResp');
      if (c.meta) meta(e, c.meta);
      if (c.correlator !== undefined) leaf(e, 'Correlator', c.correlator);
      c.items.forEach((it) => item(e, it));
      break;
    case 'Atomic':
    case 'Sequence':
      if (c.noResp) e.ele('NoResp');
      if (c.meta) meta(e, c.meta);
      c.commands.forEach((x) => command(e, x));
      break;
    case 'Results':
      if (c.msgRef !== undefined) leaf(e, 'MsgRef', c.msgRef);
      leaf(e, 'CmdRef', c.cmdRef);
      if (c.meta) meta(e, c.meta);
      if (c.targetRef !== undefined) leaf(e, 'TargetRef', c.targetRef);
      if (c.sourceRef !== undefined) leaf(e, 'SourceRef', c.sourceRef);
      c.items.forEach((it) => item(e, it));
      break;
  }
}

/** The message as SyncML 1.2 XML text, written by xmlbuilder2. */
export function xmlbuilder2MessageToXml(msg: SyncMLMessage, opts: { declaration?: boolean } = {}): string {
  const doc = opts.declaration ? create({ version: '1.0', encoding: 'UTF-8' }) : create();
  const root = doc.ele(SYNCML_NS, 'SyncML');
  const h = msg.hdr;
  const hdr = root.ele('SyncHdr');
  leaf(hdr, 'VerDTD', h.verDTD);
  leaf(hdr, 'VerProto', h.verProto);
  leaf(hdr, 'SessionID', h.sessionId);
  leaf(hdr, 'MsgID', h.msgId);
  loc(hdr, 'Target', h.target);
  loc(hdr, 'Source', h.source);
  if (h.respURI !== undefined) leaf(hdr, 'RespURI', h.respURI);
  if (h.noResp) hdr.ele('NoResp');
  if (h.cred) cred(hdr, h.cred);
  if (h.meta) meta(hdr, h.meta);
  const body = root.ele('SyncBody');
  msg.body.forEach((c) => command(body, c));
  if (msg.final) body.ele('Final');
  return doc.end({ headless: !opts.declaration, prettyPrint: false });
}
