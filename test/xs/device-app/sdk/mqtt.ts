// Stand-in for the SDK's "mqtt" module (documentation/network/network.md, "class MQTT"): the device-app test
// runs the device over HTTP, so there is no broker to reach; a client throws when made, which the MQTT
// transport reports as a connection that failed.
export default class Client {
  constructor(options: { host: string; port?: number; id: string }) {
    throw new Error(`MQTT: no broker at ${options.host}:${options.port ?? 1883} in the device-app test`);
  }
}
Object.freeze(Client.prototype);
