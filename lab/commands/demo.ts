// `npm start` / `dm-agent demo`: the lab DM server, an embedded MQTT broker (aedes) and one simulated device in
// one process.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCatalog } from '../server/catalog.js';
import { startLab } from '../server/lab.js';
import { restartNodeDevice, startNodeDevice, type NodeDeviceOptions } from '../../platform/node/node-device.js';
import { TerminalDisplay } from '../../platform/node/terminal-display.js';
import { TerminalButton, attachTerminalKeys } from '../../platform/node/terminal-keys.js';
import { StreamLog } from '../../platform/node/log.js';
import { traceToFile } from '../../platform/node/trace.js';
import { defineVerb, parse, UsageError, type Verb } from '../args.js';
import type { DeviceDescription } from '../../agent/description/description.js';
import type { Log } from '../../agent/ports.js';
import { withDefined } from '../../agent/util/options.js';
import { LabConsole } from '../console/console.js';
import { startConsoleDevice } from '../console/sim-device.js';
import { DEVICE_OPTIONS, ENCODING_OPTION, deployedList, exampleFile, labDevices, loadDevice, readAnswers } from './common.js';

export const demoSpec = defineVerb({
  name: 'demo',
  summary: 'lab server + embedded MQTT broker + one simulated device (npm start)',
  description: [
    'What `npm start` runs: the lab server, an embedded MQTT broker (aedes) and one simulated device in one process. ' +
      'The device boots with Weather 1.0, the user presses "update" for it, the server reads the inventory and asks for ' +
      "consent on the device's screen, the package downloads with a progress bar, installs, and the follow-up session " +
      'reports the result; the inventory then shows Weather 2.0; exit 0.',
    'With --firmware the device has A/B firmware slots and the catalog lab/examples/catalog-firmware.json: after the ' +
      'component update the user checks the whole device, picks "All of them" (the sensor driver and firmware 1.1.0), ' +
      'the firmware downloads, the device restarts into it, confirms it after its first good session and reports 200.',
    'With --console and --firmware, the device in the page has firmware slots and the catalog offers firmware: a press ' +
      'of its button checks the whole device; once the user says yes in the page, the firmware downloads, the device ' +
      "restarts into it, and the device's page shows the firmware result.",
    'Without a TTY (or with --answers) it answers by itself ("yes" unless --answers says otherwise); in a terminal the ' +
      'user presses u and answers with keys.',
  ],
  options: {
    device: {
      ...DEVICE_OPTIONS.device,
      required: false,
      defaultText: 'lab/examples/device.json',
      description: 'the device description (JSON)',
    },
    transport: { type: 'choice', choices: ['mqtt', 'http'], default: 'mqtt', description: 'how the device reaches the server' },
    encoding: { ...ENCODING_OPTION, default: 'xml' },
    component: { type: 'string', value: 'ID', default: 'app1', description: 'the component the user asks to update' },
    answers: DEVICE_OPTIONS.answers,
    trace: DEVICE_OPTIONS.trace,
    quiet: { type: 'boolean', description: "without the server's log" },
    console: {
      type: 'boolean',
      description:
        "the lab console on --http: the device's screen drawn in the page, its button and screens answered there; runs until Ctrl-C",
    },
    http: {
      type: 'int',
      value: 'PORT',
      default: 8080,
      max: 65535,
      description: "with --console: the lab server's HTTP port (0: any free one)",
    },
    firmware: { type: 'boolean', description: 'then a firmware update (FUMO) with its restart' },
    strict: {
      type: 'boolean',
      description:
        "the lab server's strict mode, as serve --strict: a SyncML DS media type gets 415, a deviation in a session ends it (Alert 1223)",
    },
  },
});

