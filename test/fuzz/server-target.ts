// The lab server under mutated device packages: a device in development sends broken messages, and the lab
// server must answer each with a reply it can read or an HTTP refusal, never throw or hang. Sessions of the
// real agent against the lab server are recorded once (scripts); a case replays one script against a fresh
// server, one of its messages mutated. The server draws its nonces and Correlators from a seeded source,
// so that a replay meets the same server as the recording: the messages after the mutated one then reach
// the code behind authentication and the SCOMO dialogue, or the refusals a broken exchange leads to.
import { DmAgent } from '../../agent/agent.js';
import type { Crypto, Transport } from '../../agent/ports.js';
import { decodeMessage } from '../../agent/syncml/codec.js';
import { MIME_WBXML, MIME_XML } from '../../agent/syncml/model.js';
import { nodeCrypto } from '../../platform/node/crypto.js';
import { LabDmServer } from '../../lab/server/dm-server.js';
import type { AuthType } from '../../lab/server/auth.js';
import { loadDevice } from '../../lab/commands/common.js';
import { MemoryStorage } from '../helpers/memory-storage.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { repoRoot } from '../helpers/peers.js';
import { catalogHardware, DEV_ID, exampleCatalog, PKG_BASE, SERVER_URI } from '../lab/server/fixtures.js';
import { prng } from './mutate.js';
import { CASE_BUDGET_MS, Finding, settleWithin } from './targets.js';
import { join } from 'node:path';

/** The device messages of one recorded session (with their x-syncml-hmac headers), and the account it ran with. */
export interface ServerScript {
  auth: Extract<AuthType, 'md5' | 'hmac' | 'none'>;
  messages: Uint8Array[];
  /** The header each message came with (HMAC accounts); a mutated message keeps its own, now wrong. */
  hmacs: (string | undefined)[];
}

const DEVICE = () => loadDevice(join(repoRoot, 'lab/examples/device.json'));
const catalog = exampleCatalog();

/** The node crypto, its random bytes drawn from `seed`: a server made with it draws the same nonces each time. */
function seededCrypto(seed: number): Crypto {
  const rnd = prng(seed);
  return { ...nodeCrypto, randomBytes: (n: number) => Uint8Array.from({ length: n }, () => Math.floor(rnd() * 256)) };
}

function labServer(auth: ServerScript['auth']): LabDmServer {
  return new LabDmServer({
    // Without credentials the device sends no name: its account is found by its DevId.
    catalog,
    devices: [{ username: 'dmuser', password: 'dmpass', auth, ...(auth === 'none' ? { devId: DEV_ID } : {}) }],
    serverId: 'labserver',
    serverUri: SERVER_URI,
    packageBaseUrl: PKG_BASE,
    crypto: seededCrypto(1),
  });
}

/**
 * Sessions of the agent against the lab server: a user check that confirms and installs (UI alerts), and a
 * device check; with an MD5 account, an HMAC one and one without credentials, in XML and in WBXML. A script holds the
 * update's session and the session that reports its result: the second uses the nonce the first gave.
 */
export async function recordScripts(): Promise<ServerScript[]> {
  const scripts: ServerScript[] = [];
  for (const auth of ['md5', 'hmac', 'none'] as const) {
    for (const encoding of ['xml', 'wbxml'] as const) {
      for (const trigger of ['user', 'device'] as const) {
        const desc = DEVICE();
        desc.account.auth.type = auth;
        const server = labServer(auth);
        const script: ServerScript = { auth, messages: [], hmacs: [] };
        const transport: Transport = {
          exchange: async (out) => {
            script.messages.push(out.body);
            script.hmacs.push(out.hmac);
            const r = await server.handle(out.body, {
              uri: out.uri,
              contentType: out.contentType,
              ...(out.hmac ? { hmac: out.hmac } : {}),
            });
            if (!r || (r.status ?? 200) !== 200) throw new Error(`recording: the lab server answered ${r?.status ?? 'nothing'}`);
            return { body: r.body, contentType: r.contentType, ...(r.hmac ? { hmac: r.hmac } : {}) };
          },
        };
        const { downloader, installer } = catalogHardware(desc.components.map((c) => ({ id: c.id, name: c.name, version: c.version })));
        const agent = await DmAgent.boot(
          desc,
          { storage: new MemoryStorage(), clock: new FakeClock(), crypto: nodeCrypto, transport, downloader, installer },
          {
            encoding,
            ui: { answer: async (a) => ({ status: 200, items: a.data === '1103' || a.data === '1104' ? [{ data: '1' }] : [] }) },
          },
        );
        agent.requestUpdate(trigger);
        const report = await agent.runSession();
        if (!report.ok) throw new Error(`recording ${auth}/${encoding}/${trigger}: the session failed: ${report.error?.message}`);
        scripts.push(script);
      }
    }
  }
  return scripts;
}

