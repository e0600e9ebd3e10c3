// `npm start` / `dm-agent demo [--transport mqtt|http] [--encoding xml|wbxml] [--component ID] [--answers FILE]
//  [--trace FILE] [--quiet]`: the lab DM server, an embedded MQTT broker (aedes) and one simulated device in one
// process. The device boots with Weather 1.0, the user presses "update" for it, the server reads the
// inventory and asks for consent on the device's screen, the package downloads with a progress bar, installs,
// and the follow-up session reports the result; the inventory then shows the new version. Scripted answers
// ('yes' unless --answers) make it finish on its own; in a terminal without --answers the user answers with keys.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listDeployed } from '../../agent/scomo/subtree.js';
import { loadCatalog } from '../server/catalog.js';
import { startLab } from '../server/lab.js';
import { startNodeDevice } from '../../platform/node/node-device.js';
import { TerminalDisplay, parseAnswers } from '../../platform/node/terminal-display.js';
import { TerminalButton, attachTerminalKeys } from '../../platform/node/terminal-keys.js';
import { StreamLog } from '../../platform/node/log.js';
import { traceToFile } from '../../platform/node/trace.js';
import { parseArgs, str, oneOf } from '../args.js';
import { loadDevice } from './alert.js';
import { labDevices } from './serve.js';

const here = dirname(fileURLToPath(import.meta.url));

export async function demoCommand(argv: string[], out: NodeJS.WritableStream): Promise<number> {
  const args = parseArgs(argv, { values: ['device', 'answers', 'encoding', 'component', 'transport', 'trace'], booleans: ['quiet'] });
  const desc = loadDevice(str(args, 'device') ?? join(here, '../examples/device.json'));
  const encoding = oneOf(args, 'encoding', ['xml', 'wbxml'] as const, 'xml');
  const transport = oneOf(args, 'transport', ['mqtt', 'http'] as const, 'mqtt');
  const interactive = process.stdin.isTTY === true && out === process.stdout && !str(args, 'answers');
  const answers = str(args, 'answers') ? parseAnswers(readFileSync(str(args, 'answers')!, 'utf8')) : interactive ? [] : ['yes'];
  const quiet = args.flags.has('quiet');
  const say = (s: string) => out.write(s + '\n');

  const lab = await startLab({
    catalog: loadCatalog(join(here, '../examples/catalog.json')), mqtt: 'embedded',
    devices: labDevices(undefined, `${desc.account.auth.username}:${desc.account.auth.password}:${desc.account.auth.type}`, undefined),
    ...(quiet ? {} : { log: { log: (level, m) => { if (level !== 'debug' && level !== 'trace') say(`  [server] ${m}`); } } }),
  });
  desc.account.serverUri = lab.dmUrl;
  const stateDir = mkdtempSync(join(tmpdir(), 'dm-demo-'));
  const display = new TerminalDisplay(out, { answers, quietProgress: true });
  const button = new TerminalButton();
  const dev = await startNodeDevice({
    desc, stateDir, transport, brokerUrl: lab.brokerUrl!, display, button, log: new StreamLog(out, 'warn', '[device] '),
    ...(str(args, 'trace') ? { trace: traceToFile(str(args, 'trace')!) } : {}), agent: { encoding },
  });
  let detach: (() => void) | undefined;
  try {
    const component = str(args, 'component') ?? 'app1';
    say(`Lab DM server at ${lab.dmUrl}, MQTT broker at ${lab.brokerUrl}; the device talks ${transport.toUpperCase()} in ${encoding.toUpperCase()}.`);
    say(`Device ${desc.devInfo.devId} booted; deployed: ${listDeployed(dev.agent.tree).map((c) => `${c.name} ${c.version}`).join(', ')}`);
    if (interactive) {
      detach = attachTerminalKeys({ input: process.stdin, display, button, longPressMs: desc.button?.longPressMs ?? 2000, onQuit: () => process.exit(130) });
      say(`Press u to ask for an update of ${component} (the screen's keys: y/n, arrows, Enter, Esc; q quits).`);
      await new Promise<void>((resolve) => button.onEdge((pressed) => { if (!pressed) resolve(); }));
    }
    say(`The user presses "update" for ${component}.`);
    dev.agent.requestUpdate('user', component);
    const r = await dev.agent.runSession();
    const deployed = listDeployed(dev.agent.tree);
    say(`Session ${r.ok ? 'ended well' : `failed: ${r.error?.message}`}: ${r.sessions} session(s), ${r.roundTrips} round trips, ` +
      `${r.bytesSent} bytes sent, ${r.bytesReceived} bytes received (${transport}, ${encoding}).`);
    say(`Inventory now: ${deployed.map((c) => `${c.name} ${c.version}`).join(', ')}`);
    const outcomes = lab.server.outcomes();
    say(`Server recorded: ${outcomes.map((o) => `${o.deployment ? `${o.deployment.componentId} ${o.deployment.version}` : o.target ?? '?'} → result ${o.resultCode}`).join('; ') || 'no operation'}`);
    return r.ok ? 0 : 1;
  } finally {
    detach?.();
    await dev.close();
    await lab.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
}
