// The lab server's firmware (FUMO 1.0) side: the catalog's firmware images per device model (DevInfo/Mod),
// what it reads of a device to decide (./DevDetail/FwV and ./FUMO/fw/State), the commands of a firmware
// update (Replace of ./FUMO/fw/PkgName, PkgVersion, DownloadAndUpdate/PkgURL and Ext/Size, Ext/SHA256, then
// Exec of ./FUMO/fw/DownloadAndUpdate with a Correlator), and the device's result alert
// (org.openmobilealliance.dm.firmwareupdate.*, Data = the FUMO result code).
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename, dirname, resolve } from 'node:path';
import type { AlertCmd, ExecCmd, Item, ItemCmd } from '../../agent/syncml/model.js';
import { DmError } from '../../agent/errors.js';
import { DEV_DETAIL_FWV, FUMO_NODE, FumoState } from '../../agent/fumo/paths.js';
import { compareVersions, isDottedVersion, type Catalog, type CatalogEntry } from './catalog.js';
import { dataText, normUri } from './commands.js';
import { installed } from './devices.js';
import type { OperationOutcome, ServerContext, SessionState } from './types.js';

/** What the server Gets of a device to decide on a firmware update. */
export const FIRMWARE_GETS = [DEV_DETAIL_FWV, `${FUMO_NODE}/State`];
export const FIRMWARE_ALERT_PREFIX = 'org.openmobilealliance.dm.firmwareupdate.';

/** The component ID a firmware entry stands under in deployments and outcomes. */
export function firmwareId(model: string): string {
  return `firmware:${model}`;
}

function bad(message: string): never {
  throw new DmError('DM_ERR_CONFIG', 400, `catalog: ${message}`);
}

/**
 * The catalog's "firmware" list: [{ model, version, package, name?, autoUpdate? }], each package a JSON image
 * {"firmware": model, "version": …} (what platform/node/firmware-slot.ts boots) in the packages folder.
 */
export function parseFirmware(list: unknown, baseDir: string, packagesDir: string | undefined): CatalogEntry[] {
  if (list === undefined) return [];
  if (!Array.isArray(list)) bad('"firmware" must be a list');
  return list.map((raw, i) => {
    const where = `firmware[${i}]`;
    const o = (typeof raw === 'object' && raw !== null ? raw : bad(`${where} must be an object`)) as Record<string, unknown>;
    const str = (k: string) =>
      typeof o[k] === 'string' && o[k] !== '' ? (o[k] as string) : bad(`${where}.${k} must be a non-empty string`);
    const model = str('model');
    const version = str('version');
    if (!isDottedVersion(version)) bad(`${where}.version '${version}' is not dotted numeric`);
    const file = resolve(baseDir, str('package'));
    if (packagesDir !== undefined && dirname(file) !== packagesDir) bad(`${where}.package must be in ${packagesDir}, with the others`);
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch (e) {
      bad(`${where}.package ${file} cannot be read: ${(e as Error).message}`);
    }
    let img: { firmware?: unknown; version?: unknown } | undefined;
    try {
      img = JSON.parse(bytes.toString('utf8')) as typeof img;
    } catch {
      img = undefined;
    }
    if (img?.firmware !== model || img.version !== version) bad(`${where}: ${basename(file)} is not the image of ${model} ${version}`);
    const name = typeof o.name === 'string' ? o.name : 'Firmware';
    return {
      id: firmwareId(model),
      name,
      version,
      package: str('package'),
      file,
      fileName: basename(file),
      size: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      autoUpdate: o.autoUpdate === true,
      firmware: { model },
    };
  });
}

/** The newest firmware for `model` newer than `running`, if any. */
export function findFirmware(catalog: Catalog, model: string, running: string): CatalogEntry | undefined {
  let best: CatalogEntry | undefined;
  for (const e of catalog.firmware ?? []) {
    if (e.firmware?.model !== model || compareVersions(e.version, running) <= 0) continue;
    if (!best || compareVersions(e.version, best.version) > 0) best = e;
  }
  return best;
}