/**
 * Replays `script` against a fresh lab server with its message `at` replaced by `input`. Throws a Finding
 * when the server throws, does not answer within the case budget, or answers 200 with a body that does not
 * read as a SyncML message in the encoding its Content-Type names. XML replies go to `sent` (for the DTD).
 * Returns a signature: per message, the HTTP status and the server's SyncHdr status and commands.
 */
export async function serverTarget(script: ServerScript, at: number, input: Uint8Array, sent?: Uint8Array[]): Promise<string> {
  const server = labServer(script.auth);
  const steps: string[] = [];
  for (let k = 0; k < script.messages.length; k++) {
    const body = k === at ? input : script.messages[k]!;
    const hmac = script.hmacs[k];
    let r;
    try {
      r = await settleWithin(server.handle(body, { uri: SERVER_URI, ...(hmac ? { hmac } : {}) }), CASE_BUDGET_MS, 'LabDmServer.handle');
    } catch (e) {
      if (e instanceof Finding) throw e;
      throw new Finding(`LabDmServer.handle threw: ${e instanceof Error ? `${e.name}: ${e.message}\n${e.stack}` : String(e)}`);
    }
    if (!r) {
      steps.push('dropped');
      continue;
    }
    const status = r.status ?? 200;
    if (status !== 200) {
      steps.push(String(status));
      continue;
    }
    if (r.contentType !== MIME_XML && r.contentType !== MIME_WBXML) throw new Finding(`a 200 reply with Content-Type ${r.contentType}`);
    let reply;
    try {
      reply = decodeMessage(r.body);
    } catch (e) {
      throw new Finding(`the lab server sent a reply it cannot read: ${e instanceof Error ? e.message : String(e)}`);
    }
    if ((r.body[0] === 0x3c) !== (r.contentType === MIME_XML))
      throw new Finding(`a reply whose body is not the ${r.contentType} its Content-Type names`);
    if (r.contentType === MIME_XML) sent?.push(r.body);
    const hdr = reply.body.find((c) => c.kind === 'Status' && c.cmdRef === '0');
    steps.push(
      `${hdr && 'data' in hdr ? hdr.data : '-'}:${[...new Set(reply.body.filter((c) => c.kind !== 'Status').map((c) => c.kind))].sort().join(',')}`,
    );
  }
  return steps.join('>');
}

/** A server finding as a file: the script as it ran, the mutated message in its place, so that a replay is the case. */
export function writeServerCase(script: ServerScript, at: number, input: Uint8Array): string {
  const messages = script.messages.map((m, k) => Buffer.from(k === at ? input : m).toString('base64'));
  return `${JSON.stringify({ auth: script.auth, messages, hmacs: script.hmacs })}\n`;
}

export function readServerCase(text: string): ServerScript {
  const j = JSON.parse(text) as { auth: ServerScript['auth']; messages: string[]; hmacs?: (string | null)[] };
  return {
    auth: j.auth,
    messages: j.messages.map((m) => new Uint8Array(Buffer.from(m, 'base64'))),
    hmacs: (j.hmacs ?? []).map((h) => h ?? undefined),
  };
}
