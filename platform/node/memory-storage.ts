// Storage port in memory, for simulated devices that need no persistence (the fleet simulator). One Map
// per device; values are strings, as on flash.
import type { Storage } from '../../agent/ports.js';

export class MemoryStorage implements Storage {
  private readonly data = new Map<string, string>();
  read(key: string): string | undefined {
    return this.data.get(key);
  }
  write(key: string, value: string): void {
    this.data.set(key, value);
  }
  remove(key: string): void {
    this.data.delete(key);
  }
  keys(): string[] {
    return [...this.data.keys()];
  }
}
