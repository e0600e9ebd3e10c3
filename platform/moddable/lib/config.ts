// What the device maker sets in the manifest's "config" (read at run time from the SDK's mc/config module),
// checked here so a bad build says which key is wrong instead of failing somewhere later. Pure: the
// mc/config object is passed in, so this is tested on the host.
//
// config.dm.device      the device description, the same JSON as for the Node agent (lab/examples/device.json)
// config.dm.buttonPin   GPIO of the update button (pressed = low); absent or -1 = no board button
// config.dm.maxMsgSize  largest SyncML message the device accepts and announces (bytes)
// config.dm.maxPackageBytes  largest package downloaded (header + mod archive)
// config.dm.caResource  name of a DER certificate resource for a private CA (HTTPS, MQTTS)
// config.dm.logLevel    error | warn | info | debug | trace
// config.file.root      the file system root the SDK's file manifest sets
import type { LogLevel } from '../../../agent/ports.js';
import type { DeviceDescription } from '../../../agent/description/description.js';
import { DmError } from '../../../agent/errors.js';
import { parseDeviceDescription } from '../../../agent/description/parse.js';
import { isLogLevel } from './log-format.js';
import { joinDir } from './file-names.js';

export interface DeviceConfig {
  desc: DeviceDescription;
  buttonPin?: number;
  maxMsgSize: number;
  maxPackageBytes: number;
  /** What the DM tree may hold, sized to the device's heap (TreeLimits). */
  tree: { maxNodes: number; maxValueBytes: number; maxTreeValueBytes: number };
  /** Most nodes a `?list=` answer may hold. */
  listMaxNodes: number;
  caResource?: string;
  logLevel: LogLevel;
  /** Directories of the Storage port's keys, of downloaded packages, of the installed-components record. */
  storageDir: string;
  packageDir: string;
  componentDir: string;
  /** The firmware slots' records (and, in the simulator, the slots themselves). */
  firmwareDir: string;
}

/**
 * The heap a session needs grows with the messages (about five times a message's size, measured on XS with
 * 64-bit slots) and with the tree, which stays in the heap. These defaults were run on the simulator with the
 * heaps of shared.json (manifests/README.md): server messages of the full size filling the tree to its
 * limits, a `?list=StructData` of the most nodes allowed, then a user update.
 */
export const DEFAULT_MAX_MSG_SIZE = 4096;
export const DEFAULT_TREE = { maxNodes: 128, maxValueBytes: 2048, maxTreeValueBytes: 6144 };
export const DEFAULT_LIST_MAX_NODES = 32;
/** The 256 KiB mod partition mcconfig creates, plus the package header. */
export const DEFAULT_MAX_PACKAGE_BYTES = 256 * 1024 + 1024;

function bad(key: string, what: string): never {
  throw new DmError('DM_ERR_CONFIG', 400, `manifest config: ${key} ${what}`);
}

function int(o: Record<string, unknown>, key: string, min: number, max: number, dflt: number | undefined): number | undefined {
  const v = o[key];
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) bad(`dm.${key}`, `must be an integer ${min}..${max}`);
  return v as number;
}

export function readDeviceConfig(config: unknown): DeviceConfig {
  const c = (typeof config === 'object' && config !== null ? config : {}) as Record<string, unknown>;
  const file = c.file as { root?: unknown } | undefined;
  if (typeof file?.root !== 'string' || !file.root) bad('file.root', 'is missing (include the SDK file manifest)');
  const dm = c.dm;
  if (typeof dm !== 'object' || dm === null) bad('dm', 'is missing');
  const o = dm as Record<string, unknown>;
  const desc = parseDeviceDescription(o.device);
  const pin = int(o, 'buttonPin', -1, 63, -1)!;
  const out: DeviceConfig = {
    desc,
    maxMsgSize: int(o, 'maxMsgSize', 2048, 65536, DEFAULT_MAX_MSG_SIZE)!,
    maxPackageBytes: int(o, 'maxPackageBytes', 1024, 16 * 1024 * 1024, DEFAULT_MAX_PACKAGE_BYTES)!,
    listMaxNodes: int(o, 'listMaxNodes', 16, 256, DEFAULT_LIST_MAX_NODES)!,
    tree: {
      maxNodes: int(o, 'treeMaxNodes', 100, 2048, DEFAULT_TREE.maxNodes)!,
      maxValueBytes: int(o, 'treeMaxValueBytes', 256, 16384, DEFAULT_TREE.maxValueBytes)!,
      maxTreeValueBytes: int(o, 'treeMaxBytes', 2048, 1 << 20, DEFAULT_TREE.maxTreeValueBytes)!,
    },
    logLevel: 'info',
    storageDir: joinDir(file.root, 'dm'),
    packageDir: joinDir(file.root, 'dm-pkg'),
    componentDir: joinDir(file.root, 'dm-comp'),
    firmwareDir: joinDir(file.root, 'dm-fw'),
  };
  if (pin >= 0) out.buttonPin = pin;
  const level = o.logLevel;
  if (level !== undefined) {
    if (!isLogLevel(level)) bad('dm.logLevel', 'must be one of error|warn|info|debug|trace');
    out.logLevel = level;
  }
  const ca = o.caResource;
  if (ca !== undefined) {
    if (typeof ca !== 'string' || !/^[A-Za-z0-9._-]{1,64}\.der$/.test(ca))
      bad('dm.caResource', 'must be the name of a .der resource (letters, digits, . _ -; at most 64 before .der)');
    out.caResource = ca;
  }
  return out;
}
