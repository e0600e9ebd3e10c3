// First-boot tree from the device description: DevInfo, DevDetail, DMAcc (DM 1.2 "w7" account), SCOMO 1.1.
// ACLs (server = the account's ServerID; '*' = any server):
//   .                            Add=*&Get=*                 (TND: the root grants Add and Get to all)
//   ./DevInfo, ./DevDetail       Get=*                       permanent, read-only
//   ./DMAcc                      Get=<srv>                   account visible to its own server only
//   ./DMAcc/<x>                  Get=<srv>&Replace=<srv>     AppAuth/*/AAuthSecret: Replace=<srv> (no Get: secrets are write-only)
//   ./SCOMO …                    listed in ../scomo/subtree.ts, which lays that MO (seedScomo)
import type { DeviceDescription } from './description.js';
import { MemoryTree } from '../tree/tree.js';
import type { AuthSettings, TreeLimits } from '../tree/types.js';
import { type Child, putChildren, putNode } from '../tree/lay.js';
import { seedScomo } from '../scomo/subtree.js';
import { base64Decode } from '../util/bytes.js';

/** A permanent interior node readable by every server, with its children. */
function putObject(tree: MemoryTree, root: string, children: Child[]): void {
  putNode(tree, root, 'node');
  tree.setAcl(root, 'Get=*');
  putChildren(tree, root, children);
  tree.setFlags(root, { permanent: true });
}

export function seedTree(desc: DeviceDescription, opts: { limits?: Partial<TreeLimits> } = {}): MemoryTree {
  const tree = new MemoryTree(opts.limits ? { limits: opts.limits } : {});
  const d = desc.devInfo;
  putObject(tree, './DevInfo', [
    ['DevId', d.devId],
    ['Man', d.man],
    ['Mod', d.mod],
    ['DmV', d.dmV ?? '1.2'],
    ['Lang', d.lang ?? 'en-US'],
    ['Ext'],
  ]);
  const dd = desc.devDetail ?? {};
  const lim = tree.limits;
  putObject(tree, './DevDetail', [
    ['URI'],
    ['URI/MaxDepth', String(lim.maxDepth), 'int'],
    ['URI/MaxTotLen', String(lim.maxUriLength), 'int'],
    ['URI/MaxSegLen', String(lim.maxSegmentLength), 'int'],
    ['DevTyp', dd.devTyp ?? 'device'],
    ['OEM', dd.oem ?? d.man],
    ['FwV', dd.fwV ?? ''],
    ['SwV', dd.swV ?? ''],
    ['HwV', dd.hwV ?? ''],
    ['LrgObj', dd.lrgObj === false ? 'false' : 'true', 'bool'],
    ['Ext'],
  ]);

  const a = desc.account;
  const srv = a.serverId;
  const acc = `./DMAcc/${a.id ?? 'dms'}`;
  putNode(tree, './DMAcc', 'node');
  tree.setAcl('./DMAcc', `Get=${srv}`);
  putNode(tree, acc, 'node');
  tree.setAcl(acc, `Get=${srv}&Replace=${srv}`);
  putChildren(tree, acc, [
    ['AppID', 'w7'],
    ['ServerID', srv],
    ['Name', a.name ?? srv],
    ['AppAddr/1/Addr', a.serverUri],
    ['AppAddr/1/AddrType', 'URI'],
    ['AAuthPref', aAuthType(a.auth.type)],
  ]);
  const auths: [string, string, { type: string; username: string; password: string; nonce?: string }][] = [['CLCRED', 'client', a.auth]];
  if (a.serverAuth) auths.push(['SRVCRED', 'server', a.serverAuth]);
  for (const [level, name, cred] of auths) {
    const p = `${acc}/AppAuth/${name}`;
    putChildren(tree, p, [
      ['AAuthLevel', level],
      ['AAuthType', aAuthType(cred.type)],
      ['AAuthName', cred.username],
      ['AAuthSecret', cred.password],
    ]);
    tree.setAcl(`${p}/AAuthSecret`, `Replace=${srv}`);
    // Initial nonce: the one agreed at the factory, if any; otherwise the first challenge brings one.
    putNode(tree, `${p}/AAuthData`, 'bin', cred.nonce === undefined ? new Uint8Array(0) : base64Decode(cred.nonce));
    tree.setAcl(`${p}/AAuthData`, `Replace=${srv}`);
  }

  seedScomo(tree, desc.components);
  return tree;
}

/** The DMAcc AAuthType of a description's (or an account table's) authentication type. */
export function aAuthType(type: string): AuthSettings['type'] {
  return type === 'basic' ? 'BASIC' : type === 'md5' ? 'DIGEST' : type === 'hmac' ? 'HMAC' : 'NONE';
}
