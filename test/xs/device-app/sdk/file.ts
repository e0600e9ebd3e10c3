// Stand-in for the SDK's "file" module (documentation/files/files.md) as the Linux simulator's build of it
// behaves (modules/files/file/lin): the files are the host's, in memory, so they outlive a restart of the
// machine. What that build does and this one does too:
// - new File(path) opens for reading and throws "file not found" when there is none; new File(path, true)
//   opens for writing at position 0 without truncating, creating the file when missing (its folder must exist).
// - read(String | ArrayBuffer [, count]) reads from the position (count defaults to the rest) and throws "read
//   past end of file" at or after the end; write(...values) takes strings (UTF-8), numbers (one byte) and
//   ArrayBuffers only.
// - File.delete and File.rename answer a boolean; rename replaces an existing target (POSIX rename) and takes
//   a bare name (same folder) or a full path.
// - Directory.create needs the parent folder and ignores an existing one; Iterator lists a folder's entries
//   with "." and ".." first (readdir), a file with its length, a folder without.
import { hostChecked } from './runtime.js';
import { decodeUtf8, encodeUtf8 } from './utf8.js';

function toInteger(v: unknown): number {
  const n = Math.trunc(Number(v));
  return Number.isFinite(n) ? n : 0;
}

export class File {
  #path: string;
  #position = 0;
  #open = true;

  constructor(path: string, write?: boolean) {
    this.#path = String(path);
    hostChecked('fs.open', { path: this.#path, write: Boolean(write) });
  }

  #check(): void {
    if (!this.#open) throw new Error('file closed');
  }

  read(type: unknown, count?: number): string | ArrayBuffer {
    this.#check();
    const size = this.length;
    let n = count === undefined ? -1 : toInteger(count);
    if (n === -1 || size < this.#position + n) {
      if (this.#position >= size) throw new Error('read past end of file');
      n = size - this.#position;
    }
    const bytes = hostChecked('fs.read', { path: this.#path, position: this.#position, count: n }).payload;
    if (bytes.length !== n) throw new Error('file read failed');
    this.#position += n;
    return type === String ? decodeUtf8(bytes, false, false) : bytes.slice().buffer;
  }

  write(...values: unknown[]): void {
    this.#check();
    for (const v of values) {
      let bytes: Uint8Array;
      if (typeof v === 'string') bytes = encodeUtf8(v);
      else if (typeof v === 'number') bytes = Uint8Array.of(toInteger(v) & 0xff);
      else if (v instanceof ArrayBuffer) bytes = new Uint8Array(v);
      else throw new TypeError('file write: a string, a number or an ArrayBuffer');
      hostChecked('fs.write', { path: this.#path, position: this.#position }, bytes);
      this.#position += bytes.length;
    }
  }

  close(): void {
    this.#check();
    this.#open = false;
  }

  get length(): number {
    this.#check();
    return hostChecked('fs.size', { path: this.#path }).reply.size as number;
  }

  get position(): number {
    this.#check();
    return this.#position;
  }

  set position(p: number) {
    this.#check();
    this.#position = Math.max(0, toInteger(p));
  }

  static delete(path: string): boolean {
    return hostChecked('fs.delete', { path: String(path) }).reply.ok === true;
  }

  static exists(path: string): boolean {
    return hostChecked('fs.exists', { path: String(path) }).reply.ok === true;
  }

  static rename(from: string, to: string): boolean {
    let target = String(to);
    const source = String(from);
    if (!target.startsWith('/')) {
      if (target.includes('/')) throw new Error('invalid to');
      const slash = source.lastIndexOf('/');
      if (slash < 0) throw new Error('invalid from');
      target = source.slice(0, slash + 1) + target;
    }
    return hostChecked('fs.rename', { from: source, to: target }).reply.ok === true;
  }
}
Object.freeze(File.prototype);

export interface IteratorEntry {
  name: string;
  length?: number;
}

export class Iterator {
  #entries: IteratorEntry[] | undefined;

  constructor(path: string) {
    const p = String(path);
    if (!p) throw new Error('bad path');
    const r = hostChecked('fs.list', { path: p }).reply;
    this.#entries = (r.entries as IteratorEntry[]).slice();
  }

  next(): IteratorEntry | undefined {
    const e = this.#entries?.shift();
    if (e === undefined) this.#entries = undefined;
    return e === undefined ? undefined : e.length === undefined ? { name: e.name } : { name: e.name, length: e.length };
  }

  [Symbol.iterator](): { next(): { value: IteratorEntry | undefined; done: boolean } } {
    const iterator = this;
    return {
      next() {
        const value = iterator.next();
        return { value, done: value === undefined };
      },
    };
  }
}
Object.freeze(Iterator.prototype);

export class Directory {
  static create(path: string): void {
    hostChecked('fs.mkdir', { path: String(path) });
  }

  static delete(path: string): void {
    hostChecked('fs.rmdir', { path: String(path) });
  }
}
Object.freeze(Directory.prototype);

export class System {
  static config(): { maxPathLength: number } {
    return { maxPathLength: 4096 };
  }

  static info(): { used: number; total: number } {
    const r = hostChecked('fs.info').reply;
    return { used: r.used as number, total: r.total as number };
  }
}
Object.freeze(System.prototype);

export default Object.freeze({ File, Iterator, System, Directory });
