// `dm-agent alert --device FILE --trigger user|device [--component ID] [--wbxml]`: prints the package 1 the
// agent would send for that trigger, without any network: a real Session's first message.
import { readFileSync } from 'node:fs';
import { parseDeviceDescription } from '../../agent/description/parse.js';
import { seedTree } from '../../agent/description/seed.js';
import { readAccount } from '../../agent/tree/dmacc.js';
import { buildUpdateRequest } from '../../agent/scomo/update-request.js';
import { Session } from '../../agent/session/session.js';
import { ExecRegistry } from '../../agent/session/types.js';
import { nodeCrypto } from '../../platform/node/crypto.js';
import { parseArgs, need, oneOf, str } from '../args.js';

export function loadDevice(file: string) {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: not a readable JSON device description (${(e as Error).message})`);
  }
  return parseDeviceDescription(json);
}

export function package1(argv: string[]): Uint8Array {
  const args = parseArgs(argv, { values: ['device', 'trigger', 'component', 'session'], booleans: ['wbxml'] });
  const desc = loadDevice(need(args, 'device'));
  const trigger = oneOf(args, 'trigger', ['user', 'device'] as const);
  const tree = seedTree(desc);
  const alert = { id: 'cli-1', ...buildUpdateRequest(tree, trigger, str(args, 'component')) };
  const session = new Session({
    tree, account: readAccount(tree), devId: desc.devInfo.devId, crypto: nodeCrypto,
    encoding: args.flags.has('wbxml') ? 'wbxml' : 'xml', sessionId: str(args, 'session') ?? '1',
    alerts: [alert], exec: new ExecRegistry(),
  });
  return session.nextMessage()!.body;
}

export function alertCommand(argv: string[], out: NodeJS.WritableStream): number {
  const body = package1(argv);
  out.write(body);
  if (body[0] === 0x3c) out.write('\n');
  return 0;
}
