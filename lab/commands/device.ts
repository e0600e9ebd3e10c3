// `dm-agent device`: the agent as a device, with its button and schedule armed and its screen in the terminal.
// Keys may be piped (`printf u | dm-agent device …`): when the input ends, the device finishes what it is doing
// and exits (0 if every session it ran ended well).
import type { Button } from '../../agent/ports.js';
import { startNodeDevice, type NodeDevice, type NodeDeviceOptions } from '../../platform/node/node-device.js';
import { TerminalButton, attachTerminalKeys } from '../../platform/node/terminal-keys.js';
import { StreamLog } from '../../platform/node/log.js';
import { traceToFile } from '../../platform/node/trace.js';
import { defineVerb, parse, serverOption, type Verb } from '../args.js';
import { DEVICE_OPTIONS, EXIT, deployedList, deviceScreen, loadDevice, readAnswers, stateDirFor } from './common.js';
import { withDefined } from '../../agent/util/options.js';

export const deviceSpec = defineVerb({
  name: 'device',
  summary: 'run the agent as a device: button and schedule armed, screen in the terminal',
  description: [
    'The 240×320 screen is drawn in the terminal. Keys: u the update button (short press: check everything), l a long ' +
      'press (pick a component on the screen), q quit; a screen that waits takes y/n, arrows, PgUp/PgDn, Enter, Esc and ' +
      'typed text. Over MQTT a message on …/notify starts a check.',
    'Keys may be piped (`printf u | dm-agent device …`): when the input ends the device finishes its work and exits, ' +
      '0 if every session it ran ended well.',
    'Exit codes: 0 every session ended well; 1 one failed, or another error; 2 a usage error; 4 the state folder is in use ' +
      'by another process; 5 an --answers line did not fit the screen it met (the device stops there, and sends nothing more).',
    'With --firmware the device has A/B firmware slots (in the state folder): a firmware update restarts it, and the ' +
      'new firmware runs its first session at once (the one that confirms it).',
  ],
  options: {
    ...DEVICE_OPTIONS,
    log: { ...DEVICE_OPTIONS.log, default: 'info' },
    firmware: { type: 'boolean', description: 'A/B firmware slots: the device takes firmware updates (FUMO) and restarts' },
  },
});

export async function deviceCommand(argv: string[], out: NodeJS.WritableStream, input: NodeJS.ReadStream = process.stdin): Promise<number> {
  const { options: o } = parse(deviceSpec, argv);
  const desc = loadDevice(o.device);
  const transport = o.transport ?? desc.transport?.kind ?? 'http';
  const server = serverOption(o.server, transport);
  const answers = readAnswers(o.answers);
  // Opened before the device starts: a trace that cannot be written fails here, with nothing queued or sent.
  const trace = o.trace ? traceToFile(o.trace) : undefined;
  const log = new StreamLog(out, o.log);
  let quit!: () => void;
  let halt: ((reason: string) => void) | undefined;
  // An answer that does not fit its screen stops the device: nothing more goes to the server.
  const screen = deviceScreen(out, answers, {
    keys: true,
    log,
    halt: () => (reason) => {
      halt?.(reason);
      quit();
    },
  });
  const display = screen.display;
  const button = new TerminalButton();
  // Each start of the device gets its own button: after a restart the old agent hears no more presses.
  let pressed: ((down: boolean, at: number) => void) | undefined;
  button.onEdge((down, at) => pressed?.(down, at));
  const freshButton = (): Button => ({
    onEdge: (l) => {
      pressed = l;
    },
  });
  let onNotify: (() => void) | undefined;
  const devOptions: Omit<NodeDeviceOptions, 'button'> = withDefined(
    {
      desc,
      stateDir: o.state ?? stateDirFor(desc.devInfo.devId),
      transport,
      display,
      log,
      agent: { ui: screen.ui },
      onNotify: () => onNotify?.(),
    },
    {
      firmware: o.firmware ? true : undefined,
      serverUri: server || undefined,
      brokerUrl: o.broker || undefined,
      prefix: o.prefix || undefined,
      trace,
    },
  );
  // Every session this run starts (button, schedule, notification), for the screen and the exit code.
  const results: boolean[] = [];
  let dev!: NodeDevice;
  let controller!: ReturnType<NodeDevice['agent']['armTriggers']>;
  let restarting: Promise<void> | undefined;
  const up = async () => {
    dev = await startNodeDevice({ ...devOptions, button: freshButton() });
    halt = dev.halt;
    controller = dev.agent.armTriggers();
    dev.agent.onSessionEnd = (r) => {
      results.push(r.ok);
      out.write(
        `session ${r.ok ? 'ended well' : `failed: ${r.error?.message}`}: ${r.roundTrips} round trips; deployed: ${deployedList(dev.agent.tree)}\n`,
      );
      // A firmware switch: the device restarts into it, as a power-on would, and that firmware checks in at once.
      if (dev.agent.fumo?.restarted) restarting = restart();
    };
    if (dev.mqtt) await dev.mqtt.connect();
    // A trial firmware checks in at once: that session confirms it (or a returned one reports its failure).
    if (dev.agent.fumo?.inTrial || (o.firmware && dev.agent.queue.pending().length > 0)) await dev.agent.runSession().catch(() => false);
  };
  const restart = async () => {
    out.write('restarting into the new firmware\n');
    await dev.close();
    await up();
    out.write(`firmware ${dev.firmware?.boot().version} started${dev.firmware?.boot().trial ? ' on trial' : ''}\n`);
  };
  await up();
  onNotify = () => {
    out.write('server notification: checking for updates\n');
    void controller.scheduleDue();
  };
  out.write(`device ${desc.devInfo.devId} up (${transport}); deployed: ${deployedList(dev.agent.tree)}\n`);
  out.write('keys: u = update, l = long press (pick a component), q = quit\n');
  const stopped = new Promise<void>((resolve) => {
    quit = resolve;
  });
  const detach = attachTerminalKeys({ input, display, button, longPressMs: desc.button?.longPressMs ?? 2000, onQuit: () => quit() });
  input.once('end', () => {
    // Piped keys: let the last press reach the agent, then wait for the device to be idle.
    const settle = () =>
      setTimeout(() => {
        const r = restarting;
        restarting = undefined;
        if (r) void r.then(settle);
        else if (controller.busy) settle();
        else quit();
      }, 500);
    settle();
  });
  process.once('SIGINT', () => quit());
  await stopped;
  detach();
  await dev.close();
  if (screen.misfit()) return EXIT.answers;
  return results.every(Boolean) ? 0 : 1;
}

export const deviceVerb: Verb = { spec: deviceSpec, run: deviceCommand };
