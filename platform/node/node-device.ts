// One simulated device on the host: the agent's ports wired to files, the network and the terminal. The
// state folder holds agent/ (tree, alert queue, schedule, SCOMO and FUMO journals), packages/ (downloads),
// components/ (what is installed) and, with firmware, firmware/ (the A/B slots), so a device killed at any
// moment boots again where it was. A firmware update restarts the device: the caller sees agent.fumo.restarted
// and starts it again on the same folder (restartNodeDevice), as a power-on would.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DmAgent, type AgentOptions, type SessionReport } from '../../agent/agent.js';
import type { DeviceDescription } from '../../agent/description/description.js';
import type { Button, Display, Log, OutboundMessage, Transport } from '../../agent/ports.js';
import { withDefined } from '../../agent/util/options.js';
import { systemClock } from './clock.js';
import { nodeCrypto } from './crypto.js';
import { nodeUtf8 } from './utf8.js';
import { FileStorage } from './file-storage.js';
import { FileInstaller, MAX_PACKAGE } from './file-installer.js';
import { HttpDownloader } from './http-downloader.js';
import { HttpTransport } from './http-transport.js';
import { MqttTransport } from './mqtt-transport.js';
import { tracedTransport } from './trace.js';
import { readAccount, writeServerUri } from '../../agent/tree/dmacc.js';
import { aAuthType } from '../../agent/description/seed.js';
import { deserializeTree } from '../../agent/tree/persist-format.js';
import { lockStateDir } from './state-lock.js';
import { FileFirmwareSlots } from './firmware-slot.js';

export { StateInUseError, lockStateDir } from './state-lock.js';

/** A stored tree that cannot be read is set aside and re-seeded by the agent: the log says which file and why. */
function checkStoredTree(dir: string, log?: Log): void {
  let text: string;
  try {
    text = readFileSync(join(dir, 'tree'), 'utf8');
  } catch {
    return;
  }
  try {
    deserializeTree(text);
  } catch (e) {
    log?.log(
      'warn',
      `${join(dir, 'tree')}: ${(e as Error).message}; kept aside as tree.corrupt, and the tree is seeded again from the device description`,
    );
  }
}

export interface NodeDeviceOptions {
  desc: DeviceDescription;
  stateDir: string;
  /** Overrides desc.transport.kind. */
  transport?: 'http' | 'mqtt';
  /** Overrides desc.transport.mqtt.url. */
  brokerUrl?: string;
  /** Overrides desc.transport.mqtt.topicPrefix. */
  prefix?: string;
  /**
   * The server to talk to, instead of the description's (a CLI's --server): a first boot seeds it, and a
   * device booted from a state folder, which keeps the address its tree holds, has it replaced. Without
   * this, --server would be silently ignored once the folder exists.
   */
  serverUri?: string;
  display?: Display;
  button?: Button;
  log?: Log;
  /** Receives the decoded session trace. */
  trace?: (text: string) => void;
  /** A server notification arrived (MQTT …/notify). */
  onNotify?: (payload: Uint8Array) => void;
  agent?: AgentOptions;
  /**
   * Gives the device A/B firmware slots (FUMO): slot a holds, at the first start, the firmware DevInfo/Mod at
   * DevDetail/FwV. A running image that says "healthy": false fails the health check (it returns at once).
   */
  firmware?: boolean;
}

export interface NodeDevice {
  agent: DmAgent;
  transport: Transport;
  mqtt?: MqttTransport;
  installer: FileInstaller;
  downloader: HttpDownloader;
  firmware?: FileFirmwareSlots;
  /**
   * Stops the device talking to the server: every later exchange fails with this reason, so the session ends
   * without sending what it was about to (an answer a script gave by mistake).
   */
  halt(reason: string): void;
  close(): Promise<void>;
}

export function makeTransport(o: NodeDeviceOptions): { transport: Transport; mqtt?: MqttTransport } {
  const t = o.desc.transport;
  const kind = o.transport ?? t?.kind ?? 'http';
  const ca = t?.caFile ? readFileSync(t.caFile) : undefined;
  const common = withDefined({}, { timeoutMs: t?.timeoutMs || undefined, retries: t?.retries, ca });
  if (kind === 'http') return { transport: new HttpTransport(common) };
  const url = o.brokerUrl ?? t?.mqtt?.url;
  if (!url) throw new Error('MQTT needs a broker: transport.mqtt.url in the device file, or --broker URL');
  const prefix = o.prefix ?? t?.mqtt?.topicPrefix;
  const mqtt = new MqttTransport(
    withDefined(
      { ...common, brokerUrl: url, devId: o.desc.devInfo.devId },
      { prefix: prefix || undefined, username: t?.mqtt?.username, password: t?.mqtt?.password, onNotify: o.onNotify, log: o.log },
    ),
  );
  return { transport: mqtt, mqtt };
}

/**
 * The device's tree, not its description, holds its account once the state folder exists (as a device's
 * flash does after its bootstrap). A server given on the command line (`serverUri`) replaces the stored
 * address, and says so; a description edited since (a new password, another server) is not used: say that
 * too, rather than leave a lab user with 401s nobody explains.
 */
