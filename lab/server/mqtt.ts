// The lab server's MQTT binding (MQTT 3.1.1, QoS 1): devices publish SyncML on dm/<DevId>/up, the server
// answers on dm/<DevId>/down and can wake a device with dm/<DevId>/notify (optional topic prefix before
// 'dm/'). A device has at most one message in flight, so the next /down message of a session is the reply.
// QoS 1 may deliver a message twice: a device message already answered (same SessionID and MsgID) gets the
// cached reply again instead of being processed twice. MQTT has no headers, so HMAC is HTTP-only.
import mqtt from 'mqtt';
import type { Log } from '../../agent/ports.js';
import { decodeMessage } from '../../agent/syncml/codec.js';
import { nodeUtf8 } from '../../platform/node/utf8.js';
import type { LabDmServer } from './dm-server.js';
import { dmTopics, topicDevId } from '../../agent/binding/mqtt-topics.js';

export { dmTopics, topicDevId };

export { startEmbeddedBroker } from './broker.js';

export interface MqttServerOptions {
  server: LabDmServer;
  brokerUrl: string;
  /** Topic prefix, e.g. 'lab' → lab/dm/<DevId>/up. */
  prefix?: string;
  clientId?: string;
  log?: Log;
  /** Replies remembered for redelivered device messages (default 256). */
  replayCache?: number;
  /** How long the first connection to the broker may take (default 10000 ms); later ones are retried without end. */
  connectTimeoutMs?: number;
}

export interface RunningMqttServer {
  /** Publishes a notification that asks the device to start a session. */
  notify(devId: string, payload?: string | Uint8Array): Promise<void>;
  close(): Promise<void>;
}

export async function startMqttServer(o: MqttServerOptions): Promise<RunningMqttServer> {
  const prefix = o.prefix ? `${o.prefix.replace(/\/+$/, '')}/` : '';
  const cacheSize = o.replayCache ?? 256;
  if (!(Number.isInteger(cacheSize) && cacheSize > 0)) throw new Error('startMqttServer: replayCache must be a positive integer');
  const connectTimeoutMs = o.connectTimeoutMs ?? 10000;
  if (!(connectTimeoutMs > 0)) throw new Error('startMqttServer: connectTimeoutMs must be > 0');
  const client = mqtt.connect(o.brokerUrl, {
    protocolVersion: 4,
    clean: true,
    reconnectPeriod: 1000,
    clientId: o.clientId ?? `lab-dm-server-${Math.random().toString(16).slice(2, 10)}`,
  });
  const log = (level: 'info' | 'warn', m: string) => o.log?.log(level, m);
  const replies = new Map<string, Uint8Array | null>();
  // One device's messages are handled in arrival order.
  const chains = new Map<string, Promise<void>>();

  const upFilter = `${prefix}dm/+/up`;
  // A broker that cannot be reached at start is a failure to start, not a client left reconnecting for ever.
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no CONNACK within ${connectTimeoutMs} ms`)), connectTimeoutMs);
      client.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
      client.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
    await client.subscribeAsync(upFilter, { qos: 1 });
  } catch (e) {
    client.end(true);
    throw new Error(`MQTT broker ${o.brokerUrl}: ${e instanceof Error ? e.message : String(e)}`);
  }

  async function onUp(topicDev: string, payload: Uint8Array): Promise<void> {
    let key: string | undefined;
    try {
      const m = decodeMessage(payload, nodeUtf8);
      key = `${topicDev}\u0000${m.hdr.sessionId}\u0000${m.hdr.msgId}`;
      if (topicDevId(m.hdr.source.locURI) !== topicDev) {
        log('warn', `deviation: message from ${m.hdr.source.locURI} published on the topic of ${topicDev}`);
      }
    } catch {
      // The DM server explains why it cannot read the message.
    }
    const down = `${prefix}dm/${topicDev}/down`;
    if (key !== undefined && replies.has(key)) {
      const cached = replies.get(key);
      log('info', `MQTT redelivery of ${topicDev} message ${key.split('\u0000')[2]}: ${cached ? 'resending the cached reply' : 'ignored'}`);
      if (cached) await client.publishAsync(down, Buffer.from(cached), { qos: 1 });
      return;
    }
    const reply = await o.server.handle(payload, { uri: `${o.brokerUrl}/${prefix}dm/${topicDev}/up` });
    if (!reply || (reply.status !== undefined && reply.status !== 200)) {
      if (reply) log('warn', `no reply on ${down}: ${new TextDecoder().decode(reply.body).trim()}`);
      else log('warn', `no reply on ${down} (injected drop)`);
      if (key !== undefined && reply) remember(key, null);
      return;
    }
    if (key !== undefined) remember(key, reply.body);
    await client.publishAsync(down, Buffer.from(reply.body), { qos: 1 });
  }

  function remember(key: string, v: Uint8Array | null): void {
    replies.set(key, v);
    if (replies.size > cacheSize) replies.delete(replies.keys().next().value!);
  }

  client.on('message', (topic, payload) => {
    const parts = topic.slice(prefix.length).split('/');
    if (parts.length !== 3 || parts[0] !== 'dm' || parts[2] !== 'up') return;
    const dev = parts[1]!;
    const prev = chains.get(dev) ?? Promise.resolve();
    const next = prev
      .then(() => onUp(dev, new Uint8Array(payload)))
      .catch((e: unknown) => {
        log('warn', `MQTT message on ${topic} failed: ${e instanceof Error ? e.message : String(e)}`);
      });
    chains.set(dev, next);
  });

  return {
    notify: async (devId, payload = '') => {
      await client.publishAsync(dmTopics(devId, o.prefix).notify, typeof payload === 'string' ? payload : Buffer.from(payload), { qos: 1 });
    },
    close: async () => {
      await Promise.allSettled([...chains.values()]);
      await client.endAsync();
    },
  };
}
