// `dm-agent alert`: the package 1 the agent would send for a trigger, without any network: a real Session's
// first message.
import { seedTree } from '../../agent/description/seed.js';
import { readAccount } from '../../agent/tree/dmacc.js';
import { buildUpdateRequest } from '../../agent/scomo/update-request.js';
import { Session } from '../../agent/session/session.js';
import { ExecRegistry } from '../../agent/session/types.js';
import { nodeCrypto } from '../../platform/node/crypto.js';
import { defineVerb, parse, type Verb } from '../args.js';
import { DEVICE_OPTIONS, loadDevice, REQUEST_OPTIONS } from './common.js';

export const alertSpec = defineVerb({
  name: 'alert',
  summary: 'print the package 1 the agent would send (no network)',
  description: ['An unknown --component is an error (exit 1) and nothing is printed.'],
  options: {
    device: DEVICE_OPTIONS.device,
    ...REQUEST_OPTIONS,
    wbxml: { type: 'boolean', description: 'WBXML instead of XML' },
    session: { type: 'string', value: 'ID', default: '1', description: 'the SessionID of the message' },
  },
});

export function package1(argv: string[]): Uint8Array {
  const { options: o } = parse(alertSpec, argv);
  const desc = loadDevice(o.device);
  const tree = seedTree(desc);
  const alert = { id: 'cli-1', ...buildUpdateRequest(tree, o.trigger, o.component) };
  const session = new Session({
    tree,
    account: readAccount(tree),
    devId: desc.devInfo.devId,
    crypto: nodeCrypto,
    encoding: o.wbxml ? 'wbxml' : 'xml',
    sessionId: o.session,
    alerts: [alert],
    exec: new ExecRegistry(),
  });
  return session.nextMessage()!.body;
}

export function alertCommand(argv: string[], out: NodeJS.WritableStream): number {
  const body = package1(argv);
  out.write(body);
  if (body[0] === 0x3c) out.write('\n');
  return 0;
}

export const alertVerb: Verb = { spec: alertSpec, run: alertCommand };
