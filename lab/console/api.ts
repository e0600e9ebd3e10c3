// The console's routes on the lab server's HTTP port: the page (/, /console.js, /console.css) and the JSON
// API under /api/ (docs/console.md lists every route, its body and its answer). Every request passes the
// checks first: the token when one is asked, a Host that names loopback when the server listens there
// (DNS rebinding), and for a request that changes something, no Origin but this one.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorMessage, DmError } from '../../agent/errors.js';
import { withDefined } from '../../agent/util/options.js';
import { retireEntry } from '../server/catalog.js';
import type { LabConsole } from './console.js';
import { isLoopback } from './console.js';
import { addUploadedPackage, MAX_UPLOAD } from './catalog-upload.js';
import { isQueuedScenario, QUEUED_SCENARIOS } from './failures.js';
import { firmwareEntries, firmwareView, looksLikeFirmwareImage, retireFirmware } from './firmware.js';
import { cookie, HttpError, json, loopbackHost, problem, readBody, readJson, sameOrigin, sameSecret } from './http-util.js';
import type { LogEvent, SessionEntry } from './session-log.js';
import { sessionCapture, sessionView, sessionXml } from './session-view.js';
import { parseInputEvent } from './sim.js';

const COOKIE = 'dm_console';

/** Answers a console route; false when the path is not the console's (the lab server answers 404). */
export function handleConsole(c: LabConsole, req: IncomingMessage, res: ServerResponse): boolean {
  const url = new URL(req.url ?? '/', 'http://console.invalid');
  const path = url.pathname;
  if (!(path === '/' || path === '/console.js' || path === '/console.css' || path === '/api' || path.startsWith('/api/'))) return false;
  if (!allowed(c, req, res, url)) return true;
  route(c, req, res, url).catch((e: unknown) => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (e instanceof HttpError) problem(res, e.status, e.message);
    else if (e instanceof DmError && e.status >= 400 && e.status < 500) problem(res, e.status, e.message);
    else problem(res, 500, `console error: ${errorMessage(e)}`);
  });
  return true;
}

function allowed(c: LabConsole, req: IncomingMessage, res: ServerResponse, url: URL): boolean {
  const lab = c.lab;
  const bound = lab ? new URL(lab.http.url).hostname.replace(/^\[|\]$/g, '') : '127.0.0.1';
  if (isLoopback(bound) && !loopbackHost(req)) {
    problem(res, 403, `Host '${req.headers.host ?? ''}' is not this machine's loopback address`);
    return false;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD' && !sameOrigin(req)) {
    problem(res, 403, `Origin '${req.headers.origin}' is not this console`);
    return false;
  }
  const token = c.token;
  if (token === undefined) return true;
  const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
  if (sameSecret(bearer, token) || sameSecret(cookie(req, COOKIE), token)) return true;
  if (url.pathname === '/' && sameSecret(url.searchParams.get('token') ?? undefined, token)) {
    // The token of the address serve printed becomes a cookie of this site, and the address loses it.
    res.writeHead(303, { Location: '/', 'Set-Cookie': `${COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/` }).end();
    return false;
  }
  problem(res, 401, 'this console asks for the token `dm-agent serve` printed at start: open the address it printed (…/?token=…)');
  return false;
}

function need<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new HttpError(404, `no ${what}`);
  return v;
}

function method(req: IncomingMessage, ...allowedMethods: string[]): void {
  if (!allowedMethods.includes(req.method ?? ''))
    throw new HttpError(405, `${req.method} is not allowed here (${allowedMethods.join(', ')})`);
}

