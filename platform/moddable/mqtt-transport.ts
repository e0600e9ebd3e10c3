// The project's MQTT binding (agent/binding/mqtt-topics.ts) on the SDK's MQTT client, module "mqtt": each
// SyncML message is published on <prefix>dm/<DevId>/up, the reply comes on …/down, and a message on
// …/notify asks the device for a session.
//
// What the SDK's client supports (documentation/network/network.md "class MQTT", modules/network/mqtt): MQTT
// 3.1.1 with a clean session on every connection, subscriptions at QoS 0, publish(topic, message) at QoS 0,
// no retransmission, keep-alive, TLS through SecureSocket. So QoS 1 and the persistent session of the Node
// adapter are not available here, and this binding makes up for them itself: a message without a reply
// within timeoutMs is published again (up to `retries` times), and again after every reconnection; the
// server answers a repeated message with the reply it already made. One message is in flight at a time and
// the next message on /down is its reply; a copy of the reply already taken is dropped (lib/reply-gate.ts).
// HMAC needs the x-syncml-hmac transport header, which MQTT 3.1.1 cannot carry: such an account is refused.
import Client from 'mqtt';
import SecureSocket from 'securesocket';
import Timer from 'timer';
import type { InboundMessage, Log, OutboundMessage, Transport } from '../../agent/ports.js';
import { dmTopics, topicDevId, type DmTopics } from '../../agent/binding/mqtt-topics.js';
import { DmError, errorMessage } from '../../agent/errors.js';
import { transportError } from './lib/transport-error.js';
import { ReplyGate } from './lib/reply-gate.js';
import { parseEndpoint, type Endpoint } from './lib/url.js';
import { exactBuffer } from './lib/bytes.js';

export interface MqttTransportOptions {
  /** mqtt://[user:password@]host[:port] or mqtts://… */
  brokerUrl: string;
  devId: string;
  prefix?: string;
  username?: string;
  password?: string;
  /** Wait for the reply to one message before publishing it again; default 30000 ms. */
  timeoutMs?: number;
  /** Publications again after a timeout before giving up; default 2. */
  retries?: number;
  /** First connection; default 15000 ms. */
  connectTimeoutMs?: number;
  /** Between reconnection attempts; default 2000 ms, doubled up to a minute. */
  reconnectMs?: number;
  /** Largest reply accepted (the MaxMsgSize the device announces). */
  maxReplyBytes: number;
  /** DER certificate of a private CA for mqtts. */
  certificate?: ArrayBuffer | HostBuffer;
  /**
   * Largest SyncML message published, default 7168: the SDK client writes a PUBLISH (message, topic and a
   * few header bytes) in one socket write, and the ESP32's lwIP send buffer is 8192 bytes. The desktop
   * simulator's socket takes 1024; messages above it fail with the reason.
   */
  maxPublishBytes?: number;
  /** A server notification arrived on …/notify. */
  onNotify?: (payload: Uint8Array) => void;
  log?: Log;
}

interface InFlight {
  msg: OutboundMessage;
  resolve(m: InboundMessage): void;
  reject(e: Error): void;
  timer?: Timer;
  publications: number;
}

export class MqttTransport implements Transport {
  readonly topics: DmTopics;
  /** The broker (without credentials) and the topic, for errors: over MQTT it is the broker that did not answer. */
  readonly endpoint: string;
  readonly maxMessageBytes: number;
  private readonly ep: Endpoint;
  private readonly gate: ReplyGate;
  private client?: Client;
  private ready = false;
  private connecting?: { resolve(): void; reject(e: Error): void; timer: Timer }[];
  private inFlight?: InFlight;
  private reconnectTimer?: Timer;
  private reconnectDelay: number;
  private closed = false;
  onNotify?: (payload: Uint8Array) => void;

  constructor(private readonly o: MqttTransportOptions) {
    this.ep = parseEndpoint(o.brokerUrl, ['mqtt', 'mqtts']);
    this.topics = dmTopics(o.devId, o.prefix);
    this.endpoint = `${this.ep.scheme}://${this.ep.host}:${this.ep.port}, topic ${this.topics.up}`;
    this.gate = new ReplyGate(o.maxReplyBytes);
    this.reconnectDelay = o.reconnectMs ?? 2000;
    if (o.onNotify) this.onNotify = o.onNotify;
    this.maxMessageBytes = o.maxPublishBytes ?? 7168;
    if (!(Number.isInteger(this.maxMessageBytes) && this.maxMessageBytes >= 512)) {
      throw new DmError('DM_ERR_CONFIG', 400, `MqttTransport: maxPublishBytes must be an integer >= 512, not ${o.maxPublishBytes}`);
    }
  }

