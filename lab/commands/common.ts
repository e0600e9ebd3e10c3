// What several verbs share: reading the files they are given, where a device keeps its state, the lab server's
// accounts, the deployed-component list as the CLI prints it, and the options the device verbs have in common.
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DmError } from '../../agent/errors.js';
import { parseDeviceDescription } from '../../agent/description/parse.js';
import type { DeviceDescription } from '../../agent/description/description.js';
import type { DmTree } from '../../agent/tree/types.js';
import { listDeployed } from '../../agent/scomo/subtree.js';
import { parseAnswers, TerminalDisplay } from '../../platform/node/terminal-display.js';
import { systemClock } from '../../platform/node/clock.js';
import { UserInteraction } from '../../agent/ui/interaction.js';
import type { Clock, Log, TimerHandle } from '../../agent/ports.js';
import { parseDevices, type DeviceAccount } from '../server/auth.js';
import { urlOf, UsageError, type OptionSpec } from '../args.js';
import { withDefined } from '../../agent/util/options.js';

/** A file under lab/examples/. */
export function exampleFile(name: string): string {
  return join(dirname(fileURLToPath(import.meta.url)), '../examples', name);
}

function readJson(file: string, what: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: not a readable JSON ${what} (${(e as Error).message})`);
  }
}

export function loadDevice(file: string): DeviceDescription {
  return parseDeviceDescription(readJson(file, 'device description'));
}

/** An --answers file, checked whole before anything starts; none: no scripted answers. */
export function readAnswers(file: string | undefined): string[] {
  return file ? parseAnswers(readFileSync(file, 'utf8')) : [];
}

/**
 * Where `run` and `device` keep a device's state when no --state is given: .dm-state/<name>, where the name is
 * the DevId with every character but letters, digits, '.', '_' and '-' made '_', and a name of dots only ('.',
 * '..') or an empty one prefixed with '_', so that no DevId names .dm-state itself, its parent, or a path.
 */
export function stateDirFor(devId: string): string {
  const name = devId.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 128);
  return join('.dm-state', /^\.{0,128}$/.test(name) ? `_${name}` : name);
}

/** The deployed components as the CLI prints them: "Weather 1.0, Sensor driver 1.4". */
export function deployedList(tree: DmTree): string {
  return listDeployed(tree)
    .map((c) => `${c.name} ${c.version}`)
    .join(', ');
}

function credential(spec: string, what: string): { username: string; password: string; auth: string } {
  const [username, password, auth = 'md5'] = spec.split(':');
  if (!username || !password) throw new UsageError(`${what} '${spec}' must be user:password[:none|basic|md5|hmac]`);
  return { username, password, auth };
}

/** The lab server's accounts: a --devices file (errors name it), else --user (default dmuser:dmpass:md5). */
export function labDevices(devicesFile: string | undefined, user: string | undefined, serverCred: string | undefined): DeviceAccount[] {
  const server = serverCred ? credential(serverCred, '--server-cred') : undefined;
  if (devicesFile) {
    const json = readJson(devicesFile, 'accounts table');
    let accounts: DeviceAccount[];
    try {
      accounts = parseDevices(json);
    } catch (e) {
      if (e instanceof DmError) throw new DmError(e.code, e.status, `${devicesFile}: ${e.message}`);
      throw e;
    }
    // --server-cred with --devices: for the accounts without a "server" of their own (it was ignored before).
    if (server) {
      if (server.auth !== 'basic' && server.auth !== 'md5' && server.auth !== 'hmac') {
        throw new UsageError(`--server-cred '${serverCred}': auth must be basic, md5 or hmac`);
      }
      for (const a of accounts) a.server ??= { username: server.username, password: server.password, auth: server.auth };
    }
    return accounts;
  }
  const users = (user ?? 'dmuser:dmpass:md5').split(',').map((u) => credential(u, '--user'));
  return parseDevices(users.map((u) => withDefined({ ...u }, { server })));
}

/**
 * A clock whose pending timers can all be made to fire now, in the order they were due: a screen nobody can
 * answer then ends as its timeout (MAXDT) would end it, by the standard's rules (the server's default response,
 * else 408), at once rather than after a silent wait.
 */
export class ExpiringClock implements Clock {
  private readonly pending = new Map<TimerHandle, { fn: () => void; due: number }>();
  constructor(private readonly base: Clock = systemClock) {}
  now(): number {
    return this.base.now();
  }
  monotonic(): number {
    return this.base.monotonic();
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const h = this.base.setTimeout(() => {
      this.pending.delete(h);
      fn();
    }, ms);
    this.pending.set(h, { fn, due: this.base.monotonic() + ms });
    return h;
  }
  clearTimeout(h: TimerHandle): void {
    this.pending.delete(h);
    this.base.clearTimeout(h);
  }
  /** Fires every pending timer now, the earliest due first. */
  expire(): void {
    const all = [...this.pending].sort((a, b) => a[1].due - b[1].due);
    for (const [h, t] of all) {
      if (!this.pending.has(h)) continue;
      this.clearTimeout(h);
      t.fn();
    }
  }
}

export interface DeviceScreen {
  display: TerminalDisplay;
  /** The agent's UI (AgentOptions.ui): the display's, with timers that a screen nobody can answer expires. */
  ui: UserInteraction;
  /** The misfit of a scripted answer, once one was met (the run stops: nothing was answered). */
  misfit(): string | undefined;
}

/**
 * The screen of `run` and `device`, with its scripted answers. Each interactive screen takes the next answer;
 * one that does not fit it (a pick on a yes/no screen) halts the device before anything is answered. A screen
 * that nobody can answer (no answers left, and no keys: `run`, or a device whose input is not a terminal) is
 * said at once and answered as its timeout would.
 */
export function deviceScreen(
  out: NodeJS.WritableStream,
  answers: string[],
  o: { keys: boolean; log?: Log; halt: () => ((reason: string) => void) | undefined },
): DeviceScreen {
  const clock = new ExpiringClock();
  let misfit: string | undefined;
  const expireSoon = () => {
    clock.setTimeout(() => clock.expire(), 0);
  };
  const onNobodyToAsk = o.keys
    ? undefined
    : () => {
        out.write(
          '  (nobody to answer this screen: no --answers left and no keys; it is answered as its timeout would be: ' +
            "the server's default response, else 408)\n",
        );
        expireSoon();
      };
  const display: TerminalDisplay = new TerminalDisplay(
    out,
    withDefined(
      {
        answers,
        quietProgress: true,
        onMisfit: (message: string) => {
          misfit = message;
          o.halt()?.(`stopped: ${message}`);
          expireSoon();
        },
      },
      { onNobodyToAsk },
    ),
  );
  const ui = new UserInteraction(withDefined({ display, clock }, { log: o.log }));
  return { display, ui, misfit: () => misfit };
}

/** The exit codes of the verbs that run a device (run, device); cli.ts maps errors to the others. */
export const EXIT = { ok: 0, sessionFailed: 1, usage: 2, updateFailed: 3, stateInUse: 4, answers: 5 } as const;

export const EXIT_CODES_TEXT =
  'Exit codes: 0 the session ended well and every SCOMO operation it ran or reported succeeded; ' +
  '1 the session failed (server unreachable, authentication refused …) or another error (a missing file, a --trace file that cannot be written); 2 a usage error; ' +
  '3 the session ended well but an update failed: a SCOMO result other than 12xx (1402, 1405, 1407 …) was sent or is still queued, ' +
  'or a SCOMO job stopped and left its result unreported; 4 the state folder is in use by another process (its lock names it); ' +
  '5 an --answers line does not fit the screen it met (a pick on a yes/no screen, yes on a text input): the run stops there, ' +
  'and nothing more is sent to the server.';

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug', 'trace'] as const;

/** The options of the verbs that run a device (run, device), as each spec takes them. */
export const DEVICE_OPTIONS = {
  device: { type: 'string', value: 'FILE', required: true, description: 'the device description (JSON), e.g. lab/examples/device.json' },
  server: {
    type: 'string',
    value: 'URL',
    defaultText: "the device file's account.serverUri",
    description:
      'the DM server: where the messages go over HTTP (http:// or https://); over MQTT the server it names. Replaces the address stored in --state',
  },
  transport: {
    type: 'choice',
    choices: ['http', 'mqtt'],
    defaultText: "the device file's transport.kind, else http",
    description: 'how the device reaches the server',
  },
  broker: {
    type: 'string',
    value: 'URL',
    check: urlOf(['mqtt', 'mqtts']),
    defaultText: "the device file's transport.mqtt.url",
    description: 'the MQTT broker, with --transport mqtt',
  },
  prefix: {
    type: 'string',
    value: 'P',
    defaultText: "the device file's transport.mqtt.topicPrefix, else none",
    description: 'MQTT topic prefix: the device publishes on P/dm/<DevId>/up (as `serve --prefix P`)',
  },
  state: {
    type: 'string',
    value: 'DIR',
    defaultText: '.dm-state/<DevId>',
    description:
      'where the tree, the alert queue, packages and components persist, so that an alert that could not be sent goes with the next run',
  },
  answers: {
    type: 'string',
    value: 'FILE',
    description:
      'scripted answers, one a line, consumed in order by the screens that ask the user: yes, no, cancel, select, submit, pick:N[,M] or text:VALUE; # starts a comment line. The whole file is checked before anything starts',
  },
  trace: {
    type: 'string',
    value: 'FILE',
    description:
      'appends every message, both directions, as indented XML. A file that cannot be opened for writing is refused before anything starts (exit 1)',
  },
  log: {
    type: 'choice',
    choices: LOG_LEVELS,
    value: 'LEVEL',
    description: `the device's log on stdout from this level up (${LOG_LEVELS.join('|')})`,
  },
} as const satisfies Record<string, OptionSpec>;

export const ENCODING_OPTION = {
  type: 'choice',
  choices: ['xml', 'wbxml'],
  description: 'SyncML encoding of the messages',
} as const satisfies OptionSpec;

/** What an update request is: `run` sends it, `alert` prints it. */
export const REQUEST_OPTIONS = {
  trigger: {
    type: 'choice',
    choices: ['user', 'device'],
    required: true,
    description: 'user: UpdateUserRequest (the button); device: UpdateDeviceRequest (the schedule)',
  },
  component: {
    type: 'string',
    value: 'ID',
    description: 'the component the request names: a Deployed node name, its URI or the component ID',
  },
} as const satisfies Record<string, OptionSpec>;
