// An xsnap worker with the device's sizes, set per run: its XS stack (DM_XS_STACK_SLOTS), so that agent/
// runs in CI on the stack it gets on the device (640 slots, manifests/shared.json) instead of xsnap's fixed
// 4096; and, when DM_XS_CHUNK_BYTES is set, a chunk heap of that size that never grows, so that running out
// aborts the worker ("memory full") as it aborts the device; and, when DM_XS_HEAP_SLOTS is set, a slot heap
// of that many slots that never grows either. It is the worker @agoric/xsnap built at
// install, relinked with those lines changed; the commands are the ones xsnap's own makefile would run
// (`make -n -B`), so the engine and its options are otherwise unchanged.
// It also has three host functions more (test/xs/preload-link.c): `preloadLink` and `preloadInFlash` apply
// to the heap what the Moddable XS linker does to preloaded modules (test/xs/preload.ts uses them), and
// `limitStack` gives the machine the device's stack once the bundle is loaded and linked.
// The build happens once per xsnap version, under node_modules/.cache; it needs make and a C compiler, which
// installing @agoric/xsnap needed too.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { peersRequired, repoRoot } from '../helpers/peers.js';

export const STACK_ENV = 'DM_XS_STACK_SLOTS';

const creation = (
  JSON.parse(readFileSync(join(repoRoot, 'manifests/shared.json'), 'utf8')) as {
    creation: { stack: number; chunk: { initial: number }; heap: { initial: number } };
  }
).creation;
/** The device's stack, in slots: `creation.stack` of manifests/shared.json. */
export const DEVICE_STACK = creation.stack;
// What the simulator (SDK 8.2.3, 64-bit, the shipped simulator manifest) holds once the agent has booted on
// a fresh device, read with xsbug's instruments (manifests/README.md): 30,584 chunk bytes and 52,896 bytes of
// 32-byte slots. The heap counts one slot fewer than `creation.heap.initial`.
const CHUNK_BYTES_AFTER_BOOT = 30584;
const SLOTS_AFTER_BOOT = 52896 / 32;
/** Chunk bytes the device has left after boot: what a session may need beyond that. */
export const DEVICE_CHUNK_FREE = creation.chunk.initial - CHUNK_BYTES_AFTER_BOOT;
/** Slots the device has left after boot. */
export const DEVICE_SLOTS_FREE = creation.heap.initial - 1 - SLOTS_AFTER_BOOT;
export const CHUNK_ENV = 'DM_XS_CHUNK_BYTES';
export const HEAP_ENV = 'DM_XS_HEAP_SLOTS';

const xsnapDir = join(dirname(fileURLToPath(import.meta.resolve('@agoric/xsnap'))), '..');
const STACK_LINE = /(\n\s*)4096,(\s*\/\* stackCount \*\/)/;
const CHUNK_LINE = /(\n\s*)32 \* 1024 \* 1024,(\s*\/\* initialChunkSize \*\/)/;
const CHUNK_GROWTH_LINE = /(\n\s*)4 \* 1024 \* 1024,(\s*\/\* incrementalChunkSize \*\/)/;
const HEAP_LINE = /(\n\s*)256 \* 1024,(\s*\/\* initialHeapCount \*\/)/;
const HEAP_GROWTH_LINE = /(\n\s*)128 \* 1024,(\s*\/\* incrementalHeapCount \*\/)/;

const PRELOAD_LINK_SOURCE = fileURLToPath(new URL('preload-link.c', import.meta.url));

let built: { path: string } | { error: string } | undefined;

/** The worker binary, built on first use; or why it cannot be built here. */
export function deviceWorker(): { path: string } | { error: string } {
  built ??= build();
  return built;
}

/** For `test(…, { skip })`: false when the worker is there; why not otherwise (an error under DM_PEERS=required). */
export function needDeviceWorker(): string | false {
  const w = deviceWorker();
  if ('path' in w) return false;
  if (peersRequired) throw new Error(`DM_PEERS=required but the device-sized xsnap worker cannot be built: ${w.error}`);
  process.stderr.write(`NOTICE: ${w.error}: the device-size tests are skipped\n`);
  return w.error;
}

