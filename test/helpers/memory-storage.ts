// In-memory Storage with power-cut injection: failAfter(n) lets n more writes succeed, then every write
// throws BEFORE replacing the value, as a power cut between "temp file written" and "rename" would.
import type { Storage } from '../../agent/ports.js';

export class PowerCut extends Error {
  constructor() {
    super('power cut');
  }
}

export class MemoryStorage implements Storage {
  readonly data = new Map<string, string>();
  writes = 0;
  private budget = Infinity;

  failAfter(n: number): void {
    this.budget = n;
  }
  restorePower(): void {
    this.budget = Infinity;
  }

  read(key: string): string | undefined {
    return this.data.get(key);
  }
  write(key: string, value: string): void {
    if (this.budget <= 0) throw new PowerCut();
    this.budget--;
    this.writes++;
    this.data.set(key, value);
  }
  remove(key: string): void {
    if (this.budget <= 0) throw new PowerCut();
    this.data.delete(key);
  }
  keys(): string[] {
    return [...this.data.keys()];
  }
}
