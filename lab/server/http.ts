// The lab server's HTTP binding: POST /dm carries SyncML (application/vnd.syncml.dm+xml or +wbxml, the
// x-syncml-hmac header both ways), GET/HEAD /packages/<file> serves packages with single byte ranges so a
// cut download resumes (206 + Content-Range; 416 for a range that cannot be served).
import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Log } from '../../agent/ports.js';
import type { LabDmServer } from './dm-server.js';

export interface HttpServerOptions {
  server: LabDmServer;
  port?: number;
  host?: string;
  /** Folder the package files are served from (the catalog's packagesDir). */
  packagesDir: string;
  /** Path of the DM endpoint (default /dm). */
  dmPath?: string;
  /** Largest request body accepted (default 1 MiB). */
  maxBodyBytes?: number;
  /** Tell the DM server to announce this server's /packages URL in PkgURL (handy with port 0). */
  announcePackages?: boolean;
  /** The host its URLs name, when not the address it listens on (a server on 0.0.0.0 names a real one). */
  announceHost?: string;
  /** Serve HTTPS with this certificate (chain) and private key, both PEM; its URLs are then https://. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  log?: Log;
  /** Other routes on the same port (the lab console): true when it answered the request. */
  routes?: (req: IncomingMessage, res: ServerResponse) => boolean;
  /** The file of package `name` when it is not in packagesDir (one uploaded through the console). */
  packageFile?: (name: string) => string | undefined;
}

export interface RunningHttpServer {
  /** The DM endpoint, e.g. http://127.0.0.1:8080/dm (https:// with `tls`) */
  url: string;
  /** Base URL of the packages, e.g. http://127.0.0.1:8080/packages */
  packagesUrl: string;
  close(): Promise<void>;
}

const SAFE_FILE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const DEFAULT_MAX_BODY = 1 << 20;
// Packages up to this size are served from memory (a fleet downloads the same few files thousands of times);
// larger ones are streamed from the file. A file that changes (size or mtime) is read again.
const CACHED_PACKAGE_MAX = 1 << 20;
const CACHED_PACKAGES = 64;

export type ByteRange = { start: number; end: number } | 'unsatisfiable' | undefined;

/**
 * One byte range of a Range header (RFC 9110 §14.1.2) for a file of `size` bytes: 'bytes=a-b', 'bytes=a-'
 * or 'bytes=-n'. undefined = no Range header (send it all); 'unsatisfiable' = 416 (malformed, several
 * ranges, or past the end).
 */
export function parseRange(header: string | undefined, size: number): ByteRange {
  if (header === undefined) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return 'unsatisfiable';
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}

