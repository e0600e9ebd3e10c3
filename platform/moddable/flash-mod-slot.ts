// The mod slot on the device: the ESP32 "xs" partition (type 0x40, subtype 1) that the SDK reserves for a
// mod when a manifest defines XS_MODS, opened with the SDK's flash module (documentation/files/files.md,
// class Flash; "xs" names that partition). XS maps the archive found there when the VM starts, so a new mod
// runs after the next restart. lib/mod-package.ts orders the writes so that a power cut never leaves a
// truncated archive that XS would try to load.
import Flash from 'flash';
import type { ModSlot } from './lib/mod-slot.js';
import { flashPlan } from './lib/mod-package.js';

export class FlashModSlot implements ModSlot {
  private readonly flash = new Flash('xs');

  get capacity(): number {
    return this.flash.byteLength;
  }

  write(length: number, read: (offset: number, n: number) => Uint8Array): void {
    const plan = flashPlan(length, this.flash.blockSize, this.flash.byteLength);
    for (let b = 0; b < plan.eraseBlocks; b++) this.flash.erase(b);
    for (const w of plan.writes) this.flash.write(w.offset, w.length, read(w.offset, w.length));
  }

  clear(): void {
    // An erased first block is no XS archive: XS loads nothing at the next start.
    this.flash.erase(0);
  }
}
