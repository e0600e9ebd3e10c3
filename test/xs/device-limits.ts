// The heaviest session the device's default sizes allow (platform/moddable/lib/config.ts), as the simulator
// checks in manifests/README.md ran it: a server fills the tree to near its limits with messages of almost
// the device's MaxMsgSize, lists the most nodes a list may hold, with their values, then asks for one list
// too many (413) and ends. And, to compare with, a check the server ends at once.
import { decodeMessage } from '../../agent/syncml/codec.js';
import type { SyncMLMessage } from '../../agent/syncml/model.js';
import { DEFAULT_LIST_MAX_NODES, DEFAULT_MAX_MSG_SIZE, DEFAULT_TREE } from '../../platform/moddable/lib/config.js';
import type { Scenario } from './driver.js';
import { exampleDevice, type RunOptions } from './harness.js';

const te = new TextEncoder();
const SERVER = 'http://127.0.0.1:8080/dm';

/** A server message answering `dev`: its SyncHdr authenticated (212), then `commands` (XML text). */
export function serverXml(dev: SyncMLMessage, commands: string, final = true): string {
  return (
    `<SyncML xmlns='SYNCML:SYNCML1.2'><SyncHdr><VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto><SessionID>${dev.hdr.sessionId}</SessionID>` +
    `<MsgID>${dev.hdr.msgId}</MsgID><Target><LocURI>${dev.hdr.source.locURI}</LocURI></Target><Source><LocURI>${SERVER}</LocURI></Source></SyncHdr><SyncBody>` +
    `<Status><CmdID>1</CmdID><MsgRef>${dev.hdr.msgId}</MsgRef><CmdRef>0</CmdRef><Cmd>SyncHdr</Cmd><TargetRef>${SERVER}</TargetRef>` +
    `<SourceRef>${dev.hdr.source.locURI}</SourceRef><Data>212</Data></Status>${commands}${final ? '<Final/>' : ''}</SyncBody></SyncML>`
  );
}

function message(dev: SyncMLMessage, commands: string, final = true): Uint8Array {
  return te.encode(serverXml(dev, commands, final));
}

/** What the device answered, message by message: "Cmd code" for each Status, and how many Results items. */
export interface LimitsLog {
  statuses: string[][];
  results: number[];
}

const SIZES = { maxMsgSize: DEFAULT_MAX_MSG_SIZE, maxListNodes: DEFAULT_LIST_MAX_NODES, treeLimits: DEFAULT_TREE };

/** The session at the device's limits; `log` collects what the device answered. */
export function atDeviceLimits(log?: LimitsLog): { scenario: Scenario; options: RunOptions } {
  // A Download/<x> node grows 6 nodes of its own (SCOMO): the listed branch holds 1 + leaves + 6 nodes.
  const listed = DEFAULT_LIST_MAX_NODES - 7 - 1;
  const VALUE = 140;
  // Leaves elsewhere, to bring the tree near its node limit with room left for an update (about 12 nodes).
  const elsewhere = DEFAULT_TREE.maxNodes - 69 - (listed + 7) - (7 + 12);
  const leaves: string[] = [];
  for (let i = 0; i < listed; i++) leaves.push(`./SCOMO/Download/fill/n${i}`);
  for (let i = 0; i < elsewhere; i++) leaves.push(`./SCOMO/Download/more/n${i}`);
  const item = (uri: string, i: number) =>
    `<Item><Target><LocURI>${uri}</LocURI></Target><Data>${String(i).padEnd(VALUE, 'v')}</Data></Item>`;
  const queue: string[] = [];
  // As many leaves a message as keep it under the device's MaxMsgSize.
  for (let at = 0; at < leaves.length; ) {
    let add = '';
    while (at < leaves.length && 600 + add.length + item(leaves[at]!, at).length < DEFAULT_MAX_MSG_SIZE) {
      add += item(leaves[at]!, at);
      at++;
    }
    queue.push(`<Add><CmdID>2</CmdID>${add}</Add>`);
  }
  queue.push(`<Get><CmdID>2</CmdID><Item><Target><LocURI>./SCOMO/Download/fill?list=StructData</LocURI></Target></Item></Get>`);
  queue.push(`<Get><CmdID>2</CmdID><Item><Target><LocURI>./SCOMO?list=StructData</LocURI></Target></Item></Get>`);
  const serve = (_n: number, body: Uint8Array) => {
    const dev = decodeMessage(body);
    if (log) {
      log.statuses.push(dev.body.flatMap((c) => (c.kind === 'Status' && c.cmd !== 'SyncHdr' ? [`${c.cmd} ${c.data}`] : [])));
      log.results.push(dev.body.reduce((k, c) => k + (c.kind === 'Results' ? c.items.length : 0), 0));
    }
    if (!dev.final) return message(dev, `<Alert><CmdID>2</CmdID><Data>1222</Data></Alert>`, false);
    return message(dev, queue.shift() ?? '');
  };
  return { scenario: { device: exampleDevice(), trigger: 'device', answers: [], agentOptions: SIZES }, options: { serve } };
}

/** A check the server ends at once, with the same sizes. */
export function plainCheck(): { scenario: Scenario; options: RunOptions } {
  return {
    scenario: { device: exampleDevice(), trigger: 'device', answers: [], agentOptions: SIZES },
    options: { serve: (_n, body) => message(decodeMessage(body), '') },
  };
}