/** Reads the firmware Get's Results: the running version, and whether FUMO is idle enough to start one. */
export function readFirmwareResults(items: Item[]): { version?: string; state?: string } {
  const out: { version?: string; state?: string } = {};
  for (const it of items) {
    const uri = normUri(it.source?.locURI ?? '');
    if (uri === DEV_DETAIL_FWV) out.version = dataText(it.data);
    else if (uri === `${FUMO_NODE}/State`) out.state = dataText(it.data);
  }
  return out;
}

/** States in which a new update may start: none in progress, or a trial not confirmed yet. */
export function fumoIdle(state: string | undefined): boolean {
  return state !== FumoState.DownloadProgressing && state !== FumoState.ReadyToUpdate && state !== FumoState.UpdateProgressing;
}

/** The firmware update: Replace of the FUMO leaves, then Exec of DownloadAndUpdate with the Correlator. */
export function firmwareCommands(entry: CatalogEntry, plan: { url: string; correlator: string; sha256: string }): [ItemCmd, ExecCmd] {
  const chr = (leaf: string, data: string): Item => ({ target: { locURI: `${FUMO_NODE}/${leaf}` }, meta: { format: 'chr' }, data });
  const replace: ItemCmd = {
    kind: 'Replace',
    cmdId: '',
    items: [
      chr('PkgName', entry.name),
      chr('PkgVersion', entry.version),
      chr('DownloadAndUpdate/PkgURL', plan.url),
      chr('Ext/Size', String(entry.size)),
      chr('Ext/SHA256', plan.sha256),
    ],
  };
  const exec: ExecCmd = {
    kind: 'Exec',
    cmdId: '',
    correlator: plan.correlator,
    items: [{ target: { locURI: `${FUMO_NODE}/DownloadAndUpdate` } }],
  };
  return [replace, exec];
}

/** A FUMO result alert: recorded against the deployment its Correlator names; the code of its Status. */
export function onFirmwareResult(ctx: ServerContext, st: SessionState, c: AlertCmd, item: AlertCmd['items'][number]): number {
  const devId = st.device.devId;
  const text = dataText(item.data).trim();
  const code = Number(text);
  if (text === '' || !Number.isInteger(code)) {
    ctx.deviate(st, `FUMO result alert ${c.cmdId}: Data '${text.slice(0, 40)}' is not a result code`);
    return 400;
  }
  if (item.meta?.format !== 'int')
    ctx.deviate(st, `FUMO result alert ${c.cmdId}: Meta/Format ${item.meta?.format ?? '(none)'}, FUMO says int`);
  const correlator = c.correlator;
  const deployment = correlator !== undefined ? st.device.deployments.get(correlator) : undefined;
  if (correlator === undefined) ctx.deviate(st, 'FUMO result alert without the Correlator of the Exec it reports on');
  else if (!deployment) ctx.deviate(st, `FUMO result alert carries Correlator ${correlator}, which this server never sent to ${devId}`);
  const ok = code === 200 || (code >= 250 && code <= 299);
  if (deployment?.resultCode === code) {
    ctx.histories.duplicateResults++;
    ctx.log('info', `device ${devId}: firmware result ${code} for ${correlator} reported again (already recorded)`);
    return 200;
  }
  const outcome: OperationOutcome = { devId, sessionId: st.sessionId, resultCode: code, ok };
  if (correlator !== undefined) outcome.correlator = correlator;
  if (item.source?.locURI !== undefined) outcome.source = item.source.locURI;
  if (deployment) {
    deployment.resultCode = code;
    deployment.state = ok ? 'completed' : 'failed';
    outcome.deployment = { ...deployment };
    if (ok) installed(st.device, deployment);
  }
  ctx.histories.outcomes.push(outcome);
  if (ok) ctx.histories.succeeded++;
  ctx.log(
    ok ? 'info' : 'warn',
    `device ${devId}: firmware result ${code}${ok ? ' (success)' : ''}${deployment ? ` for ${deployment.version}` : ''}, correlator ${correlator ?? '(none)'}`,
  );
  return 200;
}
