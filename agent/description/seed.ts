// First-boot tree from the device description: DevInfo, DevDetail, DMAcc (DM 1.2 "w7" account), SCOMO 1.1.
// ACLs (server = the account's ServerID; '*' = any server):
//   .                            Add=*&Get=*                 (TND: the root grants Add and Get to all)
//   ./DevInfo, ./DevDetail       Get=*                       permanent, read-only
//   ./DMAcc                      Get=<srv>                   account visible to its own server only
//   ./DMAcc/<x>                  Get=<srv>&Replace=<srv>     AppAuth/*/AAuthSecret: Replace=<srv> (no Get: secrets are write-only)
//   ./SCOMO …                    listed in ../scomo/subtree.ts, which lays that MO (seedScomo)
import type { DeviceDescription } from './description.js';
import { MemoryTree } from '../tree/tree.js';
import type { AuthSettings, NodeFormat, TreeLimits } from '../tree/types.js';
import { DEVICE } from '../tree/types.js';
import { seedScomo } from '../scomo/subtree.js';
import { base64Decode } from '../util/bytes.js';

function put(tree: MemoryTree, uri: string, format: NodeFormat, data?: string | Uint8Array): void {
  tree.add(uri, { format, data }, DEVICE);
}

export function seedTree(desc: DeviceDescription, opts: { limits?: Partial<TreeLimits> } = {}): MemoryTree {
  const tree = new MemoryTree(opts.limits ? { limits: opts.limits } : {});
  const d = desc.devInfo;
  put(tree, './DevInfo', 'node');
  tree.setAcl('./DevInfo', 'Get=*');
  put(tree, './DevInfo/DevId', 'chr', d.devId);
  put(tree, './DevInfo/Man', 'chr', d.man);
  put(tree, './DevInfo/Mod', 'chr', d.mod);
  put(tree, './DevInfo/DmV', 'chr', d.dmV ?? '1.2');
  put(tree, './DevInfo/Lang', 'chr', d.lang ?? 'en-US');
  put(tree, './DevInfo/Ext', 'node');
  tree.setFlags('./DevInfo', { permanent: true });

  const dd = desc.devDetail ?? {};
  put(tree, './DevDetail', 'node');
  tree.setAcl('./DevDetail', 'Get=*');
  put(tree, './DevDetail/URI', 'node');
  put(tree, './DevDetail/URI/MaxDepth', 'int', String(tree.limits.maxDepth));
  put(tree, './DevDetail/URI/MaxTotLen', 'int', String(tree.limits.maxUriLength));
  put(tree, './DevDetail/URI/MaxSegLen', 'int', String(tree.limits.maxSegmentLength));
  put(tree, './DevDetail/DevTyp', 'chr', dd.devTyp ?? 'device');
  put(tree, './DevDetail/OEM', 'chr', dd.oem ?? d.man);
  put(tree, './DevDetail/FwV', 'chr', dd.fwV ?? '');
  put(tree, './DevDetail/SwV', 'chr', dd.swV ?? '');
  put(tree, './DevDetail/HwV', 'chr', dd.hwV ?? '');
  put(tree, './DevDetail/LrgObj', 'bool', dd.lrgObj === false ? 'false' : 'true');
  put(tree, './DevDetail/Ext', 'node');
  tree.setFlags('./DevDetail', { permanent: true });

  const a = desc.account;
  const srv = a.serverId;
  const acc = `./DMAcc/${a.id ?? 'dms'}`;
  put(tree, './DMAcc', 'node');
  tree.setAcl('./DMAcc', `Get=${srv}`);
  put(tree, acc, 'node');
  tree.setAcl(acc, `Get=${srv}&Replace=${srv}`);
  put(tree, `${acc}/AppID`, 'chr', 'w7');
  put(tree, `${acc}/ServerID`, 'chr', srv);
  put(tree, `${acc}/Name`, 'chr', a.name ?? srv);
  put(tree, `${acc}/AppAddr/1/Addr`, 'chr', a.serverUri);
  put(tree, `${acc}/AppAddr/1/AddrType`, 'chr', 'URI');
  put(tree, `${acc}/AAuthPref`, 'chr', aAuthType(a.auth.type));
  const auths: [string, string, { type: string; username: string; password: string; nonce?: string }][] = [['CLCRED', 'client', a.auth]];
  if (a.serverAuth) auths.push(['SRVCRED', 'server', a.serverAuth]);
  for (const [level, name, cred] of auths) {
    const p = `${acc}/AppAuth/${name}`;
    put(tree, `${p}/AAuthLevel`, 'chr', level);
    put(tree, `${p}/AAuthType`, 'chr', aAuthType(cred.type));
    put(tree, `${p}/AAuthName`, 'chr', cred.username);
    put(tree, `${p}/AAuthSecret`, 'chr', cred.password);
    tree.setAcl(`${p}/AAuthSecret`, `Replace=${srv}`);
    // Initial nonce: the one agreed at the factory, if any; otherwise the first challenge brings one.
    put(tree, `${p}/AAuthData`, 'bin', cred.nonce === undefined ? new Uint8Array(0) : base64Decode(cred.nonce));
    tree.setAcl(`${p}/AAuthData`, `Replace=${srv}`);
  }

  seedScomo(tree, desc.components);
  return tree;
}

/** The DMAcc AAuthType of a description's (or an account table's) authentication type. */
export function aAuthType(type: string): AuthSettings['type'] {
  return type === 'basic' ? 'BASIC' : type === 'md5' ? 'DIGEST' : type === 'hmac' ? 'HMAC' : 'NONE';
}