export async function startHttpServer(o: HttpServerOptions): Promise<RunningHttpServer> {
  const dmPath = o.dmPath ?? '/dm';
  const maxBody = o.maxBodyBytes ?? DEFAULT_MAX_BODY;
  if (!(Number.isInteger(maxBody) && maxBody > 0)) throw new Error('startHttpServer: maxBodyBytes must be a positive integer');
  const log = (level: 'info' | 'warn' | 'debug', message: string) => o.log?.log(level, message);
  const cache = new Map<string, { size: number; mtime: number; bytes: Buffer }>();
  const cached = (file: string, size: number, mtime: number): Buffer | undefined => {
    if (size > CACHED_PACKAGE_MAX) return undefined;
    const hit = cache.get(file);
    if (hit && hit.size === size && hit.mtime === mtime) return hit.bytes;
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch {
      return undefined;
    }
    // Written while being read: stream this one, and read it again next time.
    if (bytes.length !== size) return undefined;
    if (!hit && cache.size >= CACHED_PACKAGES) cache.delete(cache.keys().next().value!);
    cache.set(file, { size, mtime, bytes });
    return bytes;
  };

  const scheme = o.tls ? 'https' : 'http';
  const handler: RequestListener = (req, res) => {
    // A request this code did not foresee gets a 500 with the reason, and the server goes on: an exception
    // thrown here would end the process, every device's session with it.
    try {
      const path = (req.url ?? '/').split('?')[0]!;
      if (path === dmPath) postDm(req, res).catch((e: unknown) => serverError(res, e));
      else if (path.startsWith('/packages/')) {
        let name: string;
        try {
          name = decodeURIComponent(path.slice('/packages/'.length));
        } catch {
          plain(res, 400, `malformed percent-encoding in ${path}`);
          return;
        }
        servePackage(req, res, name);
      } else if (o.routes?.(req, res)) {
        /* answered by the other routes */
      } else plain(res, 404, `no such resource ${path} (the DM endpoint is POST ${dmPath}, packages are GET /packages/<file>)`);
    } catch (e) {
      serverError(res, e);
    }
  };
  const http = o.tls ? createHttpsServer({ cert: o.tls.cert, key: o.tls.key }, handler) : createServer(handler);

  function serverError(res: ServerResponse, e: unknown): void {
    if (!res.headersSent) plain(res, 500, `lab server error: ${e instanceof Error ? e.message : String(e)}`);
    else res.destroy();
  }

  function plain(res: ServerResponse, status: number, text: string, headers: Record<string, string | number> = {}): void {
    if (status >= 400) log('warn', `HTTP ${status}: ${text}`);
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...headers }).end(`${text}\n`);
  }

  async function postDm(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') {
      plain(res, 405, `${req.method} ${dmPath}: SyncML is POSTed`, { Allow: 'POST' });
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > maxBody) tooLarge = true;
      else chunks.push(c);
    });
    await new Promise<void>((resolve) => {
      req.on('end', resolve);
      req.on('error', () => resolve());
    });
    const hmacHeader = req.headers['x-syncml-hmac'];
    const meta: Parameters<LabDmServer['handle']>[1] = { uri: `${scheme}://${req.headers.host ?? ''}${req.url ?? ''}` };
    if (req.headers['content-type'] !== undefined) meta.contentType = req.headers['content-type'];
    if (tooLarge) {
      const why = `request body of ${size} bytes exceeds ${maxBody}`;
      o.server.refusedUnread({ status: 413, reason: why, body: new Uint8Array(Buffer.concat(chunks)), meta, truncated: true });
      plain(res, 413, why);
      return;
    }
    if (typeof hmacHeader === 'string') meta.hmac = hmacHeader;
    let reply;
    try {
      reply = await o.server.handle(new Uint8Array(Buffer.concat(chunks)), meta);
    } catch (e) {
      serverError(res, e);
      return;
    }
    if (!reply) {
      // Injected connection drop: no status line at all.
      req.socket.destroy();
      return;
    }
    const headers: Record<string, string | number> = {
      'Content-Type': reply.contentType,
      'Content-Length': reply.body.length,
      'Cache-Control': 'no-store',
    };
    if (reply.hmac) headers['x-syncml-hmac'] = reply.hmac;
    res.writeHead(reply.status ?? 200, headers).end(Buffer.from(reply.body));
  }

  function servePackage(req: IncomingMessage, res: ServerResponse, name: string): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      plain(res, 405, `${req.method} on a package`, { Allow: 'GET, HEAD' });
      return;
    }
    if (!SAFE_FILE.test(name)) {
      plain(res, 404, `no package '${name}'`);
      return;
    }
    const file = o.packageFile?.(name) ?? join(o.packagesDir, name);
    let size: number;
    let mtime: number;
    try {
      const s = statSync(file);
      if (!s.isFile()) throw new Error('not a file');
      size = s.size;
      mtime = s.mtimeMs;
    } catch {
      plain(res, 404, `no package '${name}'`);
      return;
    }
    const etag = `"${size.toString(16)}-${Math.floor(mtime).toString(16)}"`;
    const base = {
      'Accept-Ranges': 'bytes',
      ETag: etag,
      'Content-Type': name.endsWith('.json') ? 'application/json' : 'application/octet-stream',
    };
    // If-Range: a resume against a changed file gets the whole new file, never a splice of two versions.
    const ifRange = req.headers['if-range'];
    const range = ifRange !== undefined && ifRange !== etag ? undefined : parseRange(req.headers.range, size);
    if (range === 'unsatisfiable') {
      plain(res, 416, `range '${req.headers.range}' cannot be served from ${name} (${size} bytes; one range 'bytes=a-b' is supported)`, {
        'Content-Range': `bytes */${size}`,
        'Accept-Ranges': 'bytes',
      });
      return;
    }
    const start = range?.start ?? 0;
    const end = range?.end ?? size - 1;
    const headers: Record<string, string | number> = { ...base, 'Content-Length': end - start + 1 };
    if (range) headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
    log('info', `GET /packages/${name} ${range ? `bytes ${start}-${end}/${size} (206)` : `${size} bytes (200)`}`);
    res.writeHead(range ? 206 : 200, headers);
    if (req.method === 'HEAD' || size === 0) {
      res.end();
      return;
    }
    const bytes = cached(file, size, mtime);
    if (bytes) res.end(bytes.subarray(start, end + 1));
    else
      createReadStream(file, { start, end })
        .on('error', () => res.destroy())
        .pipe(res);
  }

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(o.port ?? 0, o.host ?? '127.0.0.1', () => {
      http.off('error', reject);
      resolve();
    });
  });
  const a = http.address() as AddressInfo;
  const named = o.announceHost ?? a.address;
  const hostPart = named.includes(':') ? `[${named}]` : named;
  const origin = `${scheme}://${hostPart}:${a.port}`;
  const packagesUrl = `${origin}/packages`;
  if (o.announcePackages) o.server.usePackageBaseUrl(packagesUrl);
  return {
    url: origin + dmPath,
    packagesUrl,
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}
