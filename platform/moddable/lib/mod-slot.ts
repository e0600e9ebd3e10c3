// Where a component's mod archive goes: the ESP32's mod partition on the device (flash-mod-slot.ts), a file
// on the simulator (file-mod-slot.ts), a fake in the host tests.
export interface ModSlot {
  /** Bytes available for an archive. */
  readonly capacity: number;
  /**
   * Writes an archive of `length` bytes, fetched a piece at a time through `read(offset, n)`, so that a cut
   * write never leaves something that looks like a whole archive.
   */
  write(length: number, read: (offset: number, n: number) => Uint8Array): void;
  /** Makes the slot hold no archive. */
  clear(): void;
}
