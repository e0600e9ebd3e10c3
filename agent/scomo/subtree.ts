// SCOMO's part of the DM tree: the skeleton the first boot lays under ./SCOMO, what the device adds to a
// Download/<x> the server creates, the Deployed/<x> entry of a component, and the inventory read back.
// ACLs (server = any server, '*'):
//   ./SCOMO, Inventory, Delivered, Deployed   Get=*                       permanent
//   ./SCOMO/Download                          Add=*&Delete=*&Get=*&Replace=*   the server stages packages here
//   ./SCOMO/Inventory/Deployed/<x>            Get=*&Replace=*             no Delete: removal is the Remove operation
//   …/Operations/<op>                         Exec=*&Get=*                executable leaves
import type { DmTree } from '../tree/types.js';
import { DEVICE } from '../tree/types.js';
import { putChildren, putNode as put } from '../tree/lay.js';
import {
  DELIVERED,
  DEPLOYED,
  DEPLOYED_OPERATIONS,
  DOWNLOAD,
  DOWNLOAD_OPERATIONS,
  SCOMO_MO_TYPE,
  SCOMO_ROOT,
  STATE_ACTIVE,
  STATE_INACTIVE,
} from './paths.js';
import { utf8Decode } from '../util/bytes.js';

/** What a Deployed/<x> entry is made of: a component of the device description, or one an install deployed. */
export interface DeployedEntry {
  node: string;
  id: string;
  name: string;
  version: string;
  description?: string;
  state?: 'active' | 'inactive';
  pkgIdRef?: string;
}

/** A deployed component as the inventory reads it back. */
export interface DeployedComponent {
  node: string;
  uri: string;
  id: string;
  name: string;
  version: string;
  state: string;
}

/** An executable Operations leaf. It adds the node itself, not through put: a frame fewer under a server's Add. */
function putOperation(tree: DmTree, uri: string): void {
  tree.add(uri, { format: 'null' }, DEVICE);
  tree.setFlags(uri, { exec: true });
  tree.setAcl(uri, 'Exec=*&Get=*');
}

/** A leaf's value as text; undefined when there is no such node or it holds no value. */
export function leafText(tree: DmTree, uri: string): string | undefined {
  if (!tree.exists(uri)) return undefined;
  const d = tree.get(uri, DEVICE).data;
  return d === undefined ? undefined : typeof d === 'string' ? d : utf8Decode(d);
}

/** The SCOMO MO of a first boot: the skeleton, a Deployed/<x> per component, and the device's Download behaviour. */
export function seedScomo(tree: DmTree, components: readonly DeployedEntry[]): void {
  put(tree, SCOMO_ROOT, 'node', undefined, SCOMO_MO_TYPE);
  tree.setAcl(SCOMO_ROOT, 'Get=*');
  put(tree, DOWNLOAD, 'node');
  tree.setAcl(DOWNLOAD, 'Add=*&Delete=*&Get=*&Replace=*');
  put(tree, `${SCOMO_ROOT}/Inventory`, 'node');
  put(tree, DELIVERED, 'node');
  put(tree, DEPLOYED, 'node');
  put(tree, `${SCOMO_ROOT}/Ext`, 'node');
  for (const p of [SCOMO_ROOT, DOWNLOAD, `${SCOMO_ROOT}/Inventory`, DELIVERED, DEPLOYED]) tree.setFlags(p, { permanent: true });
  for (const c of components) addDeployed(tree, c);
  installScomoBehaviour(tree);
}

/** Adds the Deployed/<node> subtree of one component (the seed's, and each one an install deploys). */
export function addDeployed(tree: DmTree, c: DeployedEntry): void {
  const base = `${DEPLOYED}/${c.node}`;
  put(tree, base, 'node');
  tree.setAcl(base, 'Get=*&Replace=*');
  putChildren(tree, base, [
    ['ID', c.id],
    ['PkgIDRef', c.pkgIdRef ?? ''],
    ['Name', c.name],
    ['Description', c.description ?? ''],
    ['Version', c.version],
    ['State', c.state === 'inactive' ? STATE_INACTIVE : STATE_ACTIVE, 'int'],
    ['Status', '10', 'int'],
  ]);
  put(tree, `${base}/Operations`, 'node');
  for (const op of DEPLOYED_OPERATIONS) putOperation(tree, `${base}/Operations/${op}`);
  put(tree, `${base}/Ext`, 'node');
}

/**
 * SCOMO behaviour of the tree: a Download/<x> the server adds gets its Status and the executable
 * Operations leaves from the device (the server adds PkgID, PkgURL …, then Execs an operation). Hooks are not
 * stored: a tree read back from storage gets this again.
 */
export function installScomoBehaviour(tree: DmTree): void {
  tree.onAdd(`${DOWNLOAD}/*`, (uri) => {
    if (tree.get(uri, DEVICE).leaf) return;
    if (!tree.exists(`${uri}/Status`)) put(tree, `${uri}/Status`, 'int', '10');
    for (const op of DOWNLOAD_OPERATIONS) {
      const o = `${uri}/Operations/${op}`;
      if (!tree.exists(o)) putOperation(tree, o);
    }
  });
}

/** The components under Deployed, as their leaves say. */
export function listDeployed(tree: DmTree): DeployedComponent[] {
  if (!tree.exists(DEPLOYED)) return [];
  return (tree.get(DEPLOYED, DEVICE).children ?? []).map((node) => {
    const uri = `${DEPLOYED}/${node}`;
    const leaf = (n: string) => leafText(tree, `${uri}/${n}`) ?? '';
    return { node, uri, id: leaf('ID'), name: leaf('Name'), version: leaf('Version'), state: leaf('State') };
  });
}
