// Stand-in for the SDK's flash module on the ESP32 (modules/files/flash/esp32): "nextota" is the next update
// partition of esp32-world.ts; "xs", the mod partition, is erased flash in RAM (the firmware cases install no
// mod). read() answers a copy, erase(sector) erases 4 KB.
import { esp32 } from './esp32-world.js';

const SECTOR = 4096;

export default class Flash {
  #name: string;
  #xs: Uint8Array | undefined;

  constructor(partition: string) {
    this.#name = String(partition);
    if (this.#name === 'xs') this.#xs = new Uint8Array(0x40000).fill(0xff);
    else if (this.#name !== 'nextota') throw new Error("can't find partition");
  }

  get byteLength(): number {
    return this.#xs ? this.#xs.length : esp32().capacity;
  }

  get blockSize(): number {
    return SECTOR;
  }

  read(offset: number, byteLength: number): ArrayBuffer {
    if (offset < 0 || offset + byteLength > this.byteLength) throw new Error('invalid');
    return this.#xs ? this.#xs.slice(offset, offset + byteLength).buffer : esp32().read(offset, byteLength);
  }

  erase(sector: number): void {
    if (this.#xs) this.#xs.fill(0xff, sector * SECTOR, (sector + 1) * SECTOR);
    else if (sector === 0) esp32().eraseHead();
    else throw new Error('the stand-in erases the first sector of nextota only');
  }

  write(offset: number, byteLength: number, buffer: ArrayBuffer | ArrayBufferView): void {
    if (!this.#xs) throw new Error('the stand-in writes the xs partition only');
    const src =
      buffer instanceof ArrayBuffer ? new Uint8Array(buffer) : new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    this.#xs.set(src.subarray(0, byteLength), offset);
  }
}
Object.freeze(Flash.prototype);
