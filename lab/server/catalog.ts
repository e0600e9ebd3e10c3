// The lab server's catalog of component versions. Each entry names a package file (a JSON manifest
// {id, name, version, payload}, the shape the Node FileInstaller installs, or for a Moddable device a JSON
// header, a NUL byte and a mod archive, platform/moddable/lib/mod-package.ts); its size and SHA-256 are
// computed from the file at load, or checked against the catalog when the catalog states them, so what
// the server announces to devices (Ext/Size, Ext/SHA256) always matches what it serves.
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename, dirname, resolve } from 'node:path';
import { DmError } from '../../agent/errors.js';
import { parseFirmware } from './firmware.js';
import { withDefined } from '../../agent/util/options.js';

export interface CatalogEntry {
  /** Component ID, as the device reports it in Deployed/<x>/ID. */
  id: string;
  name: string;
  version: string;
  /** The package path as the catalog wrote it (relative to the catalog file). */
  package: string;
  /** Absolute path of the package file. */
  file: string;
  /** File name the HTTP server serves it under: <packageBaseUrl>/<fileName>. */
  fileName: string;
  size: number;
  /** Lower-case hex. */
  sha256: string;
  /** Devices may install it without asking the user (UpdateDeviceRequest). */
  autoUpdate: boolean;
  description?: string;
  /** A firmware image (FUMO) for this device model, not a component (firmware.ts). */
  firmware?: { model: string };
}

/** Where the lab serves `entry`: under `baseUrl` (the packages URL, a trailing slash or not) by its file name. */
export function packageUrl(baseUrl: string, entry: CatalogEntry): string {
  return `${baseUrl.replace(/\/+$/, '')}/${entry.fileName}`;
}

export interface Catalog {
  entries: CatalogEntry[];
  /** Folder holding the package files (what GET /packages/<file> serves). */
  packagesDir: string;
  /** Firmware images per device model (the catalog's "firmware" list, firmware.ts). */
  firmware?: CatalogEntry[];
}

const SAFE_FILE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const VERSION = /^\d+(\.\d+)*$/;

function bad(message: string): never {
  throw new DmError('DM_ERR_CONFIG', 400, `catalog: ${message}`);
}

function text(o: Record<string, unknown>, key: string, where: string, optional = false): string | undefined {
  const v = o[key];
  if (v === undefined && optional) return undefined;
  if (typeof v !== 'string' || v.trim() === '') bad(`${where}.${key} must be a non-empty string`);
  return v;
}

/**
 * Dotted numeric comparison ('1.10' > '1.9', '2' == '2.0'); < 0, 0, > 0 like a sort comparator.
 * A version that is not dotted numeric compares as text, so odd device versions still order somehow.
 */
