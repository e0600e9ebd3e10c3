// The project's MQTT binding on the `mqtt` package (MQTT 3.1.1, because device clients often lack v5
// properties): each SyncML message is published QoS 1 on <prefix>dm/<DevId>/up and the server's reply comes
// on …/down; …/notify asks the device for a session. QoS 1 means "at least once", so both sides drop what
// they have already seen: the server answers a repeated (SessionID, MsgID) with its cached reply, and here a
// message on /down is taken as the reply only when it belongs to the session and refers to the message in
// flight (its SyncHdr Status MsgRef); anything else (a redelivery, a stale reply of an earlier run) is dropped.
// A broker that restarts loses what it held, so on every reconnect the message in flight is published again.
import mqtt, { type MqttClient } from 'mqtt';
import type { InboundMessage, Log, OutboundMessage, Transport } from '../../agent/ports.js';
import { dmTopics, topicDevId, type DmTopics } from '../../agent/binding/mqtt-topics.js';
import { decodeMessage } from '../../agent/syncml/codec.js';
import { nodeUtf8 } from './utf8.js';
import { certificateRefusal, TransportError } from './transport-error.js';
import { withDefined } from '../../agent/util/options.js';

export interface MqttTransportOptions {
  /** mqtt://host:port or mqtts://host:port */
  brokerUrl: string;
  devId: string;
  prefix?: string;
  username?: string;
  password?: string;
  /** Extra CA for mqtts. */
  ca?: string | Buffer;
  clientId?: string;
  /** Wait for the reply to one message before publishing it again; default 30000. */
  timeoutMs?: number;
  /** Re-publications after a timeout before giving up; default 2. */
  retries?: number;
  /** First connection; default 10000. */
  connectTimeoutMs?: number;
  /** Between reconnection attempts; default 1000. */
  reconnectMs?: number;
  /**
   * The largest reply taken, in bytes; default 1 MiB, as over HTTP. MQTT 3.1.1 cannot tell the broker, and
   * mqtt.js reads a whole packet before handing it over, so this bounds what the session decodes and keeps,
   * not what the socket reads.
   */
  maxReplyBytes?: number;
  /** A server notification arrived on …/notify. */
  onNotify?: (payload: Uint8Array) => void;
  log?: Log;
}

/** What a reply says about the message it answers: its SessionID and the MsgRefs of its SyncHdr Statuses. */
export function replyRefs(body: Uint8Array): { sessionId: string; msgRefs: string[] } | undefined {
  try {
    const m = decodeMessage(body, nodeUtf8);
    const msgRefs = m.body.flatMap((c) => (c.kind === 'Status' && c.cmd === 'SyncHdr' ? [c.msgRef] : []));
    return { sessionId: m.hdr.sessionId, msgRefs };
  } catch {
    return undefined;
  }
}

interface InFlight {
  msg: OutboundMessage;
  resolve(m: InboundMessage): void;
  reject(e: Error): void;
  timer?: NodeJS.Timeout;
  publications: number;
}

export class MqttTransport implements Transport {
  readonly topics: DmTopics;
  /** The broker (without credentials) and the topic, for errors: over MQTT it is the broker that did not answer. */
  readonly endpoint: string;
  private readonly o: Required<Pick<MqttTransportOptions, 'timeoutMs' | 'retries' | 'connectTimeoutMs' | 'reconnectMs' | 'maxReplyBytes'>> &
    MqttTransportOptions;
  private client?: MqttClient;
  private connecting?: Promise<MqttClient>;
  private inFlight?: InFlight;
  /** Counters a lab can read: replies dropped as duplicates or strays, re-publications, reconnects. */
  readonly stats = { published: 0, republished: 0, dropped: 0, reconnects: 0, bytesUp: 0, bytesDown: 0 };

