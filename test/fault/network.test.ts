// Network faults under a whole agent over real HTTP on loopback: each ends in a retry with back-off, or in a
// clean session failure with the alert kept for the next session. (The MQTT broker restarting mid-session is
// in test/platform/node/mqtt-transport.test.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DmAgent } from '../../agent/agent.js';
import { parseDeviceDescription } from '../../agent/description/parse.js';
import { nodeCrypto } from '../../platform/node/crypto.js';
import { HttpTransport } from '../../platform/node/http-transport.js';
import { MemoryStorage } from '../helpers/memory-storage.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { freePort } from '../helpers/brokers.js';
import { repoRoot } from '../helpers/peers.js';
import { makeServer } from '../lab/server/fixtures.js';

type Fault = 'refuse' | 'reset-mid-message' | 'never-answers' | 'http-500' | 'http-503-once';

/** The lab server behind an HTTP front that misbehaves as told. */
async function faultyServer(fault: Exclude<Fault, 'refuse'>) {
  const { server } = makeServer();
  let requests = 0;
  const http = createServer((req: IncomingMessage, res: ServerResponse) => {
    requests++;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      if (fault === 'never-answers') return;
      if (fault === 'http-500') {
        res.writeHead(500).end('boom');
        return;
      }
      if (fault === 'http-503-once' && requests === 1) {
        res.writeHead(503).end();
        return;
      }
      const r = await server.handle(new Uint8Array(Buffer.concat(chunks)), {
        uri: 'http://x/dm',
        contentType: String(req.headers['content-type']),
      });
      if (!r) {
        res.writeHead(500).end();
        return;
      }
      if (fault === 'reset-mid-message') {
        res.writeHead(200, { 'Content-Type': r.contentType, 'Content-Length': r.body.length });
        res.write(Buffer.from(r.body.subarray(0, 20)), () => res.socket?.destroy());
        return;
      }
      res.writeHead(r.status ?? 200, { 'Content-Type': r.contentType }).end(Buffer.from(r.body));
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/dm`,
    requests: () => requests,
    close: () =>
      new Promise<void>((r) => {
        http.closeAllConnections();
        http.close(() => r());
      }),
  };
}

async function agentAgainst(url: string) {
  const json = JSON.parse(readFileSync(join(repoRoot, 'lab/examples/device.json'), 'utf8'));
  json.account.serverUri = url;
  const sleeps: number[] = [];
  const transport = new HttpTransport({
    timeoutMs: 400,
    connectTimeoutMs: 400,
    retries: 2,
    retryDelayMs: 50,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  });
  const agent = await DmAgent.boot(parseDeviceDescription(json), {
    storage: new MemoryStorage(),
    clock: new FakeClock(),
    crypto: nodeCrypto,
    transport,
  });
  agent.requestUpdate('device');
  return { agent, sleeps };
}

const expectations: Record<Fault, { ok: boolean; sleeps: number[]; kind: RegExp }> = {
  refuse: { ok: false, sleeps: [50, 100], kind: /ECONNREFUSED/ },
  'reset-mid-message': { ok: false, sleeps: [], kind: /cut|reset|aborted/ },
  'never-answers': { ok: false, sleeps: [50, 100], kind: /timeout|no reply/ },
  'http-500': { ok: false, sleeps: [], kind: /HTTP 500/ },
  'http-503-once': { ok: true, sleeps: [50], kind: /./ },
};

for (const fault of Object.keys(expectations) as Fault[]) {
  test(`network fault "${fault}": ${expectations[fault].ok ? 'a retry after back-off succeeds' : 'a clean failure, the alert kept'}`, async () => {
    const e = expectations[fault];
    const srv = fault === 'refuse' ? undefined : await faultyServer(fault);
    const url = srv?.url ?? `http://127.0.0.1:${await freePort()}/dm`;
    try {
      const { agent, sleeps } = await agentAgainst(url);
      const r = await agent.runSession();
      assert.equal(r.ok, e.ok, JSON.stringify(r.error));
      assert.deepEqual(sleeps, e.sleeps, 'the back-off doubles, and only failures before any response are retried');
      if (!e.ok) {
        assert.equal(r.error?.code, 'DM_ERR_TRANSPORT');
        assert.match(r.error?.message ?? '', e.kind);
        assert.equal(agent.queue.pending().length, 1, 'the update request waits for the next session');
      } else assert.equal(agent.queue.pending().length, 0);
    } finally {
      await srv?.close();
    }
  });
}
