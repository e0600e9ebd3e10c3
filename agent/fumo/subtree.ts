// FUMO's part of the DM tree, laid by the first boot (../description/seed.ts calls seedFumo). ACLs (server =
// any server, '*'):
//   ./FUMO, ./FUMO/fw, State                  Get=*                      permanent; State is the device's to write
//   PkgName, PkgVersion, …/PkgURL             Get=*&Replace=*            the server says what it sends, and where
//   Download, Update, DownloadAndUpdate       Exec=*&Get=*               interior nodes the server Execs (FUMO 1.0 §6.2)
//   Update/PkgData                            Get=*                      no Replace: images come by PkgURL only (README)
//   Ext                                       Get=*
//   Ext/Size, Ext/SHA256                      Get=*&Replace=*            vendor leaves the server sets per image (README)
import type { DmTree, NodeFormat } from '../tree/types.js';
import { DEVICE } from '../tree/types.js';
import { DEV_DETAIL_FWV, FUMO_MO_TYPE, FUMO_NODE, FUMO_OPERATIONS, FUMO_ROOT, FumoState } from './paths.js';

function put(tree: DmTree, uri: string, format: NodeFormat, acl: string, data?: string, type?: string): void {
  tree.add(uri, { format, data, type }, DEVICE);
  tree.setAcl(uri, acl);
}

/** The FUMO MO of a first boot, for the firmware `name` at `version` (also ./DevDetail/FwV). */
export function seedFumo(tree: DmTree, fw: { name: string; version: string }): void {
  put(tree, FUMO_ROOT, 'node', 'Get=*');
  put(tree, FUMO_NODE, 'node', 'Get=*', undefined, FUMO_MO_TYPE);
  put(tree, `${FUMO_NODE}/PkgName`, 'chr', 'Get=*&Replace=*', fw.name);
  put(tree, `${FUMO_NODE}/PkgVersion`, 'chr', 'Get=*&Replace=*', fw.version);
  for (const op of FUMO_OPERATIONS) {
    const uri = `${FUMO_NODE}/${op}`;
    put(tree, uri, 'node', 'Exec=*&Get=*');
    tree.setFlags(uri, { exec: true });
    if (op === 'Update') put(tree, `${uri}/PkgData`, 'bin', 'Get=*');
    else put(tree, `${uri}/PkgURL`, 'chr', 'Get=*&Replace=*', '');
  }
  put(tree, `${FUMO_NODE}/State`, 'int', 'Get=*', FumoState.Idle);
  put(tree, `${FUMO_NODE}/Ext`, 'node', 'Get=*');
  // Laid empty, so that the server Replaces them for each image without knowing whether they exist.
  put(tree, `${FUMO_NODE}/Ext/Size`, 'chr', 'Get=*&Replace=*', '');
  put(tree, `${FUMO_NODE}/Ext/SHA256`, 'chr', 'Get=*&Replace=*', '');
  for (const p of [FUMO_ROOT, FUMO_NODE]) tree.setFlags(p, { permanent: true });
  if (tree.exists(DEV_DETAIL_FWV)) tree.replace(DEV_DETAIL_FWV, { data: fw.version }, DEVICE);
}
