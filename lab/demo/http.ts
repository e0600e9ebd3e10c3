// The embedded demo DM server behind a real HTTP endpoint on loopback (POST /dm), for `dm-agent run` tests
// and for trying a device build against something small.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DemoDmServer } from './responder.js';

export async function serveDemoHttp(server: DemoDmServer, port = 0, host = '127.0.0.1'): Promise<{ url: string; close(): Promise<void> }> {
  const http = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST') { res.writeHead(405).end(); return; }
      try {
        const body = new Uint8Array(Buffer.concat(chunks));
        const ct = req.headers['content-type'] ?? 'application/vnd.syncml.dm+xml';
        const reply = server.handle({ uri: req.url ?? '/', body, contentType: ct, sessionId: '', msgId: '' });
        res.writeHead(200, { 'Content-Type': ct }).end(Buffer.from(reply.body));
      } catch (e) {
        // A lab server says why it refused a device's message.
        res.writeHead(400, { 'Content-Type': 'text/plain' }).end(`bad DM message: ${(e as Error).message}\n`);
      }
    });
  });
  await new Promise<void>((r) => http.listen(port, host, r));
  const a = http.address() as AddressInfo;
  return { url: `http://${host}:${a.port}/dm`, close: () => new Promise<void>((r) => { http.closeAllConnections(); http.close(() => r()); }) };
}
