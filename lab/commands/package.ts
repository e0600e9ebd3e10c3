// `dm-agent package build` and `dm-agent package inspect`: the packages a DM server offers, for the lab
// catalog (a JSON component manifest) and for a Moddable device (a JSON header, a NUL byte, a mod archive:
// platform/moddable/lib/mod-package.ts). inspect says what the lab server would announce (Ext/Size,
// Ext/SHA256) and which devices' limits the package meets, so a package that cannot fit is found before a
// device downloads it (a device refuses it with SCOMO result 1404: agent/scomo/README.md).
import { readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { DmError, errorMessage } from '../../agent/errors.js';
import { archiveProblem, MAX_HEADER, parsePackage } from '../../platform/moddable/lib/mod-package.js';
import { DEFAULT_MAX_PACKAGE_BYTES } from '../../platform/moddable/lib/config.js';
import { isDottedVersion } from '../server/catalog.js';
import { defineVerb, HelpRequested, nearest, parse, UsageError, type OptionSpec, type Verb } from '../args.js';
import { MAX_PACKAGE } from '../../platform/node/file-installer.js';
import { withDefined } from '../../agent/util/options.js';

/** The Node device's limit: FileInstaller (platform/node/file-installer.ts) reads a package of at most 1 MiB. */
export const NODE_MAX_PACKAGE_BYTES = MAX_PACKAGE;
/** A header field's longest value on a Moddable device (parsePackage). */
const MAX_FIELD = 128;

const SHARED_MANIFEST = new URL('../../manifests/shared.json', import.meta.url);

/** The Moddable device's limit: config.dm.maxPackageBytes of manifests/shared.json, or the app's default. */
export function moddableMaxPackageBytes(): number {
  try {
    const m = JSON.parse(readFileSync(SHARED_MANIFEST, 'utf8')) as { config?: { dm?: { maxPackageBytes?: unknown } } };
    const v = m.config?.dm?.maxPackageBytes;
    if (typeof v === 'number' && Number.isInteger(v) && v > 0) return v;
  } catch {
    /* no manifest: the default */
  }
  return DEFAULT_MAX_PACKAGE_BYTES;
}

const buildSpec = defineVerb({
  name: 'package build',
  summary: 'make a package: a JSON component manifest, or with --module a header, a NUL byte and a mod archive',
  options: {
    id: { type: 'string', value: 'ID', required: true, description: 'the component ID (what Deployed/<x>/ID reports)' },
    version: {
      type: 'string',
      value: 'V',
      required: true,
      description: 'the version, dotted numeric as the lab catalog wants (2.0, 1.4.3)',
    },
    name: { type: 'string', value: 'NAME', defaultText: 'the ID', description: 'the name the device shows' },
    module: {
      type: 'string',
      value: 'FILE',
      description: 'a Moddable mod archive (.xsa, from mcrun): the package becomes header, NUL, archive',
    },
    entry: {
      type: 'string',
      value: 'NAME',
      default: 'mod',
      description: "with --module: the mod's module the device imports at boot while the component is active",
    },
    payload: {
      type: 'string',
      value: 'TEXT',
      description: 'without --module: a payload text in the manifest (what the Node device keeps)',
    },
    out: {
      type: 'string',
      value: 'FILE',
      defaultText: 'ID-V.json, or ID-V.pkg with --module',
      description: 'where the package is written',
    },
  },
});

const inspectSpec = defineVerb({
  name: 'package inspect',
  summary: "a package's size, SHA-256, id, name, version and the limits it meets",
  args: [{ name: 'FILE', description: 'the package file' }],
  options: {
    json: { type: 'boolean', description: 'one JSON object on stdout instead of text' },
  },
});

export const packageSpec = defineVerb({
  name: 'package',
  summary: 'build a package for the lab catalog or a Moddable device, or inspect one (size, SHA-256, limits)',
  forms: ['build --id ID --version V [--name NAME] [--module FILE [--entry NAME] | --payload TEXT] [--out FILE]', 'inspect [--json] FILE'],
  description: [
    'A package is a JSON header {id, name, version, module?}, then, for a Moddable device, a NUL byte and a mod ' +
      'archive (manifests/README.md). Without --module it is a JSON component manifest {id, name, version, payload?}: ' +
      'what the lab catalog serves and the Node device installs. build prints what inspect prints for the package made.',
    `inspect checks the package as the devices would: the Node device takes a JSON manifest of at most ${NODE_MAX_PACKAGE_BYTES} bytes; ` +
      'a Moddable device a header it can read and at most dm.maxPackageBytes of manifests/shared.json. A device refuses a larger ' +
      'package before the download (SCOMO result 1404). The exit code is 1 when the file is no package at all.',
  ],
  args: [{ name: 'ACTION', description: 'build or inspect' }],
  options: {
    ...Object.fromEntries(
      Object.entries(buildSpec.options).map(([k, o]): [string, OptionSpec] => {
        const { required: _required, ...rest } = o as OptionSpec & { required?: boolean };
        return [k, { ...rest, description: `build${_required ? ' (required)' : ''}: ${o.description}` } as OptionSpec];
      }),
    ),
    json: { ...inspectSpec.options.json, description: `inspect: ${inspectSpec.options.json.description}` },
  },
});

/** What inspect finds in a package. */
export interface PackageReport {
  file: string;
  size: number;
  sha256: string;
  id: string;
  name: string;
  version: string;
  module?: string;
  /** Bytes of the mod archive after the header's NUL (0: a JSON-only package). */
  archiveBytes: number;
  /** Each device kind: whether it takes the package, and why not. */
  limits: { target: string; limit: number; ok: boolean; why?: string }[];
}

function fail(file: string, why: string): never {
  throw new DmError('DM_ERR_CONFIG', 400, `${file}: ${why}`);
}

/** Reads and checks a package as the lab server and the devices would. */
export function inspectPackage(bytes: Uint8Array, file: string): PackageReport {
  const size = bytes.length;
  if (size === 0) fail(file, 'is empty');
  const nul = bytes.indexOf(0);
  const headerEnd = nul >= 0 ? nul : size;
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, headerEnd)));
  } catch (e) {
    fail(file, `is not a package: its ${nul >= 0 ? 'header (before the NUL)' : 'text'} is not JSON (${errorMessage(e)})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header))
    fail(file, 'is not a package: its header is not a JSON object');
  const h = header as Record<string, unknown>;
  for (const k of ['id', 'name', 'version'] as const) {
    if (typeof h[k] !== 'string' || h[k] === '') fail(file, `is not a package: its header has no ${k} string`);
  }
  const report: PackageReport = {
    file,
    size,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    id: h.id as string,
    name: h.name as string,
    version: h.version as string,
    archiveBytes: nul >= 0 ? size - nul - 1 : 0,
    limits: [],
  };
  if (typeof h.module === 'string') report.module = h.module;
  // The Node device: FileInstaller parses the whole package as one JSON manifest.
  const node =
    nul >= 0
      ? 'has a mod archive: the Node device installs JSON manifests only'
      : size > NODE_MAX_PACKAGE_BYTES
        ? `${size} bytes, more than ${NODE_MAX_PACKAGE_BYTES}`
        : undefined;
  report.limits.push(withDefined({ target: 'Node device and lab catalog', limit: NODE_MAX_PACKAGE_BYTES, ok: !node }, { why: node }));
  if (!isDottedVersion(report.version)) {
    report.limits[0] = {
      ...report.limits[0]!,
      ok: false,
      why: `version '${report.version}' is not dotted numeric, as the lab catalog wants`,
    };
  }
  // The Moddable device: parsePackage, then the downloader's limit.
  const max = moddableMaxPackageBytes();
  let moddable: string | undefined;
  try {
    parsePackage(file, size, (off, n) => bytes.subarray(off, off + n));
  } catch (e) {
    moddable = errorMessage(e).replace(`package ${file}: `, '');
  }
  if (!moddable && size > max) moddable = `${size} bytes, more than ${max} (dm.maxPackageBytes)`;
  report.limits.push(withDefined({ target: 'Moddable device', limit: max, ok: !moddable }, { why: moddable }));
  return report;
}

function reportText(r: PackageReport): string {
  const rows: [string, string][] = [
    ['file', r.file],
    ['size', `${r.size} bytes`],
    ['sha256', r.sha256],
    ['id', r.id],
    ['name', r.name],
    ['version', r.version],
  ];
  if (r.module !== undefined) rows.push(['module', r.module]);
  rows.push(['archive', r.archiveBytes > 0 ? `mod archive of ${r.archiveBytes} bytes after the header` : 'none (a JSON manifest)']);
  rows.push(['announce', `Ext/Size ${r.size}, Ext/SHA256 ${r.sha256}`]);
  for (const l of r.limits) rows.push([l.ok ? 'fits' : 'refused', `${l.target} (at most ${l.limit} bytes)${l.why ? `: ${l.why}` : ''}`]);
  rows.push(['catalog', JSON.stringify({ id: r.id, name: r.name, version: r.version, package: basename(r.file) })]);
  return `${rows.map(([k, v]) => `${k.padEnd(9)}${v}`).join('\n')}\n`;
}

function writeReport(r: PackageReport, json: boolean, out: NodeJS.WritableStream): void {
  out.write(json ? `${JSON.stringify(r)}\n` : reportText(r));
}

function field(name: string, v: string): string {
  if (v.length > MAX_FIELD) throw new UsageError(`--${name} is longer than ${MAX_FIELD} characters (a device reads no more)`);
  return v;
}

/** The package bytes for the build options. */
export function buildPackage(o: {
  id: string;
  version: string;
  name?: string;
  module?: string;
  entry: string;
  payload?: string;
}): Uint8Array {
  if (!isDottedVersion(o.version))
    throw new UsageError(`--version must be dotted numeric (2.0, 1.4.3), as the lab catalog wants, not '${o.version}'`);
  const header: Record<string, string> = {
    id: field('id', o.id),
    name: field('name', o.name ?? o.id),
    version: field('version', o.version),
  };
  if (o.module === undefined) {
    if (o.payload !== undefined) header.payload = o.payload;
    return new TextEncoder().encode(`${JSON.stringify(header, null, 2)}\n`);
  }
  if (o.payload !== undefined) throw new UsageError('--payload is for a JSON manifest; a mod package carries its archive (--module)');
  header.module = field('entry', o.entry);
  const archive = new Uint8Array(readFileSync(o.module));
  const problem = archiveProblem(archive.subarray(0, 8), archive.length);
  if (problem) throw new DmError('DM_ERR_CONFIG', 400, `${o.module}: ${problem}`);
  const head = new TextEncoder().encode(JSON.stringify(header));
  if (head.length > MAX_HEADER) throw new UsageError(`the header is ${head.length} bytes, more than the ${MAX_HEADER} a device reads`);
  const bytes = new Uint8Array(head.length + 1 + archive.length);
  bytes.set(head, 0);
  bytes.set(archive, head.length + 1);
  return bytes;
}

export function packageCommand(argv: string[], out: NodeJS.WritableStream): number {
  const [action, ...rest] = argv;
  if (action === 'build') {
    const { options: o } = parse(buildSpec, rest);
    const bytes = buildPackage(o);
    const file = o.out ?? `${o.id}-${o.version}.${o.module === undefined ? 'json' : 'pkg'}`;
    writeFileSync(file, bytes);
    writeReport(inspectPackage(bytes, file), false, out);
    return 0;
  }
  if (action === 'inspect') {
    const {
      options: o,
      args: [file],
    } = parse(inspectSpec, rest);
    writeReport(inspectPackage(new Uint8Array(readFileSync(file!)), file!), o.json, out);
    return 0;
  }
  if (action === undefined || action === '--help' || action === '-h') {
    if (action) throw new HelpRequested(packageSpec);
    throw new UsageError('give ACTION: build or inspect');
  }
  throw new UsageError(`ACTION must be build or inspect, not '${action}' (did you mean ${nearest(action, ['build', 'inspect'])}?)`);
}

export const packageVerb: Verb = { spec: packageSpec, run: packageCommand };