async function route(c: LabConsole, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const path = url.pathname;
  const assets = c.assets;
  if (path === '/' || path === '/console.js' || path === '/console.css') {
    method(req, 'GET', 'HEAD');
    if (!assets) throw new HttpError(503, 'the console is starting');
    const [type, body] =
      path === '/'
        ? ['text/html; charset=utf-8', assets.html]
        : path === '/console.js'
          ? ['text/javascript; charset=utf-8', assets.js]
          : ['text/css; charset=utf-8', assets.css];
    res.writeHead(200, { 'Content-Type': type, 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' }).end(body);
    return;
  }
  const parts = path.split('/').slice(2).map(decodeURIComponent);
  const [what, id, sub] = parts;
  switch (what) {
    case 'events':
      method(req, 'GET');
      return events(c, req, res);
    case 'devices':
      if (id === undefined) {
        method(req, 'GET');
        return json(res, 200, devices(c));
      }
      if (sub === undefined) {
        method(req, 'GET');
        return json(res, 200, need(device(c, id), `device ${id}`));
      }
      if (sub === 'notify') {
        method(req, 'POST');
        const mqtt = c.lab?.mqtt;
        if (!mqtt) throw new HttpError(409, 'the lab server has no MQTT binding (serve --mqtt …)');
        await mqtt.notify(id);
        return json(res, 202, { notified: id });
      }
      if (sub === 'scenario') {
        method(req, 'POST');
        const body = await readJson(req);
        const name = body.scenario;
        if (!isQueuedScenario(name)) throw new HttpError(400, `scenario must be one of ${Object.keys(QUEUED_SCENARIOS).join(', ')}`);
        const failures = need(c.failures, 'failure plan');
        const next = (c.lab?.server.device(id)?.sessions ?? 0) + 1;
        if (!failures.queue(id, name, next)) throw new HttpError(409, `device ${id} has too many scenarios queued`);
        c.log.emit({ type: 'device', devId: id });
        return json(res, 201, { devId: id, queued: failures.queued(id) });
      }
      throw new HttpError(404, `no route ${path}`);
    case 'sessions': {
      if (id === undefined) {
        method(req, 'GET');
        return json(res, 200, sessions(c, url.searchParams));
      }
      const s = need(c.log.session(id), `session ${id}`);
      method(req, 'GET');
      if (sub === undefined) return json(res, 200, sessionView(s));
      if (sub === 'capture') return download(res, `${s.id}.capture.jsonl`, 'application/x-ndjson', sessionCapture(s));
      if (sub === 'xml') return download(res, `${s.id}.xml`, 'application/xml; charset=utf-8', sessionXml(s));
      throw new HttpError(404, `no route ${path}`);
    }
    case 'catalog':
      return catalog(c, req, res, url, id, sub);
    case 'sim':
      return sim(c, req, res, id, sub);
    default:
      throw new HttpError(404, `no route ${path}`);
  }
}

function download(res: ServerResponse, name: string, type: string, body: string): void {
  res
    .writeHead(200, { 'Content-Type': type, 'Content-Disposition': `attachment; filename="${name}"`, 'Cache-Control': 'no-store' })
    .end(body);
}

export function sessionSummary(s: SessionEntry) {
  return {
    id: s.id,
    devId: s.devId,
    sessionId: s.sessionId,
    status: s.status,
    transport: s.transport,
    encoding: s.encoding,
    phase: s.phase,
    startedAt: new Date(s.startedAt).toISOString(),
    lastAt: new Date(s.lastAt).toISOString(),
    messages: s.messages.length,
    deviations: s.deviations.length,
    last: s.messages.at(-1)?.summary ?? '',
    reason: s.reason ?? null,
  };
}

function sessions(c: LabConsole, q: URLSearchParams) {
  const device = q.get('device');
  const status = q.get('status');
  const deviation = q.get('deviation');
  const limit = Math.min(500, Math.max(1, Number(q.get('limit') ?? 200) || 200));
  const out = [];
  for (const s of c.log.list()) {
    if (device && s.devId !== device) continue;
    if (status && s.status !== status) continue;
    if (deviation === 'yes' && s.deviations.length === 0) continue;
    if (deviation === 'no' && s.deviations.length > 0) continue;
    out.push(sessionSummary(s));
    if (out.length >= limit) break;
  }
  return out;
}

function devices(c: LabConsole) {
  const ids = new Set<string>([...c.log.contacts().map((d) => d.devId), ...c.sims.list().map((s) => s.devId)]);
  return [...ids].map((devId) => {
    const contact = c.log.contact(devId);
    const view = c.lab?.server.device(devId);
    return {
      devId,
      account: view?.account ?? null,
      transport: contact?.transport ?? null,
      encoding: contact?.encoding ?? null,
      lastContact: contact ? new Date(contact.lastContact).toISOString() : null,
      sessions: view?.sessions ?? 0,
      deviations: contact?.deviations ?? 0,
      inventory: view?.inventory ?? [],
      firmware: contact?.firmware?.version ?? null,
      simulated: c.sims.get(devId) !== undefined,
    };
  });
}

function device(c: LabConsole, devId: string) {
  const contact = c.log.contact(devId);
  const view = c.lab?.server.device(devId);
  const sim = c.sims.get(devId);
  if (!contact && !view && !sim) return undefined;
  const deployments = (c.lab?.server.deployments() ?? []).filter((d) => d.devId === devId);
  const pending = deployments.filter((d) => d.state === 'sent' || d.state === 'accepted');
  const mine = c.log.list().filter((s) => s.devId === devId);
  return {
    devId,
    account: view?.account ?? null,
    transport: contact?.transport ?? null,
    encoding: contact?.encoding ?? null,
    firstSeen: contact ? new Date(contact.firstSeen).toISOString() : null,
    lastContact: contact ? new Date(contact.lastContact).toISOString() : null,
    sessionsBegun: view?.sessions ?? 0,
    devInfo: view?.devInfo ?? {},
    inventory: view?.inventory ?? [],
    firmware: firmwareView(contact?.firmware, pending, contact?.results ?? []),
    pending,
    deployments: deployments.slice(-50),
    results: (contact?.results ?? []).map((r) => ({ ...r, at: new Date(r.at).toISOString() })),
    deviations: mine.flatMap((s) => s.deviations.map((d) => ({ session: s.id, message: d.message, text: d.text, rule: d.rule }))),
    sessions: mine.slice(0, 100).map(sessionSummary),
    queued: c.failures?.queued(devId) ?? [],
    simulated: sim ? { screen: sim.display.screen ?? null, renders: sim.display.renders } : null,
  };
}

async function catalog(c: LabConsole, req: IncomingMessage, res: ServerResponse, url: URL, id?: string, version?: string): Promise<void> {
  const entries = need(c.catalog, 'catalog');
  if (id === undefined) {
    method(req, 'GET', 'POST');
    if (req.method === 'GET')
      return json(
        res,
        200,
        [...entries.entries, ...firmwareEntries(entries)].map((e) => catalogView(c, e)),
      );
    const bytes = await readBody(req, MAX_UPLOAD);
    if (looksLikeFirmwareImage(new Uint8Array(bytes)))
      throw new HttpError(
        400,
        'package refused: a firmware image is not taken by upload (package inspect does not check firmware images); list it in the catalog file\'s "firmware" list',
      );
    const entry = addUploadedPackage(
      entries,
      c.uploadDir,
      new Uint8Array(bytes),
      withDefined(
        { autoUpdate: url.searchParams.get('autoUpdate') === 'true' },
        { description: url.searchParams.get('description') || undefined },
      ),
    );
    c.uploads.set(entry.fileName, entry.file);
    c.options.log?.log('info', `console: ${entry.id} ${entry.version} added to the catalog (${entry.size} bytes, ${entry.fileName})`);
    c.log.emit({ type: 'catalog' });
    return json(res, 201, catalogView(c, entry));
  }
  method(req, 'DELETE');
  const v = need(version, 'version in the path (/api/catalog/:id/:version)');
  const gone = need(retireEntry(entries, id, v) ?? retireFirmware(entries, id, v), `catalog entry ${id} ${version}`);
  c.options.log?.log('info', `console: ${gone.id} ${gone.version} retired from the catalog`);
  c.log.emit({ type: 'catalog' });
  return json(res, 200, { retired: catalogView(c, gone) });
}

function catalogView(
  c: LabConsole,
  e: {
    id: string;
    name: string;
    version: string;
    fileName: string;
    size: number;
    sha256: string;
    autoUpdate: boolean;
    description?: string;
    firmware?: { model: string };
  },
) {
  return {
    kind: e.firmware ? 'firmware' : 'component',
    model: e.firmware?.model ?? null,
    id: e.id,
    name: e.name,
    version: e.version,
    fileName: e.fileName,
    size: e.size,
    sha256: e.sha256,
    autoUpdate: e.autoUpdate,
    description: e.description ?? null,
    uploaded: c.uploads.has(e.fileName),
  };
}

async function sim(c: LabConsole, req: IncomingMessage, res: ServerResponse, devId?: string, action?: string): Promise<void> {
  if (devId === undefined) {
    method(req, 'GET');
    return json(
      res,
      200,
      c.sims.list().map((d) => ({ devId: d.devId, screen: d.display.screen ?? null, renders: d.display.renders })),
    );
  }
  const d = need(c.sims.get(devId), `simulated device ${devId}`);
  if (action === undefined) {
    method(req, 'GET');
    return json(res, 200, { devId, screen: d.display.screen ?? null, renders: d.display.renders });
  }
  method(req, 'POST');
  const body = await readJson(req);
  if (action === 'button') {
    d.button.press(body.long === true);
    return json(res, 202, { pressed: body.long === true ? 'long' : 'short' });
  }
  if (action === 'input') {
    const event = parseInputEvent(body.event);
    if (!event)
      throw new HttpError(400, 'event must be an InputEvent: {"kind":"yes"}, {"kind":"pick","index":0}, {"kind":"text","value":"…"} …');
    d.display.input(event);
    return json(res, 202, { event });
  }
  throw new HttpError(404, `no route /api/sim/${devId}/${action}`);
}

/** Server-Sent Events: what changed, as it changes (docs/console.md lists the events). */
function events(c: LabConsole, req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
  res.write('retry: 1000\n\n');
  const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  send('hello', { sessions: c.log.list().length });
  const off = c.log.on((e: LogEvent) => {
    if (e.type === 'session') {
      const s = c.log.session(e.id);
      if (s) send('session', sessionSummary(s));
    } else if (e.type === 'device') send('device', { devId: e.devId });
    else if (e.type === 'catalog') send('catalog', {});
    else {
      const d = c.sims.get(e.devId);
      if (d) send('screen', { devId: e.devId, screen: d.display.screen ?? null, renders: d.display.renders });
    }
  });
  // A comment now and then keeps proxies from closing a quiet stream.
  const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15000);
  keepAlive.unref();
  const end = () => {
    clearInterval(keepAlive);
    off();
    unclose();
    res.end();
  };
  const unclose = c.onClose(end);
  req.on('close', end);
}
