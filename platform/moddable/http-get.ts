// A resumable GET on the SDK's HTTP client into a ByteSink (lib/byte-sink.ts): the package download
// (downloader.ts) and the firmware download into the inactive slot (esp32-firmware-slots.ts,
// file-firmware-slots.ts) share it. A cut transfer resumes with a Range request; lib/range.ts decides what a
// response means for the stored bytes. RAM holds one fragment at a time whatever the size. No byte for
// idleTimeoutMs ends the attempt; the agent resumes it later.
import { Request } from 'http';
import Timer from 'timer';
import type { DownloadRequest } from '../../agent/ports.js';
import { errorMessage } from '../../agent/errors.js';
import { transportError, type TransportError } from './lib/transport-error.js';
import { planResponse, rangeHeaders } from './lib/range.js';
import type { ByteSink, SinkFetch } from './lib/byte-sink.js';
import { parseEndpoint } from './lib/url.js';
import { HTTP_MSG, guardSocketCallback, requestDictionary } from './http-transport.js';
import { withDefined } from '../../agent/util/options.js';

export interface HttpGetOptions {
  /** Default 30000 ms. */
  idleTimeoutMs?: number;
  certificate?: ArrayBuffer | HostBuffer;
}

/** A SinkFetch over the SDK's HTTP client with these options. */
export function httpGet(o: HttpGetOptions): SinkFetch {
  return (req, have, maxBytes, sink) => getInto(req, have, maxBytes, sink, o);
}

function getInto(
  req: DownloadRequest,
  have: number,
  maxBytes: number,
  sink: ByteSink,
  o: HttpGetOptions,
): Promise<{ size: number; total?: number }> {
  const idleMs = o.idleTimeoutMs ?? 30000;
  const ep = parseEndpoint(req.url, ['http', 'https']);
  const dict = requestDictionary(ep, 'GET', rangeHeaders(have), o.certificate);
  return new Promise((resolve, reject) => {
    let status = 0;
    let contentRange: string | undefined;
    let contentLength: string | undefined;
    let open = false;
    let pos = 0;
    let total: number | undefined;
    let settled = false;
    let request: Request | undefined;
    const finish = (error?: TransportError) => {
      if (settled) return;
      settled = true;
      Timer.clear(idle);
      try {
        request?.close();
      } catch {
        /* already closed */
      }
      if (open) {
        open = false;
        try {
          sink.end();
        } catch {
          /* nothing to flush */
        }
      }
      if (error) reject(error);
      else resolve(total !== undefined ? { size: pos, total } : { size: pos });
    };
    const idle = Timer.set(
      () => finish(transportError('timeout', `GET ${req.url}: no data for ${idleMs} ms at byte ${pos}`, true)),
      idleMs,
    );
    const alive = () => Timer.schedule(idle, idleMs);
    try {
      request = new Request(dict);
    } catch (e) {
      finish(transportError('other', `GET ${req.url}: ${errorMessage(e)}`, true));
      return;
    }
    guardSocketCallback(request, (why) => finish(transportError('reset', `GET ${req.url}: ${why}`, true)));
    const r = request;
    r.callback = (message: number, v1?: unknown, v2?: unknown) => {
      if (settled) return;
      alive();
      if (message === HTTP_MSG.status) status = Number(v1);
      else if (message === HTTP_MSG.header) {
        if (v1 === 'content-range') contentRange = String(v2);
        else if (v1 === 'content-length') contentLength = String(v2);
      } else if (message === HTTP_MSG.headersComplete) {
        const plan = planResponse(withDefined({ status, have, maxBytes }, { contentRange, contentLength }));
        if (plan.kind === 'fail') {
          if (plan.discard) sink.discard();
          finish(transportError(plan.error.kind, `GET ${req.url}: ${plan.error.message}`, plan.error.retryable, plan.error.httpStatus));
        } else if (plan.kind === 'complete') {
          pos = plan.size;
          total = plan.size;
          finish();
        } else {
          try {
            sink.begin(plan.start);
          } catch (e) {
            finish(transportError('other', `GET ${req.url}: ${errorMessage(e)}`, false));
            return;
          }
          open = true;
          pos = plan.start;
          total = plan.total;
        }
      } else if (message === HTTP_MSG.fragment) {
        const chunk = r.read(ArrayBuffer);
        if (!open) return;
        if (pos + chunk.byteLength > maxBytes) {
          finish(transportError('other', `GET ${req.url}: package larger than the ${maxBytes} bytes allowed`, false));
          return;
        }
        try {
          sink.write(chunk);
        } catch (e) {
          // The store refused the bytes (a full slot, or not a firmware image): asking again gives the same.
          finish(transportError('other', `GET ${req.url}: byte ${pos}: ${errorMessage(e)}`, false));
          return;
        }
        pos += chunk.byteLength;
        req.onProgress?.(pos, total);
      } else if (message === HTTP_MSG.complete) {
        if (total !== undefined && pos !== total) finish(transportError('reset', `GET ${req.url}: ${pos} of ${total} bytes`, true));
        else finish();
      } else if (message < 0) {
        finish(transportError('reset', `GET ${req.url} stopped at byte ${pos}`, true));
      }
    };
  });
}
