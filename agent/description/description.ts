// The device description a device maker writes (JSON): what seeds the DM tree on first boot (seed.ts), how
// the device reaches its DM server, and how its triggers behave. Documented in docs/device-description.md; example in
// lab/examples/device.json. Validated by parseDeviceDescription (parse.ts).

export interface DeviceDescription {
  devInfo: {
    devId: string; // e.g. 'IMEI:493005100592800'
    man: string;
    mod: string;
    dmV?: string; // default '1.2'
    lang?: string; // default 'en-US'
  };
  devDetail?: {
    devTyp?: string;
    oem?: string;
    fwV?: string;
    swV?: string;
    hwV?: string;
    lrgObj?: boolean;
  };
  account: {
    id?: string; // DMAcc node name, default 'dms'
    serverId: string;
    serverUri: string; // http(s)://… for HTTP, or the server URI carried in SyncHdr/Target over MQTT
    name?: string;
    /**
     * Client credential the device sends. `nonce` (base64): the first nonce, agreed with the server at the
     * factory (AAuthData); without it the first session costs a 401 that brings one.
     */
    auth: { type: 'none' | 'basic' | 'md5' | 'hmac'; username: string; password: string; nonce?: string };
    /** Credential the server must present; absent = not checked. `nonce`: the first nonce the server uses. */
    serverAuth?: { type: 'basic' | 'md5' | 'hmac'; username: string; password: string; nonce?: string };
  };
  transport?: {
    kind: 'http' | 'mqtt'; // default 'http'
    encoding?: 'xml' | 'wbxml'; // default 'xml'
    /** MQTT broker URL (mqtt://host:port or mqtts://…), with optional credentials. */
    mqtt?: { url: string; username?: string; password?: string; topicPrefix?: string };
    /** Extra CA certificate file for HTTPS/MQTTS (host only). */
    caFile?: string;
    timeoutMs?: number; // default 30000
    retries?: number; // default 3
  };
  components: Array<{
    node: string; // Deployed/<node> name
    id: string; // component ID (./SCOMO/Inventory/Deployed/<node>/ID)
    name: string;
    version: string;
    description?: string;
    state?: 'active' | 'inactive'; // default 'active'
    pkgIdRef?: string;
  }>;
  schedule?: {
    intervalMinutes: number; // device-initiated check period; must be > 0
    jitterMinutes?: number; // random spread added to each period, default 10% of the interval
    backoffMinutes?: number; // first retry delay after a failure, default 5
    backoffCapMinutes?: number; // default 24 h
  };
  button?: {
    debounceMs?: number; // default 30
    longPressMs?: number; // default 2000
  };
}
