// Builders for what the lab server sends (UI alerts, inventory Gets, the SCOMO deployment) and readers for
// what devices send back (inventory Results, the OperationComplete result alert). Pure functions.
import type { AlertCmd, ExecCmd, Item, ItemCmd } from '../../agent/syncml/model.js';
import { utf8Decode } from '../../agent/util/bytes.js';
import { DEPLOYED, DOWNLOAD } from '../../agent/scomo/paths.js';
import type { CatalogEntry } from './catalog.js';
import { treeUri } from '../../agent/syncml/statuses.js';

/** The leaves the server reads of each deployed component. */
export const COMPONENT_LEAVES = ['ID', 'Name', 'Version'] as const;

/** A UI alert 1100..1104: Item 1 the options, Item 2 the text, then one Item per choice. */
export function uiAlert(code: string, options: string, text: string, choices: string[] = []): AlertCmd {
  const items: Item[] = [{ data: options }, { data: text }, ...choices.map((c) => ({ data: c }))];
  return { kind: 'Alert', cmdId: '', data: code, items };
}

/** An Alert without items: 1222 (next message) or 1223 (session abort). */
export function alertCmd(code: string): AlertCmd {
  return { kind: 'Alert', cmdId: '', data: code, items: [] };
}

export function getCmd(uris: string[]): ItemCmd {
  return { kind: 'Get', cmdId: '', items: uris.map((u) => ({ target: { locURI: u } })) };
}

export function componentGets(componentUri: string): string[] {
  return COMPONENT_LEAVES.map((l) => `${componentUri}/${l}`);
}

/**
 * './x', 'x' and trailing '/' forms of a device URI, made one: the tree's form (treeUri, which the agent
 * uses as it is, refusing a trailing '/'), after the blanks and trailing '/' a lab server forgives.
 */
export function normUri(uri: string): string {
  let u = uri.trim();
  while (u.length > 1 && u.endsWith('/')) u = u.slice(0, -1);
  return treeUri(u);
}

/** The Deployed/<x> node name a URI points at, or undefined when it is not a deployed component. */
export function deployedNode(uri: string): string | undefined {
  const u = normUri(uri);
  if (!u.startsWith(`${DEPLOYED}/`)) return undefined;
  const rest = u.slice(DEPLOYED.length + 1);
  return rest !== '' && !rest.includes('/') ? rest : undefined;
}

export function dataText(d: Item['data']): string {
  return d === undefined ? '' : typeof d === 'string' ? d : utf8Decode(d);
}

export interface DeployPlan {
  /** ./SCOMO/Download/<node> */
  node: string;
  pkgId: string;
  url: string;
  correlator: string;
  operation: 'DownloadInstall' | 'DownloadInstallInactive' | 'Download';
  /** What is announced in Ext/SHA256 (differs from the file on a corrupt-package injection). */
  sha256: string;
}

/**
 * The SCOMO deployment: Add of ./SCOMO/Download/<x> with PkgID, Name, PkgURL and the vendor extension leaves
 * Ext/Size and Ext/SHA256 (hex) the agent verifies the download against, then Exec of the operation with a
 * Correlator that comes back in the OperationComplete alert.
 */
export function deployCommands(entry: CatalogEntry, plan: DeployPlan): [ItemCmd, ExecCmd] {
  const base = `${DOWNLOAD}/${plan.node}`;
  const chr = (uri: string, data: string): Item => ({ target: { locURI: uri }, meta: { format: 'chr' }, data });
  const add: ItemCmd = {
    kind: 'Add',
    cmdId: '',
    items: [
      { target: { locURI: base }, meta: { format: 'node' } },
      chr(`${base}/PkgID`, plan.pkgId),
      chr(`${base}/Name`, entry.name),
      chr(`${base}/PkgURL`, plan.url),
      { target: { locURI: `${base}/Ext` }, meta: { format: 'node' } },
      { target: { locURI: `${base}/Ext/Size` }, meta: { format: 'int' }, data: String(entry.size) },
      chr(`${base}/Ext/SHA256`, plan.sha256),
    ],
  };
  const exec: ExecCmd = {
    kind: 'Exec',
    cmdId: '',
    correlator: plan.correlator,
    items: [{ target: { locURI: `${base}/Operations/${plan.operation}` } }],
  };
  return [add, exec];
}

/** One deployed component as read from the device. */
export interface InventoryComponent {
  node: string;
  id?: string;
  name?: string;
  version?: string;
}

/**
 * Folds Results items (Source = Deployed/<x>/<leaf>) into the inventory map, which takes at most
 * `maxComponents` components. Returns the URIs it did not understand and how many items named a component
 * past that number (not taken).
 */
export function readComponentResults(
  items: Item[],
  into: Map<string, InventoryComponent>,
  maxComponents = Infinity,
): { stray: string[]; overLimit: number } {
  const stray: string[] = [];
  let overLimit = 0;
  for (const it of items) {
    const src = it.source?.locURI;
    if (src === undefined) {
      stray.push('(Item without Source)');
      continue;
    }
    const u = normUri(src);
    const slash = u.lastIndexOf('/');
    const node = deployedNode(u.slice(0, slash));
    const leafName = u.slice(slash + 1);
    if (node === undefined || !(COMPONENT_LEAVES as readonly string[]).includes(leafName)) {
      stray.push(src);
      continue;
    }
    let c = into.get(node);
    if (!c) {
      if (into.size >= maxComponents) {
        overLimit++;
        continue;
      }
      into.set(node, (c = { node }));
    }
    const v = dataText(it.data);
    if (leafName === 'ID') c.id = v;
    else if (leafName === 'Name') c.name = v;
    else c.version = v;
  }
  return { stray, overLimit };
}

/** Child names of an interior node's Get result ('a/b/c'). */
export function childNames(items: Item[]): string[] {
  const d = dataText(items[0]?.data);
  return d === '' ? [] : d.split('/').filter((n) => n !== '');
}

export interface ResultAlertData {
  resultCode: number;
  identifier?: string;
}

/** Reads <ResultCode>…</ResultCode><Identifier>…</Identifier> (SCOMO OperationComplete data). */
export function parseResultData(text: string): ResultAlertData | undefined {
  const code = /<ResultCode>\s*(\d{3,4})\s*<\/ResultCode>/.exec(text);
  if (!code) return undefined;
  const r: ResultAlertData = { resultCode: Number(code[1]) };
  const id = /<Identifier>([^<]*)<\/Identifier>/.exec(text);
  if (id) r.identifier = id[1]!.trim();
  return r;
}

export { numberCommands } from '../../agent/syncml/numbering.js';
