// Stand-in for the "mc/config" module mcconfig generates from the manifest's "config" (tools/mcconfig.js,
// ConfigFile): the object, frozen deep (XS's Object.freeze(o, true)). The test's host chooses the object for
// each bundle (test/xs/device-app/host.ts, deviceConfig()); esbuild puts it in place of DEVICE_APP_CONFIG.
declare const DEVICE_APP_CONFIG: Record<string, unknown>;

// Called as a method: XS's freeze needs Object as `this` for its second argument.
export default (Object as unknown as { freeze<T>(o: T, deep: boolean): T }).freeze(DEVICE_APP_CONFIG, true);
