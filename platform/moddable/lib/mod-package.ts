// The package a Moddable device installs as a component, and how its mod archive is put in flash: pure
// logic, tested on the host.
//
// Package = a JSON header {"id", "name", "version", "module"?}, then optionally a NUL byte and a Moddable mod
// archive (.xsa, built with mcrun). JSON text can never contain a raw NUL, so the separator is unambiguous;
// a package with no NUL is all header (the lab server's catalog packages are such JSON files), a component
// with nothing to run. "module" names the mod's module the host imports at boot while the component is active.
//
// The archive is an XS archive: atoms of the ISO base media file format, the first one `XS_A` whose 32-bit
// big-endian size is the archive's length (documentation/xs/mods.md, "XS Archive Format").
import type { ComponentInfo } from '../../../agent/ports.js';
import { DmError } from '../../../agent/errors.js';
import { utf8Decode } from '../../../agent/util/bytes.js';

/** Longest header in front of an archive. */
export const MAX_HEADER = 1024;
/** Longest package that is all header. */
export const MAX_JSON_PACKAGE = 16384;
/**
 * Deepest nesting of arrays and objects in a header. XS's JSON.parse spends stack slots on every level: on
 * the device's 640-slot stack 225 levels abort the VM even from an empty stack (measured on xsnap), and a
 * 1 KB header holds 512. An abort during an install would come back at every boot that resumes it.
 */
export const MAX_HEADER_NESTING = 8;

/** True when the arrays and objects of JSON `text` nest at most `max` deep (strings skipped, escapes too). */
export function nestingWithin(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92)
        i++; // backslash: the next character is escaped
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 || c === 123) {
      if (++depth > max) return false;
    } else if (c === 93 || c === 125) depth--;
  }
  return true;
}

export interface ParsedPackage {
  info: ComponentInfo;
  /** Module to import at boot while active (mods only). */
  module?: string;
  /** Where the archive starts in the package, and its length (0: no archive). */
  archiveOffset: number;
  archiveLength: number;
}

function fail(pkgId: string, why: string): never {
  throw new DmError('DM_ERR_INSTALL', 500, `package ${pkgId}: ${why}`);
}

/** Reads and checks the header of package `pkgId` of `size` bytes through `read(offset, length)`. */
export function parsePackage(pkgId: string, size: number, read: (offset: number, length: number) => Uint8Array): ParsedPackage {
  if (size <= 0) fail(pkgId, 'is empty');
  let head = read(0, Math.min(size, MAX_HEADER + 1));
  let nul = head.indexOf(0);
  if (nul < 0) {
    if (size > MAX_JSON_PACKAGE) fail(pkgId, `has no header (no NUL in its first ${MAX_HEADER + 1} bytes)`);
    if (head.length < size) head = read(0, size);
    nul = size;
  }
  const text = utf8Decode(head, 0, nul);
  if (!nestingWithin(text, MAX_HEADER_NESTING)) fail(pkgId, `header nests deeper than ${MAX_HEADER_NESTING} levels`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    fail(pkgId, 'header is not JSON');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail(pkgId, 'header is not a JSON object');
  const h = json as Record<string, unknown>;
  const field = (k: string): string => {
    const v = h[k];
    if (typeof v !== 'string' || v === '' || v.length > 128) fail(pkgId, `header has no valid ${k}`);
    return v;
  };
  const p: ParsedPackage = {
    info: { id: field('id'), name: field('name'), version: field('version') },
    archiveOffset: 0,
    archiveLength: 0,
  };
  if (h.module !== undefined) p.module = field('module');
  if (nul < size) {
    p.archiveOffset = nul + 1;
    p.archiveLength = size - nul - 1;
    const problem = archiveProblem(read(p.archiveOffset, Math.min(8, p.archiveLength)), p.archiveLength);
    if (problem) fail(pkgId, problem);
  }
  return p;
}

/** Why the first bytes of an archive of `length` bytes are not those of an XS archive, or undefined. */
export function archiveProblem(first: Uint8Array, length: number): string | undefined {
  if (length < 8 || first.length < 8) return 'archive is shorter than an atom header';
  const size = ((first[0]! << 24) >>> 0) + (first[1]! << 16) + (first[2]! << 8) + first[3]!;
  const type = String.fromCharCode(first[4]!, first[5]!, first[6]!, first[7]!);
  if (type !== 'XS_A') return `archive is not an XS archive (first atom '${type}')`;
  if (size !== length) return `archive atom says ${size} bytes, the package holds ${length}`;
  return undefined;
}

export interface FlashPlan {
  /** Blocks 0..eraseBlocks-1 are erased first. */
  eraseBlocks: number;
  /** Then these writes, in this order: the first block comes last. */
  writes: { offset: number; length: number }[];
}

/**
 * How to write `length` bytes into a partition of `capacity` bytes erased in blocks of `blockSize`: each
 * write is at most one block (bounded RAM); the block holding the archive's first atom is written last, so a
 * power cut at any moment leaves a partition whose first atom is erased or wrong, which XS ignores at boot,
 * never a truncated archive that looks whole.
 */
export function flashPlan(length: number, blockSize: number, capacity: number): FlashPlan {
  if (!(blockSize > 0)) throw new DmError('DM_ERR_INSTALL', 500, `flash block size ${blockSize}`);
  if (length > capacity)
    throw new DmError('DM_ERR_INSTALL', 500, `archive of ${length} bytes does not fit the ${capacity} bytes of the mod partition`);
  const eraseBlocks = Math.ceil(length / blockSize);
  const writes: FlashPlan['writes'] = [];
  for (let off = blockSize; off < length; off += blockSize) writes.push({ offset: off, length: Math.min(blockSize, length - off) });
  if (length > 0) writes.push({ offset: 0, length: Math.min(blockSize, length) });
  return { eraseBlocks, writes };
}
