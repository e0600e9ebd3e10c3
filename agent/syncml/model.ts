// Typed model of a SyncML DM 1.2 message (OMA-TS-SyncML-RepPro 1.2, as profiled by OMA DM 1.2).
// The XML and WBXML codecs both map bytes <-> this model; the session engine only ever sees the model.
// Field order in each interface is the element order the DTD imposes, which the encoders follow.

/** MetInf elements (namespace syncml:metinf, WBXML code page 1). Numbers are decimal on the wire. */
export interface Meta {
  format?: string; // chr, int, bool, bin, b64, node, null, xml, date, time, float
  type?: string; // MIME type, DDF name, alert type URN, or auth scheme (syncml:auth-md5 ...)
  mark?: string; // Generic Alert severity
  size?: number; // size of the whole object (large objects)
  nextNonce?: string; // base64 nonce, in Chal or in server Meta
  version?: string;
  maxMsgSize?: number;
  maxObjSize?: number;
  emi?: string[]; // experimental meta, repeated
}

/** Target or Source of the header or of an Item. */
export interface LocRef {
  locURI: string;
  locName?: string;
}

/** Data is text, or raw bytes when WBXML carried it as OPAQUE (binary values, nested DevInf/TNDS). */
export type Data = string | Uint8Array;

export interface Item {
  target?: LocRef;
  source?: LocRef;
  meta?: Meta;
  data?: Data;
  moreData?: boolean;
}

export interface Cred {
  meta?: Meta; // Format (b64) and Type (syncml:auth-basic, syncml:auth-md5)
  data: string;
}

export interface SyncHdr {
  verDTD: string; // '1.2'
  verProto: string; // 'DM/1.2'
  sessionId: string;
  msgId: string;
  target: LocRef;
  source: LocRef;
  respURI?: string;
  noResp?: boolean;
  cred?: Cred;
  meta?: Meta;
}

interface CommandBase {
  cmdId: string;
  noResp?: boolean;
}

export interface AlertCmd extends CommandBase {
  kind: 'Alert';
  data?: string; // the alert code, e.g. '1201', '1226', '1101'
  correlator?: string;
  items: Item[];
}

/** Add, Replace, Delete, Copy and Get share one shape. */
export interface ItemCmd extends CommandBase {
  kind: 'Add' | 'Replace' | 'Delete' | 'Copy' | 'Get';
  meta?: Meta;
  items: Item[];
}

export interface ExecCmd extends CommandBase {
  kind: 'Exec';
  meta?: Meta;
  correlator?: string;
  items: Item[];
}

export interface ResultsCmd {
  kind: 'Results';
  cmdId: string;
  msgRef?: string;
  cmdRef: string;
  meta?: Meta;
  targetRef?: string;
  sourceRef?: string;
  items: Item[];
}

export interface StatusCmd {
  kind: 'Status';
  cmdId: string;
  msgRef: string;
  cmdRef: string;
  cmd: string; // name of the command answered, or 'SyncHdr'
  targetRefs: string[];
  sourceRefs: string[];
  cred?: Cred;
  chal?: { meta: Meta };
  data: string; // the status code, e.g. '200'
  items: Item[];
}

export interface ContainerCmd extends CommandBase {
  kind: 'Atomic' | 'Sequence';
  meta?: Meta;
  commands: Command[];
}

/**
 * A command the SyncML DTD knows but a DM client does not process (Sync, Put, Map, Search, Move ...).
 * Decoders keep it so the session can answer it with a Status instead of dropping it.
 */
export interface UnsupportedCmd {
  kind: 'Unsupported';
  name: string;
  cmdId: string;
}

export type Command = AlertCmd | ItemCmd | ExecCmd | ResultsCmd | StatusCmd | ContainerCmd | UnsupportedCmd;

export interface SyncMLMessage {
  hdr: SyncHdr;
  body: Command[];
  final: boolean;
}

/** Alert codes used in DM 1.2 (DM Protocol, alert code table). */
export const AlertCode = {
  Display: '1100',
  Confirm: '1101',
  TextInput: '1102',
  SingleChoice: '1103',
  MultipleChoice: '1104',
  ServerInitiated: '1200',
  ClientInitiated: '1201',
  NextMessage: '1222',
  SessionAbort: '1223',
  ClientEvent: '1224',
  NoEndOfData: '1225',
  Generic: '1226',
} as const;

export const SYNCML_NS = 'SYNCML:SYNCML1.2';
export const METINF_NS = 'syncml:metinf';
export const MIME_XML = 'application/vnd.syncml.dm+xml';
export const MIME_WBXML = 'application/vnd.syncml.dm+wbxml';
