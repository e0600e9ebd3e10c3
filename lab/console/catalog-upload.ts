// A package uploaded through the console becomes a catalog version while the server runs: checked as
// `dm-agent package inspect` checks it (a readable header with id, name and a dotted version; a package
// that the Node device or the Moddable device takes, within its size limit), written to the console's
// upload folder, and offered from the next inventory check on. A package refused says why; nothing is
// written for it.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DmError, errorMessage } from '../../agent/errors.js';
import { addEntry, type Catalog, type CatalogEntry } from '../server/catalog.js';
import { inspectPackage, moddableMaxPackageBytes, NODE_MAX_PACKAGE_BYTES } from '../commands/package.js';
import { isDottedVersion } from '../server/catalog.js';

/** The largest upload taken: the larger of the two devices' limits (package inspect's). */
export const MAX_UPLOAD = Math.max(NODE_MAX_PACKAGE_BYTES, moddableMaxPackageBytes());

export interface UploadOptions {
  autoUpdate?: boolean;
  description?: string;
}

/** Checks and adds an uploaded package; throws a DmError (400, 409) saying why it is refused. */
export function addUploadedPackage(catalog: Catalog, dir: string, bytes: Uint8Array, o: UploadOptions = {}): CatalogEntry {
  let report: ReturnType<typeof inspectPackage>;
  try {
    report = inspectPackage(bytes, 'upload');
  } catch (e) {
    throw new DmError('DM_ERR_CONFIG', 400, `package refused: ${errorMessage(e).replace(/^upload: /, '')}`);
  }
  if (!isDottedVersion(report.version)) {
    throw new DmError('DM_ERR_CONFIG', 400, `package refused: version '${report.version}' is not dotted numeric, as the lab catalog wants`);
  }
  // Offered when a device of one kind or the other takes it (a mod package is for the Moddable device only).
  if (!report.limits.some((l) => l.ok)) {
    throw new DmError(
      'DM_ERR_CONFIG',
      400,
      `package refused: ${report.limits.map((l) => `${l.target}: ${l.why ?? 'refused'}`).join('; ')}`,
    );
  }
  if (catalog.entries.some((e) => e.id === report.id && e.version === report.version)) {
    throw new DmError('DM_ERR_CONFIG', 409, `package refused: ${report.id} ${report.version} is in the catalog already`);
  }
  const fileName = `${report.id}-${report.version}.${report.archiveBytes > 0 ? 'pkg' : 'json'}`.replace(/[^A-Za-z0-9._-]/g, '_');
  const file = join(dir, fileName);
  const entry: CatalogEntry = {
    id: report.id,
    name: report.name,
    version: report.version,
    package: fileName,
    file,
    fileName,
    size: report.size,
    sha256: report.sha256,
    autoUpdate: o.autoUpdate === true,
  };
  if (o.description) entry.description = o.description;
  addEntry(catalog, entry);
  try {
    writeFileSync(file, bytes);
  } catch (e) {
    catalog.entries.splice(catalog.entries.indexOf(entry), 1);
    throw e;
  }
  return entry;
}