  /** Connects and subscribes; exchange() does it on demand, a device waiting for notifications at boot. */
  connect(): Promise<void> {
    if (this.ready) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const ms = this.o.connectTimeoutMs ?? 15000;
      const waiter = {
        resolve,
        reject,
        timer: Timer.set(() => {
          this.connecting = this.connecting?.filter((w) => w !== waiter);
          reject(transportError('timeout', `MQTT broker ${this.ep.host}:${this.ep.port}: not connected within ${ms} ms`, true));
        }, ms),
      };
      (this.connecting ??= []).push(waiter);
      if (!this.client) this.open();
    });
  }

  private open(): void {
    this.closed = false;
    const ep = this.ep;
    const user = this.o.username ?? ep.user;
    const password = this.o.password ?? ep.password;
    const options: ConstructorParameters<typeof Client>[0] = {
      host: ep.host,
      port: ep.port,
      id: `dm-${topicDevId(this.o.devId)}`.slice(0, 23),
      timeout: 60000,
    };
    if (user !== undefined) options.user = user;
    if (password !== undefined) options.password = ArrayBuffer.fromString(password);
    if (ep.secure) {
      options.Socket = SecureSocket;
      options.secure = this.o.certificate ? { protocolVersion: 0x303, certificate: this.o.certificate } : { protocolVersion: 0x303 };
    }
    let client: Client;
    try {
      client = new Client(options);
    } catch (e) {
      this.o.log?.log('warn', `MQTT client not created: ${errorMessage(e)}`);
      this.scheduleReconnect();
      return;
    }
    this.client = client;
    client.onReady = () => this.onReady(client);
    client.onMessage = (topic, data) => this.onMessage(topic, new Uint8Array(data));
    client.onClose = () => this.onClose(client);
  }

  private onReady(client: Client): void {
    if (client !== this.client) return;
    try {
      client.subscribe(this.topics.down);
      client.subscribe(this.topics.notify);
    } catch (e) {
      this.o.log?.log('warn', `MQTT subscribe failed: ${errorMessage(e)}`);
      return;
    }
    this.ready = true;
    this.reconnectDelay = this.o.reconnectMs ?? 2000;
    const waiters = this.connecting ?? [];
    this.connecting = undefined;
    for (const w of waiters) {
      Timer.clear(w.timer);
      w.resolve();
    }
    // A clean session lost whatever the broker held for us: publish the message in flight again.
    const f = this.inFlight;
    if (f && f.publications > 0) this.publish(f);
  }

  private onClose(client: Client): void {
    if (client !== this.client) return;
    this.client = undefined;
    this.ready = false;
    try {
      client.close();
    } catch {
      /* already closed */
    }
    if (this.closed) return;
    this.o.log?.log('info', `MQTT connection to ${this.ep.host} lost; reconnecting in ${this.reconnectDelay} ms`);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.reconnectTimer || this.closed) return;
    this.reconnectTimer = Timer.set(() => {
      this.reconnectTimer = undefined;
      if (!this.client && !this.closed) this.open();
    }, this.reconnectDelay);
    this.reconnectDelay = Math.min(this.reconnectDelay * 2, 60000);
  }

  private onMessage(topic: string, payload: Uint8Array): void {
    if (topic === this.topics.notify) {
      this.onNotify?.(payload);
      return;
    }
    if (topic !== this.topics.down) return;
    const f = this.inFlight;
    const verdict = this.gate.judge(payload, f !== undefined);
    if (verdict === 'reply' && f) {
      this.settle(f);
      f.resolve({ body: payload, contentType: f.msg.contentType });
    } else if (verdict === 'too-large' && f) {
      this.settle(f);
      f.reject(transportError('other', `reply on ${topic} is larger than the ${this.o.maxReplyBytes} bytes this device accepts`, false));
    } else {
      this.o.log?.log('debug', `MQTT: dropped a ${verdict} message on ${topic}`);
    }
  }

  private settle(f: InFlight): void {
    Timer.clear(f.timer);
    if (this.inFlight === f) this.inFlight = undefined;
  }

  private publish(f: InFlight): void {
    f.publications++;
    if (this.client && this.ready) {
      try {
        this.client.publish(this.topics.up, exactBuffer(f.msg.body));
      } catch (e) {
        const why = errorMessage(e);
        if (/can't write all data/.test(why)) {
          // The SDK client writes a PUBLISH in one socket write: a message larger than the socket's free send
          // space (1 KB on the desktop simulator, the lwIP send buffer on ESP32) can never go out.
          this.settle(f);
          f.reject(
            transportError(
              'other',
              `message ${f.msg.msgId} (${f.msg.body.length} bytes) does not fit the socket's send buffer in one MQTT publish: use WBXML, or a smaller server MaxMsgSize`,
              false,
            ),
          );
          return;
        }
        // Not connected after all: the reconnection publishes it again.
        this.o.log?.log('warn', `MQTT publish failed: ${why}`);
      }
    }
    Timer.clear(f.timer);
    f.timer = Timer.set(() => {
      if (this.inFlight !== f) return;
      if (f.publications <= (this.o.retries ?? 2)) {
        this.o.log?.log('warn', `MQTT: no reply to message ${f.msg.msgId} within ${this.o.timeoutMs ?? 30000} ms; publishing it again`);
        this.publish(f);
        return;
      }
      this.settle(f);
      f.reject(
        transportError('timeout', `no reply on ${this.topics.down} to message ${f.msg.msgId} after ${f.publications} publication(s)`, true),
      );
    }, this.o.timeoutMs ?? 30000);
  }

  async exchange(msg: OutboundMessage): Promise<InboundMessage> {
    if (msg.hmac) {
      throw transportError(
        'other',
        'HMAC authentication needs the x-syncml-hmac transport header, which MQTT 3.1.1 cannot carry: use basic or MD5 over MQTT',
        false,
      );
    }
    if (this.inFlight) throw transportError('other', 'MqttTransport: one message at a time', false);
    await this.connect();
    return new Promise<InboundMessage>((resolve, reject) => {
      const f: InFlight = { msg, resolve, reject, publications: 0 };
      this.inFlight = f;
      this.publish(f);
    });
  }

  close(): void {
    this.closed = true;
    const f = this.inFlight;
    if (f) {
      this.settle(f);
      f.reject(transportError('closed', 'MQTT transport closed', true));
    }
    Timer.clear(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const c = this.client;
    this.client = undefined;
    this.ready = false;
    try {
      c?.close();
    } catch {
      /* already closed */
    }
  }
}