function build(): { path: string } | { error: string } {
  if (process.platform !== 'linux') return { error: 'the device-sized worker is built on Linux only' };
  const makefiles = join(xsnapDir, 'xsnap-native/xsnap/makefiles/lin');
  const source = join(xsnapDir, 'xsnap-native/xsnap/sources/xsnap-worker.c');
  const text = readFileSync(source, 'utf8');
  for (const line of [STACK_LINE, CHUNK_LINE, CHUNK_GROWTH_LINE, HEAP_LINE, HEAP_GROWTH_LINE]) {
    if (text.split(line).length !== 4) return { error: `${source}: a creation line (${line.source}) is not where this build expects it` };
  }
  const registration = /(\n\s*)xsResult = xsNewHostFunction\(fx_harden, 1\);/;
  if (text.split(registration).length !== 3) return { error: `${source}: the harden registration is not where this build expects it` };
  const linkSource = readFileSync(PRELOAD_LINK_SOURCE, 'utf8');
  const patched = text
    .replace(STACK_LINE, `$1(getenv("${STACK_ENV}") ? atoi(getenv("${STACK_ENV}")) : 4096),$2`)
    .replace(CHUNK_LINE, `$1(getenv("${CHUNK_ENV}") ? atoi(getenv("${CHUNK_ENV}")) : 32 * 1024 * 1024),$2`)
    .replace(CHUNK_GROWTH_LINE, `$1(getenv("${CHUNK_ENV}") ? 0 : 4 * 1024 * 1024),$2`)
    .replace(HEAP_LINE, `$1(getenv("${HEAP_ENV}") ? atoi(getenv("${HEAP_ENV}")) : 256 * 1024),$2`)
    .replace(HEAP_GROWTH_LINE, `$1(getenv("${HEAP_ENV}") ? 0 : 128 * 1024),$2`)
    .replace(
      registration,
      '$1xsResult = xsNewHostFunction(xs_preloadLink, 1);$1xsDefine(xsGlobal, xsID("preloadLink"), xsResult, xsDontEnum);' +
        '$1xsResult = xsNewHostFunction(xs_preloadInFlash, 1);$1xsDefine(xsGlobal, xsID("preloadInFlash"), xsResult, xsDontEnum);' +
        '$1xsResult = xsNewHostFunction(xs_limitStack, 1);$1xsDefine(xsGlobal, xsID("limitStack"), xsResult, xsDontEnum);$&',
    )
    .replace(
      'static void xsBuildAgent(xsMachine* the);',
      'static void xsBuildAgent(xsMachine* the);\nextern void xs_preloadLink(xsMachine* the);\nextern void xs_preloadInFlash(xsMachine* the);\nextern void xs_limitStack(xsMachine* the);',
    );
  const version = (JSON.parse(readFileSync(join(xsnapDir, 'package.json'), 'utf8')) as { version: string }).version;
  const key = createHash('sha256').update(version).update(patched).update(linkSource).digest('hex').slice(0, 16);
  const outDir = join(repoRoot, 'node_modules/.cache/dm-agent-xsnap', key);
  const bin = join(outDir, 'xsnap-worker');
  if (existsSync(bin)) return { path: bin };

  // What xsnap's makefile runs for its release worker, as text: one compile line per source, then the link.
  const dry = spawnSync(
    'make',
    ['-n', '-B', '-f', 'xsnap-worker.mk', 'GOAL=release', `MODDABLE=${join(xsnapDir, 'moddable')}`, `XSNAP_VERSION=${version}`],
    { cwd: makefiles, encoding: 'utf8' },
  );
  if (dry.status !== 0)
    return { error: `make -n in ${makefiles} failed: ${(dry.stderr || dry.error?.message || '').trim().slice(0, 300)}` };
  const lines = dry.stdout.split('\n');
  const compile = lines.find((l) => /^\S*cc\s/.test(l) && /\/sources\/xsnap-worker\.c\s/.test(l));
  const link = lines.find(
    (l) => /^\S*cc\s/.test(l) && /\/xsnap-worker\.o(\s|$)/.test(l) && /-o\s+\S*\/bin\/lin\/release\/xsnap-worker(\s|$)/.test(l),
  );
  // preload-link.c needs the engine's internals (xsAll.h): it is compiled as an engine source is.
  const engineCompile = lines.find((l) => /^\S*cc\s/.test(l) && /\/xs\/sources\/xsAPI\.c\s/.test(l));
  if (!compile || !link || !engineCompile)
    return { error: "xsnap's makefile did not show the compile and link commands this build expects" };
  const objMatch = /-o\s+(\S*\/xsnap-worker\.o)/.exec(compile);
  if (!objMatch) return { error: "xsnap's compile command has no -o" };
  const builtObj = objMatch[1]!;
  mkdirSync(outDir, { recursive: true });
  // Per-process names until the rename: test files running in parallel may build at the same time.
  const patchedSource = join(outDir, `xsnap-worker.${process.pid}.c`);
  writeFileSync(patchedSource, patched);
  const obj = join(outDir, `xsnap-worker.${process.pid}.o`);
  const tmpBin = `${bin}.${process.pid}`;
  const linkObj = join(outDir, `preload-link.${process.pid}.o`);
  const ccLink = engineCompile
    .replace(/\S*\/xs\/sources\/xsAPI\.c(?=\s)/, PRELOAD_LINK_SOURCE)
    .replace(/-o\s+\S*\/xsAPI\.o/, `-o ${linkObj}`);
  const cc = compile.replace(/\S*\/sources\/xsnap-worker\.c(?=\s)/, patchedSource).replace(/-o\s+\S*\/xsnap-worker\.o/, `-o ${obj}`);
  const ld = link
    .split(builtObj)
    .join(`${obj} ${linkObj}`)
    .replace(/-o\s+\S*\/bin\/lin\/release\/xsnap-worker(?=\s|$)/, `-o ${tmpBin}`);
  for (const [what, cmd] of [
    ['compile', cc],
    ['compile of preload-link.c', ccLink],
    ['link', ld],
  ] as const) {
    const r = spawnSync('sh', ['-c', cmd], { cwd: makefiles, encoding: 'utf8' });
    if (r.status !== 0) return { error: `${what} of the device-sized worker failed: ${(r.stderr || '').trim().slice(0, 400)}` };
  }
  // Renamed into place only once whole: a build cut short leaves no half binary for the next run.
  renameSync(tmpBin, bin);
  rmSync(patchedSource, { force: true });
  rmSync(obj, { force: true });
  rmSync(linkObj, { force: true });
  return { path: bin };
}
