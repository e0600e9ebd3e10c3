// Storage port on files: one file per key, replaced atomically (write a temporary file, fsync it, rename it
// over the old one, fsync the directory), so a power cut leaves the old value or the new one.
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Storage } from '../../agent/ports.js';
import { DmError } from '../../agent/errors.js';

const KEY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export class FileStorage implements Storage {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  private path(key: string): string {
    if (!KEY.test(key) || key.endsWith('.tmp')) throw new DmError('DM_ERR_STORAGE', 510, `storage key '${key}' is not a plain name`);
    return join(this.dir, key);
  }

  read(key: string): string | undefined {
    try {
      return readFileSync(this.path(key), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  write(key: string, value: string): void {
    const final = this.path(key);
    const tmp = `${final}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, value);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, final);
    const dfd = openSync(this.dir, 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  }

  remove(key: string): void {
    rmSync(this.path(key), { force: true });
  }

  keys(): string[] {
    return readdirSync(this.dir).filter((f) => KEY.test(f) && !f.endsWith('.tmp'));
  }
}
