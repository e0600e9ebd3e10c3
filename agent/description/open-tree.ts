// Opening the persistent tree at boot: the last committed tree, or the description's seed (seed.ts) on first
// boot. A stored tree that cannot be read is kept aside under 'tree.corrupt' (nothing silently lost) and the
// device re-seeds.
import type { Storage } from '../ports.js';
import type { DeviceDescription } from './description.js';
import { MemoryTree } from '../tree/tree.js';
import type { TreeLimits } from '../tree/types.js';
import { deserializeTree } from '../tree/persist-format.js';
import { seedTree } from './seed.js';
import { installScomoBehaviour } from '../scomo/subtree.js';
import { type DmError, asDmError } from '../errors.js';
import { withDefined } from '../util/options.js';

export interface OpenedTree {
  tree: MemoryTree;
  seeded: boolean;
  /** Why the stored tree was set aside, when it was. */
  recovered?: DmError;
}

export function openTree(storage: Storage, desc: DeviceDescription, opts: { limits?: Partial<TreeLimits> } = {}): OpenedTree {
  const stored = storage.read('tree');
  let recovered: DmError | undefined;
  if (stored !== undefined) {
    try {
      const tree = new MemoryTree(withDefined({ root: deserializeTree(stored), storage }, { limits: opts.limits }));
      installScomoBehaviour(tree);
      return { tree, seeded: false };
    } catch (e) {
      recovered = asDmError(e);
      storage.write('tree.corrupt', stored);
    }
  }
  const tree = seedTree(desc, opts.limits ? { limits: opts.limits } : {});
  tree.attachStorage(storage);
  tree.commit();
  return recovered ? { tree, seeded: true, recovered } : { tree, seeded: true };
}