function reconcileAccount(agent: DmAgent, desc: DeviceDescription, serverUri: string | undefined, log?: Log): void {
  const stored = readAccount(agent.tree);
  if (serverUri !== undefined && stored.serverUri !== serverUri) {
    writeServerUri(agent.tree, stored, serverUri);
    agent.tree.commit();
    log?.log('info', `server address ${serverUri} (given) replaces ${stored.serverUri} (stored in the device's tree)`);
  }
  const a = desc.account;
  const type = aAuthType(a.auth.type);
  const differs: string[] = [];
  if (serverUri === undefined && stored.serverUri !== a.serverUri) differs.push(`server ${stored.serverUri} (file: ${a.serverUri})`);
  if (stored.client.type !== type) differs.push(`authentication ${stored.client.type} (file: ${type})`);
  if (stored.client.name !== a.auth.username) differs.push(`user ${stored.client.name} (file: ${a.auth.username})`);
  if (stored.client.secret !== a.auth.password) differs.push('password');
  if (differs.length === 0) return;
  log?.log(
    'warn',
    `the device's stored account differs from its description: ${differs.join(', ')}. The stored one is used, as a ` +
      "device keeps what its bootstrap gave it; start from another state folder (--state) to use the file's.",
  );
}

export async function startNodeDevice(o: NodeDeviceOptions): Promise<NodeDevice> {
  const made = makeTransport(o);
  const unlock = lockStateDir(o.stateDir);
  try {
    return await start(o, made, unlock);
  } catch (e) {
    unlock();
    throw e;
  }
}

async function start(o: NodeDeviceOptions, made: ReturnType<typeof makeTransport>, unlock: () => void): Promise<NodeDevice> {
  const inner = o.trace ? tracedTransport(made.transport, o.trace) : made.transport;
  let halted: string | undefined;
  const transport: Transport = withDefined(
    {
      exchange: (msg: OutboundMessage) => (halted !== undefined ? Promise.reject(new Error(halted)) : inner.exchange(msg)),
      close: () => inner.close?.(),
    },
    // endpoint: what the agent names when no reply comes: over MQTT the broker, not the DM server's URI.
    { maxMessageBytes: inner.maxMessageBytes, endpoint: made.transport.endpoint },
  );
  const caFile = o.desc.transport?.caFile;
  // A package without Ext/Size stops at the installer's limit too, instead of downloading on.
  const downloader = new HttpDownloader(
    join(o.stateDir, 'packages'),
    withDefined({ maxBytes: MAX_PACKAGE }, { ca: caFile ? readFileSync(caFile) : undefined }),
  );
  const installer = new FileInstaller(
    new FileStorage(join(o.stateDir, 'components')),
    downloader,
    o.desc.components.map((c) => ({ id: c.id, name: c.name, version: c.version })),
    withDefined({ where: join(o.stateDir, 'components', 'installed') }, { log: o.log }),
  );
  checkStoredTree(join(o.stateDir, 'agent'), o.log);
  const firmware = o.firmware
    ? new FileFirmwareSlots(
        join(o.stateDir, 'firmware'),
        withDefined(
          { factory: { firmware: o.desc.devInfo.mod, version: o.desc.devDetail?.fwV || '1.0' } },
          { ca: caFile ? readFileSync(caFile) : undefined },
        ),
      )
    : undefined;
  if (firmware?.returned) o.log?.log('warn', 'the firmware started last was not confirmed: the previous slot runs again');
  // The simulated firmware's own health check: an image that says it is broken fails it.
  const firmwareHealthCheck = firmware?.image()?.healthy === false ? () => false : undefined;
  // A first boot seeds its account with the given server, so that there is nothing to replace after it.
  const desc = o.serverUri === undefined ? o.desc : { ...o.desc, account: { ...o.desc.account, serverUri: o.serverUri } };
  const agent = await DmAgent.boot(
    desc,
    withDefined(
      {
        storage: new FileStorage(join(o.stateDir, 'agent')),
        clock: systemClock,
        crypto: nodeCrypto,
        utf8: nodeUtf8,
        transport,
        downloader,
        installer,
      },
      { firmware, display: o.display, button: o.button, log: o.log },
    ),
    { ...withDefined({ maxPackageBytes: MAX_PACKAGE }, { encoding: o.desc.transport?.encoding, firmwareHealthCheck }), ...o.agent },
  );
  reconcileAccount(agent, desc, o.serverUri, o.log);
  return withDefined(
    {
      agent,
      transport,
      installer,
      downloader,
      halt: (reason: string) => {
        halted = reason;
      },
      close: async () => {
        agent.disarm();
        try {
          await transport.close?.();
        } finally {
          unlock();
        }
      },
    },
    { firmware, mqtt: made.mqtt },
  );
}

/**
 * The simulated restart after a firmware switch: the device is closed and started again on its state folder
 * (the slots' power-on decides what runs), and a trial firmware runs its first session at once: the one that
 * confirms it and reports the result.
 */
export async function restartNodeDevice(dev: NodeDevice, o: NodeDeviceOptions): Promise<{ device: NodeDevice; report?: SessionReport }> {
  await dev.close();
  let device = await startNodeDevice(o);
  // A firmware that fails its own health check at boot restarts again at once, into the previous slot.
  for (let n = 0; n < 3 && device.agent.fumo?.restarted; n++) {
    await device.close();
    device = await startNodeDevice(o);
  }
  if (!device.agent.fumo?.inTrial && device.agent.queue.pending().length === 0) return { device };
  return { device, report: await device.agent.runSession() };
}
