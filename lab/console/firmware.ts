// What the console shows of firmware (FUMO 1.0): a device's firmware as the server last read it, the firmware
// deployment pending, and the catalog's firmware images per device model, one of which it can retire. An
// upload is never taken as a firmware image: `package inspect` checks component packages (a manifest with id,
// name and version) and knows no firmware image, so a firmware image would go unchecked; the catalog file's
// "firmware" list (lab/server/firmware.ts checks each image against its model and version) is where one goes.
import { utf8Decode } from '../../agent/util/bytes.js';
import type { Catalog, CatalogEntry } from '../server/catalog.js';
import type { Deployment } from '../server/dm-server.js';
import type { FirmwareRead, ResultEntry } from './session-log.js';

/** The FUMO State values (agent/fumo/README.md, FUMO 1.0 §6.2) in words. */
const STATE_NAMES: Record<string, string> = {
  '10': 'idle',
  '20': 'download failed',
  '30': 'download progressing',
  '40': 'download complete',
  '50': 'ready to update',
  '60': 'update progressing',
  '70': 'update failed, have data',
  '80': 'update failed, no data',
  '90': 'update successful, have data',
  '100': 'update successful, no data',
};

export function fumoStateName(state: string | undefined): string | null {
  if (state === undefined) return null;
  return STATE_NAMES[state] ?? 'not a FUMO 1.0 state';
}

/** A deployment of a firmware image (DownloadAndUpdate of ./FUMO/fw), not of a component. */
export function isFirmwareDeployment(d: Deployment): boolean {
  return d.operation === 'DownloadAndUpdate';
}

/**
 * The device page's firmware: as last read, the firmware deployment sent and not reported on yet, and the last
 * FUMO result (a device reports it from the firmware it restarted into, before the server reads FwV again).
 */
export function firmwareView(read: FirmwareRead | undefined, pending: Deployment[], results: ResultEntry[]) {
  const waiting = pending.filter(isFirmwareDeployment).at(-1);
  const last = results.filter((r) => r.firmware).at(-1);
  if (!read && !waiting && !last) return null;
  return {
    version: read?.version ?? null,
    state: read?.state ?? null,
    stateName: fumoStateName(read?.state),
    readAt: read ? new Date(read.at).toISOString() : null,
    session: read?.session ?? null,
    pending: waiting ?? null,
    lastResult: last
      ? {
          resultCode: last.resultCode,
          ok: last.ok,
          version: last.version ?? null,
          correlator: last.correlator ?? null,
          at: new Date(last.at).toISOString(),
        }
      : null,
  };
}

/** The catalog's firmware images; each is an entry of /api/catalog with kind "firmware" and its model. */
export function firmwareEntries(catalog: Catalog): CatalogEntry[] {
  return catalog.firmware ?? [];
}

/** Stops offering a firmware image (its file stays served, for a device downloading it now); the entry, or undefined. */
export function retireFirmware(catalog: Catalog, id: string, version: string): CatalogEntry | undefined {
  const list = catalog.firmware;
  const i = list ? list.findIndex((e) => e.id === id && e.version === version) : -1;
  return i < 0 ? undefined : list!.splice(i, 1)[0];
}

/** The bytes are a firmware image as the lab catalog holds one ({"firmware": model, "version": …}). */
export function looksLikeFirmwareImage(bytes: Uint8Array): boolean {
  if (bytes.length > 1 << 20 || bytes.includes(0)) return false;
  try {
    const o = JSON.parse(utf8Decode(bytes)) as unknown;
    return typeof o === 'object' && o !== null && typeof (o as { firmware?: unknown }).firmware === 'string';
  } catch {
    return false;
  }
}
