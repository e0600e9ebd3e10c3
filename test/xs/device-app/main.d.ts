// The device's entry module as the bundle sees it: esbuild maps 'device-app:main' to
// platform/moddable/main-sim.ts (host.ts). Declared here because the device's modules import the SDK's
// ('mc/config', 'timer' …), which the host's type check (tsconfig.json) does not know; they are checked by
// platform/moddable/tsconfig.json.
declare module 'device-app:main' {
  /** Builds the device and boots the agent; answers the Piu application. */
  export default function main(): object;
}
