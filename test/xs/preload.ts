// Preload fidelity: loads a bundle on an XS worker the way the Moddable build loads preloaded modules. The
// bundle's module bodies run (as xsl runs them on the build machine), then `preloadLink` (preload-link.c,
// built into the device-sized worker) treats whatever exists at that point as the linker leaves it in flash:
// functions, scopes, class prototypes and built-in prototypes frozen, the internals of Maps, Sets, WeakMaps
// and buffers made at load read-only, a module variable holding a function constant. Ordinary objects and
// other module variables stay writable, as XS keeps their changes in RAM. Only after that does the caller
// start anything (boot the agent, run sessions), as the device's main does.
//
// One rule needs JavaScript around the host functions: an object in flash cannot be a WeakMap key or a WeakSet
// value (XS: "key: read-only"). The prelude wraps those two methods before they are frozen; after the link
// they refuse a value that `preloadInFlash` says was alive at link time (the link keeps all of those alive,
// as flash keeps them on the device).
//
// Use: `await evaluatePreloaded(worker, bundle)` on a worker started with `deviceWorkerSpawn()` (or any spawn of
// test/xs/device-worker.ts's binary); `preloadSkip()` for a test's `skip` when that worker cannot be built.
import { spawn } from 'node:child_process';
import { deviceWorker, needDeviceWorker } from './device-worker.js';

/** Evaluated before the bundle: the weak-key guard, off until the link. */
export const PRELOAD_PRELUDE = `(() => {
  const linked = { done: false, keep: undefined };
  const weakMapSet = WeakMap.prototype.set;
  const weakSetAdd = WeakSet.prototype.add;
  // XS checks the collection first ("read-only WeakMap instance"), then the key: the same order here.
  const refuse = (collection, what, v) => {
    if (linked.done && !preloadInFlash(collection) && (typeof v === 'object' || typeof v === 'function') && v !== null && preloadInFlash(v))
      throw new TypeError(what + ': read-only (an object made when a module loaded is in flash on the device)');
  };
  Object.defineProperty(WeakMap.prototype, 'set', { value: function set(k, v) { refuse(this, 'WeakMap key', k); return weakMapSet.call(this, k, v); }, writable: true, configurable: true });
  Object.defineProperty(WeakSet.prototype, 'add', { value: function add(v) { refuse(this, 'WeakSet value', v); return weakSetAdd.call(this, v); }, writable: true, configurable: true });
  Object.defineProperty(globalThis, '__preloadLinked', { value: linked });
})();`;

/** Evaluated after the bundle: the link. Throws on a worker without `preloadLink`. */
export const PRELOAD_LINK = `(() => {
  if (typeof preloadLink !== 'function') throw new Error('this XS worker has no preloadLink: start it with deviceWorkerSpawn()');
  const linked = globalThis.__preloadLinked;
  const list = [];
  preloadLink(list);
  linked.keep = list;
  linked.done = true;
})();`;

interface EvaluatingWorker<R> {
  evaluate(code: string): Promise<R>;
}

/** Evaluates `script` on `worker` as preloaded modules: prelude, module bodies, link; the script's result. */
export async function evaluatePreloaded<R>(worker: EvaluatingWorker<R>, script: string): Promise<R> {
  await worker.evaluate(PRELOAD_PRELUDE);
  const r = await worker.evaluate(script);
  await worker.evaluate(PRELOAD_LINK);
  return r;
}

/** A spawn for @agoric/xsnap that starts the device-sized worker (which has `preloadLink`) with `env` added. */
export function deviceWorkerSpawn(env: Record<string, string> = {}): typeof spawn {
  const w = deviceWorker();
  if ('error' in w) throw new Error(w.error);
  return ((_bin: string, args: string[], opts: { env?: NodeJS.ProcessEnv }) =>
    spawn(w.path, args, { ...opts, env: { ...(opts.env ?? process.env), ...env } })) as unknown as typeof spawn;
}

/** For `test(…, { skip })`: false when preload fidelity is available here (an error under DM_PEERS=required). */
export function preloadSkip(): string | false {
  return needDeviceWorker();
}
