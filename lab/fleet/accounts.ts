// Who each simulated device is: its DevId and its credentials, made from the template by device index, and
// the accounts table a server needs to let those devices in (the lab server's devices-table format).
import type { DeviceDescription } from '../../agent/device.js';

/** 'per-device': every device its own username and secret; 'shared': all use the template's. */
export type FleetAccounts = 'per-device' | 'shared';

const PLACEHOLDER = '{i}';

/** `{i}` in the template's text becomes the index; text without it gets `-<index>` appended. */
function indexed(text: string, i: number): string {
  return text.includes(PLACEHOLDER) ? text.split(PLACEHOLDER).join(String(i)) : `${text}-${i}`;
}

/** Device `i` of a fleet cloned from `t`, addressing `serverUri`. */
export function fleetDevice(t: DeviceDescription, i: number, serverUri: string, accounts: FleetAccounts): DeviceDescription {
  const d: DeviceDescription = JSON.parse(JSON.stringify(t));
  d.devInfo.devId = indexed(t.devInfo.devId, i);
  d.account.serverUri = serverUri;
  if (accounts === 'per-device') {
    d.account.auth.username = indexed(t.account.auth.username, i);
    d.account.auth.password = indexed(t.account.auth.password, i);
    if (t.account.serverAuth && d.account.serverAuth) {
      d.account.serverAuth.username = indexed(t.account.serverAuth.username, i);
      d.account.serverAuth.password = indexed(t.account.serverAuth.password, i);
    }
  }
  // The fleet drives each device's checks itself (its worker loop, or a schedule on the fleet's clock).
  delete d.schedule;
  return d;
}

/** One entry of a server's accounts table (the lab server's `--devices FILE` format). */
export interface FleetAccountEntry {
  username: string;
  password: string;
  auth: DeviceDescription['account']['auth']['type'];
  devId?: string;
  nonce?: string;
  server?: { username: string; password: string; auth: NonNullable<DeviceDescription['account']['serverAuth']>['type']; nonce?: string };
}

function entry(d: DeviceDescription, bind: boolean): FleetAccountEntry {
  const a = d.account.auth;
  const s = d.account.serverAuth;
  return {
    username: a.username, password: a.password, auth: a.type,
    // Per-device accounts are bound to their DevId, so a device cannot log in as another.
    ...(bind ? { devId: d.devInfo.devId } : {}),
    ...(a.nonce !== undefined ? { nonce: a.nonce } : {}),
    ...(s ? { server: { username: s.username, password: s.password, auth: s.type, ...(s.nonce !== undefined ? { nonce: s.nonce } : {}) } } : {}),
  };
}

/** The accounts a server needs for `devices` devices cloned from `t`: one each, or the one they share. */
export function fleetAccounts(t: DeviceDescription, devices: number, accounts: FleetAccounts): FleetAccountEntry[] {
  if (accounts === 'shared') return [entry(t, false)];
  return Array.from({ length: devices }, (_, i) => entry(fleetDevice(t, i, t.account.serverUri, 'per-device'), true));
}