/** `stop`: with --console, ends the demo as Ctrl-C does (a test's way to end it). */
export async function demoCommand(argv: string[], out: NodeJS.WritableStream, stop?: Promise<void>): Promise<number> {
  const { options: o, given } = parse(demoSpec, argv);
  const desc = loadDevice(o.device ?? exampleFile('device.json'));
  if (o.console) return demoConsole(o, desc, out, stop);
  if (given.has('http')) throw new UsageError('--http applies to --console only');
  const { encoding, transport, quiet } = o;
  const interactive = process.stdin.isTTY === true && out === process.stdout && !o.answers;
  const answers = o.answers ? readAnswers(o.answers) : interactive ? [] : o.firmware ? ['yes', 'pick:3'] : ['yes'];
  // Opened before anything starts: a trace that cannot be written fails here.
  const trace = o.trace ? traceToFile(o.trace) : undefined;
  const say = (s: string) => out.write(`${s}\n`);

  const serverLog: Log | undefined = quiet
    ? undefined
    : {
        log: (level, m) => {
          if (level !== 'debug' && level !== 'trace') say(`  [server] ${m}`);
        },
      };
  const lab = await startLab(
    withDefined(
      {
        catalog: loadCatalog(exampleFile(o.firmware ? 'catalog-firmware.json' : 'catalog.json')),
        mqtt: 'embedded',
        devices: labDevices(undefined, `${desc.account.auth.username}:${desc.account.auth.password}:${desc.account.auth.type}`, undefined),
      },
      { strict: o.strict ? true : undefined, log: serverLog },
    ),
  );
  desc.account.serverUri = lab.dmUrl;
  const stateDir = mkdtempSync(join(tmpdir(), 'dm-demo-'));
  const display = new TerminalDisplay(out, { answers, quietProgress: true });
  const button = new TerminalButton();
  const devOptions: NodeDeviceOptions = withDefined(
    {
      desc,
      stateDir,
      transport,
      brokerUrl: lab.brokerUrl!,
      display,
      button,
      log: new StreamLog(out, 'warn', '[device] '),
      agent: { encoding },
    },
    { trace, firmware: o.firmware ? true : undefined },
  );
  let dev = await startNodeDevice(devOptions);
  let detach: (() => void) | undefined;
  try {
    const { component } = o;
    say(
      `Lab DM server at ${lab.dmUrl}, MQTT broker at ${lab.brokerUrl}; the device talks ${transport.toUpperCase()} in ${encoding.toUpperCase()}.`,
    );
    say(`Device ${desc.devInfo.devId} booted; deployed: ${deployedList(dev.agent.tree)}`);
    if (interactive) {
      detach = attachTerminalKeys({
        input: process.stdin,
        display,
        button,
        longPressMs: desc.button?.longPressMs ?? 2000,
        onQuit: () => process.exit(130),
      });
      say(`Press u to ask for an update of ${component} (the screen's keys: y/n, arrows, Enter, Esc; q quits).`);
      await new Promise<void>((resolve) =>
        button.onEdge((pressed) => {
          if (!pressed) resolve();
        }),
      );
    }
    say(`The user presses "update" for ${component}.`);
    dev.agent.requestUpdate('user', component);
    const r = await dev.agent.runSession();
    say(
      `Session ${r.ok ? 'ended well' : `failed: ${r.error?.message}`}: ${r.sessions} session(s), ${r.roundTrips} round trips, ` +
        `${r.bytesSent} bytes sent, ${r.bytesReceived} bytes received (${transport}, ${encoding}).`,
    );
    say(`Inventory now: ${deployedList(dev.agent.tree)}`);
    const outcomes = lab.server.outcomes();
    say(
      `Server recorded: ${outcomes.map((rec) => `${rec.deployment ? `${rec.deployment.componentId} ${rec.deployment.version}` : (rec.target ?? '?')} → result ${rec.resultCode}`).join('; ') || 'no operation'}`,
    );
    if (!o.firmware) return r.ok ? 0 : 1;
    say(`Firmware ${dev.agent.fumo?.started.version}. The user presses "update" for the whole device.`);
    dev.agent.requestUpdate('user');
    let f = await dev.agent.runSession();
    if (dev.agent.fumo?.restarted) {
      say('The device restarts into the new firmware.');
      const next = await restartNodeDevice(dev, devOptions);
      dev = next.device;
      say(`Firmware ${dev.agent.fumo?.started.version} started on trial; its first good session confirmed it, the next reported.`);
      if (next.report) f = next.report;
    }
    const running = dev.firmware?.boot();
    say(
      `Firmware now ${running?.version}${running?.trial ? ' (not confirmed)' : ' (confirmed)'}; inventory: ${deployedList(dev.agent.tree)}`,
    );
    say(
      `Server recorded: ${lab.server
        .outcomes()
        .map(
          (rec) =>
            `${rec.deployment ? `${rec.deployment.componentId} ${rec.deployment.version}` : (rec.source ?? '?')} → result ${rec.resultCode}`,
        )
        .join('; ')}`,
    );
    return r.ok && f.ok ? 0 : 1;
  } finally {
    detach?.();
    await dev.close();
    await lab.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

/**
 * demo --console: the lab (with its console on --http) and the device, whose screen and button are the
 * console's; nothing is answered by itself: the user presses the button and answers in the page.
 */
async function demoConsole(
  o: { transport: 'mqtt' | 'http'; encoding: 'xml' | 'wbxml'; quiet: boolean; http: number; firmware: boolean; strict: boolean },
  desc: DeviceDescription,
  out: NodeJS.WritableStream,
  stop?: Promise<void>,
): Promise<number> {
  const say = (s: string) => out.write(`${s}\n`);
  const bench = new LabConsole();
  await bench.prepare();
  const catalog = loadCatalog(exampleFile(o.firmware ? 'catalog-firmware.json' : 'catalog.json'));
  const serverLog: Log | undefined = o.quiet
    ? undefined
    : { log: (level, m) => (level === 'debug' || level === 'trace' ? undefined : say(`  [server] ${m}`)) };
  const lab = await startLab(
    withDefined(
      {
        catalog,
        mqtt: 'embedded',
        port: o.http,
        devices: labDevices(undefined, `${desc.account.auth.username}:${desc.account.auth.password}:${desc.account.auth.type}`, undefined),
        console: bench.hooks(),
      },
      { strict: o.strict ? true : undefined, log: serverLog },
    ),
  );
  bench.attach(lab, catalog);
  desc.account.serverUri = lab.dmUrl;
  const stateDir = mkdtempSync(join(tmpdir(), 'dm-demo-'));
  const dev = await startConsoleDevice(
    bench,
    withDefined(
      { desc, stateDir, transport: o.transport, encoding: o.encoding, log: new StreamLog(out, 'warn', '[device] ') },
      { brokerUrl: lab.brokerUrl || undefined, firmware: o.firmware ? true : undefined },
    ),
  );
  try {
    say(`Lab console at ${bench.url()} (DM server ${lab.dmUrl}, MQTT broker ${lab.brokerUrl}).`);
    say(`Device ${desc.devInfo.devId} booted; deployed: ${deployedList(dev.agent.tree)}. Press its button in the page; Ctrl-C stops.`);
    let off = () => {};
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
      off = () => {
        process.off('SIGINT', resolve);
        process.off('SIGTERM', resolve);
      };
      void stop?.then(resolve);
    });
    off();
    return 0;
  } finally {
    await dev.close();
    bench.close();
    await lab.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

export const demoVerb: Verb = { spec: demoSpec, run: (argv, out) => demoCommand(argv, out) };