  constructor(opts: MqttTransportOptions) {
    const o = { timeoutMs: 30000, retries: 2, connectTimeoutMs: 10000, reconnectMs: 1000, maxReplyBytes: 1 << 20, ...opts };
    for (const k of ['timeoutMs', 'connectTimeoutMs', 'reconnectMs', 'maxReplyBytes'] as const) {
      if (!(o[k] > 0)) throw new Error(`MqttTransport: ${k} must be > 0, not ${o[k]}`);
    }
    if (!(Number.isInteger(o.retries) && o.retries >= 0 && o.retries <= 10)) throw new Error('MqttTransport: retries must be 0..10');
    if (!/^mqtts?:\/\//.test(o.brokerUrl)) throw new Error(`MqttTransport: '${o.brokerUrl}' is not an mqtt:// or mqtts:// URL`);
    this.o = o;
    this.topics = dmTopics(o.devId, o.prefix);
    const broker = new URL(o.brokerUrl);
    this.endpoint = `${broker.protocol}//${broker.host}, topic ${this.topics.up}`;
  }

  /** Connects and subscribes (exchange() does it on demand; a device that waits for notifications calls it at boot). */
  connect(): Promise<MqttClient> {
    if (this.client?.connected) return Promise.resolve(this.client);
    this.connecting ??= this.open().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private open(): Promise<MqttClient> {
    const o = this.o;
    const client = mqtt.connect(
      o.brokerUrl,
      withDefined(
        {
          protocolVersion: 4 as const,
          // A persistent session: a reply published while the device is briefly offline waits at the broker.
          clean: false,
          clientId: o.clientId ?? `dm-${topicDevId(o.devId)}`.slice(0, 23),
          reconnectPeriod: o.reconnectMs,
          connectTimeout: o.connectTimeoutMs,
        },
        { username: o.username, password: o.password, ca: o.ca },
      ),
    );
    return new Promise((resolve, reject) => {
      let first = true;
      let lastError = '';
      const giveUp = setTimeout(() => {
        client.end(true);
        const refused = /ECONNREFUSED/.test(lastError);
        reject(
          new TransportError({
            kind: refused ? 'refused' : 'timeout',
            message: `MQTT broker ${o.brokerUrl}: ${lastError || 'no CONNACK'} within ${o.connectTimeoutMs} ms`,
            retryable: true,
          }),
        );
      }, o.connectTimeoutMs);
      client.on('error', (e: Error & { code?: string | number }) => {
        lastError = `${e.code ?? ''} ${e.message}`.trim();
        // A certificate refused will be refused again: say so now instead of reconnecting until the timeout.
        const refusal = first ? certificateRefusal(e, `MQTT broker ${new URL(o.brokerUrl).host}`) : undefined;
        if (refusal) {
          clearTimeout(giveUp);
          client.end(true);
          reject(refusal);
          return;
        }
        // A refused CONNACK (bad credentials, not authorized) will not get better by reconnecting.
        if (first && typeof e.code === 'number' && e.code > 0) {
          clearTimeout(giveUp);
          client.end(true);
          reject(
            new TransportError({
              kind: 'refused',
              message: `MQTT broker ${o.brokerUrl} refused the connection: ${e.message}`,
              retryable: false,
            }),
          );
        }
      });
      client.on('connect', () => {
        void client.subscribeAsync([this.topics.down, this.topics.notify], { qos: 1 }).then(
          () => {
            if (first) {
              first = false;
              clearTimeout(giveUp);
              this.client = client;
              resolve(client);
              return;
            }
            this.stats.reconnects++;
            o.log?.log('info', `MQTT reconnected to ${o.brokerUrl}`);
            // The broker may have restarted and lost the message in flight (or its reply): publish it again;
            // the server answers a repeated (SessionID, MsgID) with the reply it already made.
            const f = this.inFlight;
            if (f) this.publish(f, true);
          },
          (e: Error) => o.log?.log('warn', `MQTT subscribe failed: ${e.message}`),
        );
      });
      client.on('message', (topic, payload) => this.onMessage(topic, new Uint8Array(payload)));
    });
  }

  private onMessage(topic: string, payload: Uint8Array): void {
    if (topic === this.topics.notify) {
      this.o.onNotify?.(payload);
      return;
    }
    if (topic !== this.topics.down) return;
    this.stats.bytesDown += payload.length;
    const f = this.inFlight;
    const tooLarge = payload.length > this.o.maxReplyBytes;
    if (tooLarge) {
      // Not decoded to see whose it is: that is what the bound spares. With a message in flight it is taken
      // as its reply, as an unreadable one would be, and refused.
      this.stats.dropped++;
      this.o.log?.log('warn', `MQTT: a message of ${payload.length} bytes on ${topic}, more than the ${this.o.maxReplyBytes} taken`);
      if (!f) return;
    } else {
      const refs = replyRefs(payload);
      // An unreadable reply is still the reply: the session answers it (Alert 1223), it is not ours to judge.
      const mine =
        f !== undefined &&
        (refs === undefined || (refs.sessionId === f.msg.sessionId && (refs.msgRefs.length === 0 || refs.msgRefs.includes(f.msg.msgId))));
      if (!mine) {
        this.stats.dropped++;
        this.o.log?.log(
          'debug',
          `MQTT: dropped a message on ${topic} that answers no message in flight`,
          refs ? { sessionId: refs.sessionId, msgRefs: refs.msgRefs } : {},
        );
        return;
      }
    }
    clearTimeout(f.timer);
    this.inFlight = undefined;
    if (tooLarge) {
      f.reject(
        new TransportError({
          kind: 'other',
          retryable: false,
          message: `reply on ${topic} of ${payload.length} bytes, more than the ${this.o.maxReplyBytes} bytes taken`,
        }),
      );
    } else f.resolve({ body: payload, contentType: f.msg.contentType });
  }

  private publish(f: InFlight, again: boolean): void {
    const client = this.client;
    if (!client) return;
    f.publications++;
    if (again) this.stats.republished++;
    else this.stats.published++;
    this.stats.bytesUp += f.msg.body.length;
    client.publish(this.topics.up, Buffer.from(f.msg.body), { qos: 1 }, (e) => {
      if (e) this.o.log?.log('warn', `MQTT publish failed: ${e.message}`);
    });
    clearTimeout(f.timer);
    f.timer = setTimeout(() => {
      if (this.inFlight !== f) return;
      if (f.publications <= this.o.retries) {
        this.o.log?.log('warn', `MQTT: no reply to message ${f.msg.msgId} within ${this.o.timeoutMs} ms; publishing it again`);
        this.publish(f, true);
        return;
      }
      this.inFlight = undefined;
      f.reject(
        new TransportError({
          kind: 'timeout',
          retryable: true,
          message: `no reply on ${this.topics.down} to message ${f.msg.msgId} after ${f.publications} publication(s) of ${this.o.timeoutMs} ms`,
        }),
      );
    }, this.o.timeoutMs);
  }

  async exchange(msg: OutboundMessage): Promise<InboundMessage> {
    if (msg.hmac) {
      throw new TransportError({
        kind: 'other',
        retryable: false,
        message: 'HMAC authentication needs the x-syncml-hmac transport header, which MQTT 3.1.1 cannot carry: use basic or MD5 over MQTT',
      });
    }
    if (this.inFlight) throw new TransportError({ kind: 'other', retryable: false, message: 'MqttTransport: one message at a time' });
    await this.connect();
    return new Promise<InboundMessage>((resolve, reject) => {
      const f: InFlight = { msg, resolve, reject, publications: 0 };
      this.inFlight = f;
      this.publish(f, false);
    });
  }

  async close(): Promise<void> {
    const f = this.inFlight;
    if (f) {
      clearTimeout(f.timer);
      this.inFlight = undefined;
      f.reject(new TransportError({ kind: 'closed', message: 'MQTT transport closed', retryable: true }));
    }
    const c = this.client ?? (this.connecting ? await this.connecting.catch(() => undefined) : undefined);
    this.client = undefined;
    await c?.endAsync();
  }
}
