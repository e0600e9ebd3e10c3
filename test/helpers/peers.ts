// Third-party peers for cross-checks (libwbxml, xmllint, mosquitto) and the folder ../shared beside the
// repository (the DM 1.2 DTD tool, reference vectors). A test that needs one calls needPeer() or
// needShared(): when it is absent the test skips with a visible notice, unless DM_PEERS=required (CI),
// where absence fails the test.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const found = new Map<string, boolean>();

export function hasTool(tool: string): boolean {
  let ok = found.get(tool);
  if (ok === undefined) {
    ok = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).status === 0;
    found.set(tool, ok);
  }
  return ok;
}

export const peersRequired = process.env.DM_PEERS === 'required';

/**
 * Returns a skip reason (string) when the tool is missing and peers are optional; throws when they are
 * required; returns false when the tool is there. Use as: `test('x', { skip: needPeer('xmllint') }, …)`.
 */
export function needPeer(tool: string): string | false {
  if (hasTool(tool)) return false;
  if (peersRequired) throw new Error(`DM_PEERS=required but ${tool} is not installed`);
  const why = `${tool} not installed: cross-check skipped (install it, or set DM_PEERS=required to fail)`;
  process.stderr.write(`NOTICE: ${why}\n`);
  return why;
}

/** Path of the shared/ folder beside the repository (../shared from the repo root). */
export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const sharedDir = join(repoRoot, '..', 'shared');

/**
 * Like needPeer, for a file of ../shared (e.g. 'vectors/pkg1-generic-alert.xml'): a skip reason when it is
 * missing and peers are optional, a throw naming ../shared when they are required, false when it is there.
 */
export function needShared(rel: string): string | false {
  if (existsSync(join(sharedDir, rel))) return false;
  const what = `../shared/${rel} is missing (../shared, beside the repository, holds the DTD tool and the reference vectors)`;
  if (peersRequired) throw new Error(`DM_PEERS=required but ${what}`);
  const why = `${what}: check skipped (set DM_PEERS=required to fail)`;
  process.stderr.write(`NOTICE: ${why}\n`);
  return why;
}

/** The DM 1.2 DTD check needs xmllint and ../shared/tools/make-dm12-dtd.sh: a skip reason, or false. */
export function needDtd(): string | false {
  return needPeer('xmllint') || needShared('tools/make-dm12-dtd.sh');
}

let dtdPath: string | undefined;
/** Builds the DM 1.2 validation DTD once per process with shared/tools/make-dm12-dtd.sh. */
export function dm12Dtd(): string {
  if (dtdPath) return dtdPath;
  const out = join(mkdtempSync(join(tmpdir(), 'dm12-')), 'dm12.dtd');
  const r = spawnSync('sh', [join(sharedDir, 'tools', 'make-dm12-dtd.sh'), out], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`make-dm12-dtd.sh failed: ${r.stderr}`);
  dtdPath = out;
  return out;
}

/** Validates an XML document against the DM 1.2 DTD with xmllint; returns xmllint's complaints ('' = valid). */
export function xmllintValidate(xml: Uint8Array | string): string {
  const dir = mkdtempSync(join(tmpdir(), 'dmx-'));
  const f = join(dir, 'msg.xml');
  writeFileSync(f, xml);
  const r = spawnSync('xmllint', ['--nonet', '--noout', '--dtdvalid', dm12Dtd(), f], { encoding: 'utf8' });
  return r.status === 0 ? '' : r.stderr || `xmllint exit ${r.status}`;
}

/** Runs libwbxml's wbxml2xml on bytes; returns the XML text. */
export function wbxml2xml(wbxml: Uint8Array): string {
  const dir = mkdtempSync(join(tmpdir(), 'dmw-'));
  const inp = join(dir, 'in.wbxml');
  const out = join(dir, 'out.xml');
  writeFileSync(inp, wbxml);
  const r = spawnSync('wbxml2xml', ['-o', out, inp], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`wbxml2xml failed (${r.status}): ${r.stderr}${r.stdout}`);
  return readFileSync(out, 'utf8');
}

/** Runs libwbxml's xml2wbxml on XML text; returns the WBXML bytes. Extra flags e.g. ['-n'] (no string table). */
export function xml2wbxml(xml: string | Uint8Array, flags: string[] = []): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'dmw-'));
  const inp = join(dir, 'in.xml');
  const out = join(dir, 'out.wbxml');
  writeFileSync(inp, xml);
  const r = spawnSync('xml2wbxml', [...flags, '-o', out, inp], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`xml2wbxml failed (${r.status}): ${r.stderr}${r.stdout}`);
  return new Uint8Array(readFileSync(out));
}
