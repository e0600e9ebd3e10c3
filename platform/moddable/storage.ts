// Storage port on the SDK's File module, one file per key in a directory of the flash file system. A write
// goes to `<key>.tmp`, which is then renamed over `<key>`: on littlefs (the device manifest's file system)
// the rename is atomic and replaces the old file, so a power cut leaves the old value or the new one. At
// boot, a `.tmp` left over is an interrupted write and is removed (lib/file-names.ts says why that is safe).
import { Directory, File, Iterator } from 'file';
import type { Storage } from '../../agent/ports.js';
import { DmError, errorMessage } from '../../agent/errors.js';
import { bootScan, isStorageKey, keyFile, tmpFile } from './lib/file-names.js';

function failed(what: string, e: unknown): DmError {
  return new DmError('DM_ERR_STORAGE', 510, `${what}: ${errorMessage(e)}`);
}

/** Creates `dir` when missing (some hosts throw when it exists: that is fine). */
export function ensureDirectory(dir: string): void {
  try {
    Directory.create(dir);
  } catch {
    /* exists */
  }
}

/** The length of the file at `path` in bytes, 0 when there is none. */
export function fileLength(path: string): number {
  if (!File.exists(path)) return 0;
  const f = new File(path);
  try {
    return f.length;
  } finally {
    f.close();
  }
}

/** Up to `length` bytes of the file at `path` from `offset` (fewer at its end; none when there is no file). */
export function readFileRange(path: string, offset: number, length: number): Uint8Array {
  if (!File.exists(path)) return new Uint8Array(0);
  const f = new File(path);
  try {
    const n = Math.max(0, Math.min(length, f.length - offset));
    if (!n) return new Uint8Array(0);
    f.position = offset;
    return new Uint8Array(f.read(ArrayBuffer, n));
  } finally {
    f.close();
  }
}

/** The names of the files in `dir` (directories are skipped). */
export function listFiles(dir: string): string[] {
  const names: string[] = [];
  const it = new Iterator(dir);
  for (let e = it.next(); e; e = it.next()) if (e.length !== undefined) names.push(e.name);
  return names;
}

export class FileStorage implements Storage {
  constructor(readonly dir: string) {
    ensureDirectory(dir);
    for (const name of bootScan(listFiles(dir)).remove) File.delete(dir + name);
  }

  private path(key: string): string {
    if (!isStorageKey(key)) throw new DmError('DM_ERR_STORAGE', 510, `storage key '${key}' is not a plain name`);
    return keyFile(this.dir, key);
  }

  read(key: string): string | undefined {
    const path = this.path(key);
    if (!File.exists(path)) return undefined;
    try {
      const f = new File(path);
      try {
        // The SDK's read() throws "read past end of file" on an empty file: an empty value is a valid one
        // (FUMO's journal, once its job is reported).
        return f.length === 0 ? '' : f.read(String);
      } finally {
        f.close();
      }
    } catch (e) {
      throw failed(`storage read of ${key}`, e);
    }
  }

  write(key: string, value: string): void {
    let sent = false;
    this.writeParts(key, () => {
      if (sent) return undefined;
      sent = true;
      return value;
    });
  }

  /** As write(), a piece at a time: the tree's text is never one string in the heap. */
  writeParts(key: string, next: () => string | undefined): void {
    const path = this.path(key);
    const tmp = tmpFile(this.dir, key);
    try {
      // Opening for write does not truncate on littlefs: start from no file at all.
      File.delete(tmp);
      const f = new File(tmp, true);
      try {
        for (let piece = next(); piece !== undefined; piece = next()) if (piece.length) f.write(piece);
      } finally {
        f.close();
      }
    } catch (e) {
      throw failed(`storage write of ${key}`, e);
    }
    if (File.rename(tmp, path)) return;
    // A file system whose rename does not replace (SPIFFS): not atomic any more, but never a partial value.
    File.delete(path);
    if (!File.rename(tmp, path)) throw new DmError('DM_ERR_STORAGE', 510, `storage write of ${key}: rename failed`);
  }

  remove(key: string): void {
    File.delete(this.path(key));
  }

  keys(): string[] {
    return bootScan(listFiles(this.dir)).keys;
  }
}
