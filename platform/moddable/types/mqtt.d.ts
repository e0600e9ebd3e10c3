// The Moddable SDK's MQTT client, module "mqtt" ($(MODULES)/network/mqtt), as documented in the SDK's
// documentation/network/network.md ("class MQTT"). Neither @moddable/typings nor the SDK's own typings/
// declare it (they only declare "mqtt/js" and the ECMA-419 "embedded:network/mqtt/client"), so it is ours.
// Only what the documentation describes is declared.
declare module 'mqtt' {
  export interface ClientOptions {
    /** Host name of the broker. */
    host: string;
    /** Default 1883 (80 with `path`); required with TLS. */
    port?: number;
    /** Client identifier (MQTT 3.1.1 guarantees 23 characters). */
    id: string;
    user?: string;
    /** The password as an ArrayBuffer. */
    password?: ArrayBuffer;
    will?: { topic: string; message: string | ArrayBuffer };
    /** With a path, MQTT runs over a WebSocket. */
    path?: string;
    /** Keep-alive interval in milliseconds; absent = no keep-alive. */
    timeout?: number;
    /** The socket constructor, e.g. SecureSocket for TLS. */
    Socket?: unknown;
    /** TLS options for SecureSocket (documentation/network/securesocket.md). */
    secure?: Record<string, unknown>;
  }

  export default class Client {
    constructor(options: ClientOptions);
    /** Connected: subscribe and publish only after this. */
    onReady?: () => void;
    /** A message on a subscribed topic; `data` is the whole payload. */
    onMessage?: (topic: string, data: ArrayBuffer) => void;
    /** The connection was lost or closed by the broker. */
    onClose?: () => void;
    subscribe(topic: string): void;
    unsubscribe(topic: string): void;
    publish(topic: string, message: string | ArrayBuffer): void;
    close(): void;
  }
}
