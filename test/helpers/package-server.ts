// A package server for the downloader tests: honours Range with the lab server's parser, and can cut a
// transfer at a byte, ignore Range, or answer with a bare status.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseRange } from '../../lab/server/http.js';
import { withDefined } from '../../agent/util/options.js';

export const FILE = new Uint8Array(Array.from({ length: 50_000 }, (_, i) => (i * 31 + 7) & 0xff));

/** A package server that honours Range (the lab server's parser), can cut a transfer, or ignore Range. */
export async function packageServer(o: { cutAt?: number; ignoreRange?: boolean; status?: number } = {}) {
  const seen: (string | undefined)[] = [];
  let connections = 0;
  let cut = o.cutAt;
  const server: Server = createServer((req, res) => {
    seen.push(req.headers.range);
    if (o.status) {
      res.writeHead(o.status).end();
      return;
    }
    const r = o.ignoreRange ? undefined : parseRange(req.headers.range, FILE.length);
    if (r === 'unsatisfiable') {
      res.writeHead(416, { 'Content-Range': `bytes */${FILE.length}` }).end();
      return;
    }
    const start = r?.start ?? 0;
    const end = r?.end ?? FILE.length - 1;
    res.writeHead(
      r ? 206 : 200,
      withDefined({ 'Content-Length': end - start + 1 }, { 'Content-Range': r ? `bytes ${start}-${end}/${FILE.length}` : undefined }),
    );
    if (cut !== undefined) {
      const n = cut - start;
      cut = undefined;
      res.write(Buffer.from(FILE.subarray(start, start + n)), () => res.destroy());
      return;
    }
    res.end(Buffer.from(FILE.subarray(start, end + 1)));
  });
  server.on('connection', () => {
    connections++;
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/packages/app.bin`;
  return {
    url,
    seen,
    connections: () => connections,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
