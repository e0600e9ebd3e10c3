// What both peers of a DM session build the same way: the Status of a SyncHdr and of a command, and a URI
// in the form the tree takes. The agent's session and the lab server use these (device-safe: no state).
import type { Command, Item, StatusCmd, SyncMLMessage } from './model.js';

/** The Status for message `m`'s SyncHdr (CmdRef 0), with its Target and Source as refs: 200 unless given. */
export function syncHdrStatus(m: SyncMLMessage, code = 200): StatusCmd {
  return {
    kind: 'Status',
    cmdId: '',
    msgRef: m.hdr.msgId,
    cmdRef: '0',
    cmd: 'SyncHdr',
    targetRefs: [m.hdr.target.locURI],
    sourceRefs: [m.hdr.source.locURI],
    items: [],
    data: String(code),
  };
}

/**
 * The Status of command `c` of message `msgRef`: its code, the items it returns, and the target and source
 * URIs of `refs` as TargetRef and SourceRef (the agent passes the command's items; the lab server none).
 */
export function commandStatus(msgRef: string, c: Command, code: number, items: Item[] = [], refs: Item[] = []): StatusCmd {
  const s: StatusCmd = {
    kind: 'Status',
    cmdId: '',
    msgRef,
    cmdRef: c.cmdId,
    cmd: c.kind === 'Unsupported' ? c.name : c.kind,
    targetRefs: [],
    sourceRefs: [],
    items,
    data: String(code),
  };
  for (const it of refs) {
    if (it.target?.locURI !== undefined) s.targetRefs.push(it.target.locURI);
    if (it.source?.locURI !== undefined) s.sourceRefs.push(it.source.locURI);
  }
  return s;
}

/** A URI as the tree takes it: relative ones (`Vendor/x`) from the root (`./Vendor/x`). */
export function treeUri(uri: string): string {
  return uri === '.' || uri.startsWith('./') ? uri : `./${uri}`;
}