export function compareVersions(a: string, b: string): number {
  if (!VERSION.test(a) || !VERSION.test(b)) return a < b ? -1 : a > b ? 1 : 0;
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

export function isDottedVersion(v: string): boolean {
  return VERSION.test(v);
}

/** Parses catalog JSON; package paths are relative to `baseDir` (the catalog file's folder). */
export function parseCatalog(json: unknown, baseDir: string): Catalog {
  if (typeof json !== 'object' || json === null || !Array.isArray((json as { components?: unknown }).components)) {
    bad('expected an object { "components": [ … ] }');
  }
  const list = (json as { components: unknown[] }).components;
  const entries: CatalogEntry[] = [];
  let packagesDir: string | undefined;
  list.forEach((raw, i) => {
    const where = `components[${i}]`;
    if (typeof raw !== 'object' || raw === null) bad(`${where} must be an object`);
    const o = raw as Record<string, unknown>;
    const id = text(o, 'id', where)!;
    const name = text(o, 'name', where)!;
    const version = text(o, 'version', where)!;
    if (!VERSION.test(version)) bad(`${where}.version '${version}' is not dotted numeric (e.g. 2.0 or 1.4.3)`);
    const pkg = text(o, 'package', where)!;
    const file = resolve(baseDir, pkg);
    const fileName = basename(file);
    if (!SAFE_FILE.test(fileName)) bad(`${where}.package file name '${fileName}' must be letters, digits, '.', '_' or '-'`);
    if (packagesDir === undefined) packagesDir = dirname(file);
    else if (dirname(file) !== packagesDir) bad(`${where}.package must be in the same folder as the others (${packagesDir})`);
    if (entries.some((e) => e.id === id && e.version === version)) bad(`${where}: ${id} ${version} is listed twice`);
    if (entries.some((e) => e.fileName === fileName)) bad(`${where}: package file ${fileName} is used twice`);
    if (o.autoUpdate !== undefined && typeof o.autoUpdate !== 'boolean') bad(`${where}.autoUpdate must be true or false`);
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch (e) {
      bad(`${where}.package ${file} cannot be read: ${(e as Error).message}`);
    }
    checkManifest(bytes, { id, version }, `${where} (${fileName})`);
    const size = bytes.length;
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    if (o.size !== undefined && o.size !== size) bad(`${where}.size is ${String(o.size)} but ${fileName} has ${size} bytes`);
    if (o.sha256 !== undefined && (typeof o.sha256 !== 'string' || o.sha256.toLowerCase() !== sha256)) {
      bad(`${where}.sha256 does not match ${fileName} (its SHA-256 is ${sha256})`);
    }
    const entry: CatalogEntry = { id, name, version, package: pkg, file, fileName, size, sha256, autoUpdate: o.autoUpdate === true };
    const description = text(o, 'description', where, true);
    if (description !== undefined) entry.description = description;
    entries.push(entry);
  });
  const firmware = parseFirmware((json as { firmware?: unknown }).firmware, baseDir, packagesDir);
  return withDefined({ entries, packagesDir: packagesDir ?? baseDir }, { firmware: firmware.length ? firmware : undefined });
}

/**
 * A package is a JSON manifest, or a JSON header, a NUL and a mod archive (JSON text never holds a raw NUL);
 * the id and version of the manifest or header must be those the catalog announces.
 */
function checkManifest(bytes: Buffer, want: { id: string; version: string }, where: string): void {
  const nul = bytes.indexOf(0);
  if (nul >= 0 && nul === bytes.length - 1) bad(`${where}: package has a header and a NUL but no archive after it`);
  let m: unknown;
  try {
    m = JSON.parse(bytes.subarray(0, nul >= 0 ? nul : bytes.length).toString('utf8'));
  } catch (e) {
    bad(`${where}: package is not a JSON manifest${nul >= 0 ? ' (its header, before the NUL)' : ''}: ${(e as Error).message}`);
  }
  const o = m as Record<string, unknown>;
  if (typeof o !== 'object' || o === null || typeof o.id !== 'string' || typeof o.name !== 'string' || typeof o.version !== 'string') {
    bad(`${where}: package manifest needs string fields id, name and version`);
  }
  if (o.id !== want.id || o.version !== want.version) {
    bad(`${where}: package manifest says ${String(o.id)} ${String(o.version)}, the catalog says ${want.id} ${want.version}`);
  }
}

export function loadCatalog(path: string): Catalog {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    bad(`${path} cannot be read as JSON: ${(e as Error).message}`);
  }
  return parseCatalog(json, dirname(resolve(path)));
}

/** The newest catalog version of component `id` that is newer than `installed`, if any. */
export function findUpdate(catalog: Catalog, id: string, installed: string): CatalogEntry | undefined {
  let best: CatalogEntry | undefined;
  for (const e of catalog.entries) {
    if (e.id !== id || compareVersions(e.version, installed) <= 0) continue;
    if (!best || compareVersions(e.version, best.version) > 0) best = e;
  }
  return best;
}

export function entryByFile(catalog: Catalog, fileName: string): CatalogEntry | undefined {
  return catalog.entries.find((e) => e.fileName === fileName);
}

/**
 * Offers one more version while the server runs (the lab console's upload). The same checks as a catalog
 * file's entry: a dotted version, not listed already, a file name of its own. Devices see it from their next
 * inventory check on.
 */
export function addEntry(catalog: Catalog, entry: CatalogEntry): void {
  const where = `${entry.id} ${entry.version}`;
  if (!VERSION.test(entry.version)) bad(`${where}: version '${entry.version}' is not dotted numeric (e.g. 2.0 or 1.4.3)`);
  if (!SAFE_FILE.test(entry.fileName)) bad(`${where}: file name '${entry.fileName}' must be letters, digits, '.', '_' or '-'`);
  if (catalog.entries.some((e) => e.id === entry.id && e.version === entry.version)) bad(`${where} is in the catalog already`);
  if (catalog.entries.some((e) => e.fileName === entry.fileName)) bad(`${where}: package file ${entry.fileName} is used already`);
  catalog.entries.push(entry);
}

/** Stops offering a version (its file stays served, for a device downloading it now); the entry, or undefined. */
export function retireEntry(catalog: Catalog, id: string, version: string): CatalogEntry | undefined {
  const i = catalog.entries.findIndex((e) => e.id === id && e.version === version);
  return i < 0 ? undefined : catalog.entries.splice(i, 1)[0];
}
