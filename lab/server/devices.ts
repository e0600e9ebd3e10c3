// What the server keeps of each device across its sessions (nonces, account, DevInfo, inventory, recent
// deployments), bounded: a `serve` left running under a fleet must not grow until it dies, and a device
// names what it reports. Devices that have not authenticated yet are kept apart from those that did.
import type { Crypto, LogLevel } from '../../agent/ports.js';
import type { InventoryComponent } from './commands.js';
import type { Deployment, DeviceRecord, DeviceView } from './types.js';
import { ownString } from './own-string.js';

/**
 * Devices that have not authenticated yet (a record holds the nonce they were challenged with). Any DevId
 * can knock, so these are bounded apart from the devices that did authenticate; the least recently seen
 * is forgotten first, and it is challenged again if it comes back.
 */
export const DEFAULT_STRANGER_LIMIT = 65536;
/**
 * What the server keeps of one device's reports: components (read in a session, and remembered) and
 * DevInfo leaves. A device names them, so they are bounded; past the bound a report is a deviation.
 */
export const MAX_COMPONENTS_PER_DEVICE = 256;
export const MAX_DEVINFO_LEAVES = 32;
/** A device reports on its recent deployments; one older than this many is an unknown Correlator. */
const MAX_DEPLOYMENTS_PER_DEVICE = 16;

/** The device records: those that authenticated, and at most `strangerLimit` that have not yet. */
export class DeviceBook {
  private readonly known = new Map<string, DeviceRecord>();
  private readonly strangers = new Map<string, DeviceRecord>();

  constructor(
    private readonly crypto: Crypto,
    private readonly log: (level: LogLevel, message: string) => void,
    private readonly strangerLimit: number,
  ) {}

  /** The record a new session of the device works on: a stranger's is created, or becomes the most recently seen. */
  forSession(devId: string): DeviceRecord {
    let device = this.known.get(devId);
    if (device) return device;
    device = this.strangers.get(devId);
    // Seen again: it becomes the most recently seen (set again below).
    if (device) this.strangers.delete(devId);
    else {
      device = {
        devId: ownString(devId),
        clientNonce: this.crypto.randomBytes(16),
        serverNonce: new Uint8Array(0),
        devInfo: Object.create(null) as Record<string, string>,
        inventory: new Map(),
        deployments: new Map(),
        sessions: 0,
      };
      if (this.strangers.size >= this.strangerLimit) {
        const [oldest] = this.strangers.keys();
        this.strangers.delete(oldest!);
        this.log(
          'warn',
          `more than ${this.strangerLimit} devices that have not authenticated: forgetting ${oldest}, the least recently seen`,
        );
      }
    }
    // Keyed by the record's own copy of the DevId (a key is kept as long as the record).
    this.strangers.set(device.devId, device);
    return device;
  }

  /**
   * The device authenticated: from now on bounded by the accounts, not by strangerLimit. Its record may have
   * been forgotten as a stranger while its session was open; the session's own record is the one kept.
   */
  admit(device: DeviceRecord): void {
    if (this.known.has(device.devId)) return;
    this.strangers.delete(device.devId);
    this.known.set(device.devId, device);
  }

  /** What the server knows of a device, authenticated or not yet. */
  record(devId: string): DeviceRecord | undefined {
    return this.known.get(devId) ?? this.strangers.get(devId);
  }

  /** Devices that authenticated. */
  get authenticated(): number {
    return this.known.size;
  }

  view(devId: string): DeviceView | undefined {
    const d = this.record(devId);
    if (!d) return undefined;
    const v: DeviceView = {
      devId,
      devInfo: { ...d.devInfo },
      inventory: [...d.inventory.values()].map((c) => ({ ...c })),
      sessions: d.sessions,
    };
    if (d.account) v.account = d.account.username;
    return v;
  }
}

/** Keeps a DevInfo leaf the device Replaced; false when the record is full and `name` is not in it. */
export function keepDevInfo(device: DeviceRecord, name: string, value: string): boolean {
  // A property name is interned by V8 (it pins nothing); the value is copied only when it changes, as a
  // device sends the same DevInfo in every session.
  const devInfo = device.devInfo;
  if (!Object.hasOwn(devInfo, name) && Object.keys(devInfo).length >= MAX_DEVINFO_LEAVES) return false;
  if (devInfo[name] !== value) devInfo[name] = ownString(value);
  return true;
}

/**
 * Keeps the components a session read. A whole inventory read replaces what the server knew (a component it
 * lacks was removed); a read of some components updates theirs, the least recently reported going first
 * when the record is full.
 */
export function keepInventory(device: DeviceRecord, read: Map<string, InventoryComponent>, whole: boolean): void {
  const known = whole ? new Map<string, InventoryComponent>() : device.inventory;
  for (const [node, c] of read) {
    const own = ownComponent(c);
    known.delete(node);
    known.set(own.node, own);
    if (known.size > MAX_COMPONENTS_PER_DEVICE) known.delete(known.keys().next().value!);
  }
  device.inventory = known;
}

/** Remembers a deployment by its Correlator, for the device's result alert; the oldest goes past the bound. */
export function keepDeployment(device: DeviceRecord, d: Deployment): void {
  const mine = device.deployments;
  if (mine.size >= MAX_DEPLOYMENTS_PER_DEVICE) mine.delete(mine.keys().next().value!);
  mine.set(d.correlator, d);
}

/** The device now runs the deployment's version: the inventory view stays current until the next Get. */
export function installed(device: DeviceRecord, d: Deployment): void {
  for (const comp of device.inventory.values()) if (comp.id === d.componentId) comp.version = d.version;
}

/** A component read from the device, its strings copied (see ownString) for the device record. */
function ownComponent(c: InventoryComponent): InventoryComponent {
  const o: InventoryComponent = { node: ownString(c.node) };
  if (c.id !== undefined) o.id = ownString(c.id);
  if (c.name !== undefined) o.name = ownString(c.name);
  if (c.version !== undefined) o.version = ownString(c.version);
  return o;
}
