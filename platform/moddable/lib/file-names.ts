// The file-name scheme of the flash file system, apart from the SDK's File module so it can be tested on the
// host. Storage keys are files `<dir><key>`; a new value is written to `<dir><key>.tmp` and renamed over the
// key (littlefs renames atomically, replacing the old file). A `.tmp` still there at boot is what a power cut
// left of a write that never reached its rename: the key's file (if any) still holds the previous value, so
// the `.tmp` is removed, never promoted (it may be partial).
// Names stay short: the SDK's littlefs build limits a whole path to LFS_NAME_MAX (255) bytes, SPIFFS to 32.

const KEY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/;
export const TMP_SUFFIX = '.tmp';

export function isStorageKey(name: string): boolean {
  return KEY.test(name) && !name.endsWith(TMP_SUFFIX);
}

/** The directory as a prefix: 'dm' under root '/' is '/dm/'. */
export function joinDir(root: string, name: string): string {
  const r = root.endsWith('/') ? root : `${root}/`;
  let a = 0;
  let b = name.length;
  while (a < b && name[a] === '/') a++;
  while (b > a && name[b - 1] === '/') b--;
  return `${r}${name.slice(a, b)}/`;
}

export function keyFile(dir: string, key: string): string {
  return `${dir}${key}`;
}

export function tmpFile(dir: string, key: string): string {
  return `${dir}${key}${TMP_SUFFIX}`;
}

/** What a directory listing at boot says: the keys present, and the leftovers to delete. */
export function bootScan(names: string[]): { keys: string[]; remove: string[] } {
  const keys: string[] = [];
  const remove: string[] = [];
  for (const n of names) {
    if (n.endsWith(TMP_SUFFIX) && isStorageKey(n.slice(0, -TMP_SUFFIX.length))) remove.push(n);
    else if (isStorageKey(n)) keys.push(n);
  }
  return { keys: keys.sort(), remove };
}

/** FNV-1a, 32 bits, as 8 hex digits: a short stable tag for ids too long to be file names. */
export function fnv1a(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

/**
 * The file of package `id` in the package directory. A plain id up to 40 characters is the name itself;
 * any other keeps (at most 31 of) its characters, unsafe ones as '_', plus a hash of the whole id, so ids
 * that differ only in unsafe characters, or only past the 31st, still get files of their own.
 */
export function packageFileName(id: string): string {
  let safe = id.replace(/[^A-Za-z0-9._-]/g, '_');
  if (safe !== id || safe.length > 40) safe = `${safe.slice(0, 31)}-${fnv1a(id)}`;
  return `pkg-${safe}.bin`;
}
