// Who each simulated device is: its DevId and its credentials, made from the template by device index, and
// the accounts table a server needs to let those devices in (the lab server's devices-table format).
import type { DeviceDescription } from '../../agent/description/description.js';
// An entry of the lab server's accounts table (its `--devices FILE` format) is what the fleet writes.
import type { DeviceAccount } from '../server/auth.js';
import { withDefined } from '../../agent/util/options.js';

/** 'per-device': every device its own username and secret; 'shared': all use the template's. */
export type FleetAccounts = 'per-device' | 'shared';

const PLACEHOLDER = '{i}';

/** `{i}` in the template's text becomes the index; text without it gets `-<index>` appended. */
function indexed(text: string, i: number): string {
  return text.includes(PLACEHOLDER) ? text.split(PLACEHOLDER).join(String(i)) : `${text}-${i}`;
}

/** Who device `i` is: its DevId and credentials (the template's own with 'shared'). */
function identity(
  t: DeviceDescription,
  i: number,
  accounts: FleetAccounts,
): Pick<DeviceDescription['account'], 'auth' | 'serverAuth'> & { devId: string } {
  const own = accounts === 'per-device';
  const a = t.account.auth;
  const s = t.account.serverAuth;
  const serverAuth = s && (own ? { ...s, username: indexed(s.username, i), password: indexed(s.password, i) } : { ...s });
  return withDefined(
    {
      devId: indexed(t.devInfo.devId, i),
      auth: own ? { ...a, username: indexed(a.username, i), password: indexed(a.password, i) } : { ...a },
    },
    { serverAuth },
  );
}

/** Device `i` of a fleet cloned from `t`, addressing `serverUri`. */
export function fleetDevice(t: DeviceDescription, i: number, serverUri: string, accounts: FleetAccounts): DeviceDescription {
  const d: DeviceDescription = JSON.parse(JSON.stringify(t));
  const who = identity(t, i, accounts);
  d.devInfo.devId = who.devId;
  d.account.serverUri = serverUri;
  d.account.auth = who.auth;
  if (who.serverAuth) d.account.serverAuth = who.serverAuth;
  // The fleet drives each device's checks itself (its worker loop, or a schedule on the fleet's clock).
  delete d.schedule;
  return d;
}

/** The accounts table's entry for a device: `devId` set binds the account to it. */
function entry(who: Pick<DeviceDescription['account'], 'auth' | 'serverAuth'>, devId: string | undefined): DeviceAccount {
  const a = who.auth;
  const s = who.serverAuth;
  const server = s && withDefined({ username: s.username, password: s.password, auth: s.type }, { nonce: s.nonce });
  return withDefined({ username: a.username, password: a.password, auth: a.type }, { devId, nonce: a.nonce, server });
}

/** The accounts a server needs for `devices` devices cloned from `t`: one each, or the one they share. */
export function fleetAccounts(t: DeviceDescription, devices: number, accounts: FleetAccounts): DeviceAccount[] {
  return [...fleetAccountEntries(t, devices, accounts)];
}

/** The same accounts one at a time, so that a large table can be written without holding it whole. */
export function* fleetAccountEntries(t: DeviceDescription, devices: number, accounts: FleetAccounts): Generator<DeviceAccount> {
  if (accounts === 'shared') {
    yield entry(t.account, undefined);
    return;
  }
  // Per-device accounts are bound to their DevId, so a device cannot log in as another.
  for (let i = 0; i < devices; i++) {
    const who = identity(t, i, accounts);
    yield entry(who, who.devId);
  }
}
