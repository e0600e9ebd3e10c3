// `dm-agent device`: the agent as a device, with its button and schedule armed and its screen in the terminal.
// Keys may be piped (`printf u | dm-agent device …`): when the input ends, the device finishes what it is doing
// and exits (0 if every session it ran ended well).
import { startNodeDevice } from '../../platform/node/node-device.js';
import { TerminalButton, attachTerminalKeys } from '../../platform/node/terminal-keys.js';
import { StreamLog } from '../../platform/node/log.js';
import { traceToFile } from '../../platform/node/trace.js';
import { defineVerb, parse, serverOption, type Verb } from '../args.js';
import { DEVICE_OPTIONS, EXIT, deployedList, deviceScreen, loadDevice, readAnswers, stateDirFor } from './common.js';

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
  ],
  options: { ...DEVICE_OPTIONS, log: { ...DEVICE_OPTIONS.log, default: 'info' } },
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
  let onNotify: (() => void) | undefined;
  const dev = await startNodeDevice({
    desc,
    stateDir: o.state ?? stateDirFor(desc.devInfo.devId),
    transport,
    display,
    button,
    log,
    agent: { ui: screen.ui },
    ...(server ? { serverUri: server } : {}),
    ...(o.broker ? { brokerUrl: o.broker } : {}),
    ...(o.prefix ? { prefix: o.prefix } : {}),
    ...(trace ? { trace } : {}),
    onNotify: () => onNotify?.(),
  });
  halt = dev.halt;
  const controller = dev.agent.armTriggers();
  // Every session this run starts (button, schedule, notification), for the screen and the exit code.
  const results: boolean[] = [];
  dev.agent.onSessionEnd = (r) => {
    results.push(r.ok);
    out.write(
      `session ${r.ok ? 'ended well' : `failed: ${r.error?.message}`}: ${r.roundTrips} round trips; deployed: ${deployedList(dev.agent.tree)}\n`,
    );
  };
  onNotify = () => {
    out.write('server notification: checking for updates\n');
    void controller.scheduleDue();
  };
  if (dev.mqtt) await dev.mqtt.connect();
  out.write(`device ${desc.devInfo.devId} up (${transport}); deployed: ${deployedList(dev.agent.tree)}\n`);
  out.write('keys: u = update, l = long press (pick a component), q = quit\n');
  const stopped = new Promise<void>((resolve) => {
    quit = resolve;
  });
  const detach = attachTerminalKeys({ input, display, button, longPressMs: desc.button?.longPressMs ?? 2000, onQuit: () => quit() });
  input.once('end', () => {
    // Piped keys: let the last press reach the agent, then wait for the device to be idle.
    const settle = () => setTimeout(() => (controller.busy ? settle() : quit()), 500);
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
