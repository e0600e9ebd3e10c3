// The mod slot on the simulator: the archive kept as a file, written to a temporary name and renamed, so the
// installer's bookkeeping runs as on the device. The simulator does not load mods from it (mcrun installs
// mods into the simulator); this slot exists so that install, activate and remove can be exercised there.
import { File } from 'file';
import { DmError } from '../../agent/errors.js';
import type { ModSlot } from './lib/mod-slot.js';
import { exactBuffer } from './lib/bytes.js';
import { ensureDirectory } from './storage.js';

export class FileModSlot implements ModSlot {
  private readonly path: string;

  constructor(
    dir: string,
    readonly capacity = 256 * 1024,
  ) {
    ensureDirectory(dir);
    this.path = `${dir}mod.xsa`;
  }

  write(length: number, read: (offset: number, n: number) => Uint8Array): void {
    if (length > this.capacity)
      throw new DmError('DM_ERR_INSTALL', 500, `archive of ${length} bytes does not fit the ${this.capacity} bytes of the mod slot`);
    const tmp = `${this.path}.tmp`;
    File.delete(tmp);
    const f = new File(tmp, true);
    try {
      for (let off = 0; off < length; off += 4096) f.write(exactBuffer(read(off, Math.min(4096, length - off))));
    } finally {
      f.close();
    }
    if (!File.rename(tmp, this.path)) {
      File.delete(this.path);
      File.rename(tmp, this.path);
    }
  }

  clear(): void {
    File.delete(this.path);
  }
}
