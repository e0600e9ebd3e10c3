// The Moddable manifests against the repository, without the SDK (it is not installed here):
// - every repository module a manifest names exists, under the module name XS resolves relative imports by
//   (its path from the repository root), and the import closure of each build's entry is in that build;
// - every Moddable module the device code imports is declared in our typings (@moddable/typings files listed
//   in platform/moddable/tsconfig.json, or platform/moddable/types) and provided by a manifest the build
//   includes. SDK manifests ($(MODDABLE)/…) can only be checked by name: SDK_MANIFESTS below is our own list
//   of which SDK manifest provides which module, taken from the SDK's manifests (8.2.3) and to be kept in step;
// - no device or agent file imports node:*, platform/node or lab/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { readDeviceConfig, DEFAULT_LIST_MAX_NODES, DEFAULT_MAX_MSG_SIZE, DEFAULT_TREE } from '../../../platform/moddable/lib/config.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const rel = (p: string) => relative(root, p).split(sep).join('/');

/** SDK manifest → the modules (import specifiers) it brings into a build, as far as this project uses them. */
const SDK_MANIFESTS: Record<string, string[]> = {
  // manifest_base includes the platform's device manifest (time, timer) and $(MODULES)/files/resource.
  '$(MODDABLE)/examples/manifest_base.json': ['time', 'timer', 'Resource'],
  '$(MODDABLE)/examples/manifest_piu.json': ['piu/MC'],
  '$(MODDABLE)/modules/network/http/manifest.json': ['http'],
  '$(MODDABLE)/modules/network/mqtt/manifest.json': ['mqtt'],
  // tls.json includes tls_common.json: crypt (digest), rng, the resource module and the CA store.
  '$(MODDABLE)/modules/crypt/tls.json': ['securesocket', 'crypt', 'rng', 'Resource'],
  '$(MODDABLE)/modules/files/preference/manifest.json': ['preference'],
  '$(MODDABLE)/modules/base/modules/manifest.json': ['modules'],
  '$(MODDABLE)/modules/data/text/decoder/manifest.json': ['text/decoder'],
  '$(MODDABLE)/modules/data/text/encoder/manifest.json': ['text/encoder'],
  '$(MODDABLE)/modules/io/manifest.json': [
    'embedded:io/digital',
    'embedded:io/analog',
    'embedded:io/i2c',
    'embedded:io/spi',
    'embedded:io/serial',
  ],
  '$(MODDABLE)/modules/files/flash/manifest.json': ['flash'],
  '$(MODDABLE)/modules/files/file/manifest_littlefs.json': ['file'],
  '$(MODDABLE)/modules/files/file/manifest.json': ['file'],
  // The ESP32 OTA writer (esp32 only: its manifest errors on any other platform).
  '$(MODDABLE)/build/devices/esp32/modules/ota/manifest.json': ['ota'],
};
/** Modules mcconfig generates for every build. */
const ALWAYS = ['mc/config'];

type Json = Record<string, unknown>;
interface Loaded {
  path: string;
  json: Json;
}

function loadTree(path: string, out: Loaded[] = []): Loaded[] {
  assert.ok(existsSync(path), `manifest ${rel(path)} exists`);
  const json = JSON.parse(readFileSync(path, 'utf8')) as Json;
  out.push({ path, json });
  const inc = json.include === undefined ? [] : Array.isArray(json.include) ? (json.include as string[]) : [json.include as string];
  for (const i of inc) {
    if (i.startsWith('$(')) assert.ok(i in SDK_MANIFESTS, `${rel(path)} includes ${i}, which is not in the list of known SDK manifests`);
    else loadTree(resolve(dirname(path), i), out);
  }
  return out;
}

/** Repository modules of one manifest: name → file. Wildcards expand to the .ts files of the folder. */
function repoModules(m: Loaded): Map<string, string> {
  const out = new Map<string, string>();
  const modules = (m.json.modules ?? {}) as Record<string, string | string[]>;
  for (const [key, value] of Object.entries(modules)) {
    for (const source of Array.isArray(value) ? value : [value]) {
      if (source.startsWith('$(')) continue;
      const abs = resolve(dirname(m.path), source);
      const fromRoot = rel(abs);
      assert.ok(!fromRoot.startsWith('..'), `${rel(m.path)}: module ${key} points outside the repository`);
      if (key.endsWith('/*')) {
        assert.ok(source.endsWith('/*'), `${rel(m.path)}: wildcard key ${key} needs a wildcard source`);
        // XS resolves './x.js' against the importing module's name, so names must be paths from the root.
        assert.equal(key, fromRoot, `${rel(m.path)}: module name ${key} is not its path from the repository root (${fromRoot})`);
        const dir = abs.slice(0, -2);
        assert.ok(existsSync(dir) && statSync(dir).isDirectory(), `${rel(m.path)}: folder ${rel(dir)} exists`);
        const files = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
        assert.ok(files.length > 0, `${rel(m.path)}: ${rel(dir)} holds TypeScript modules`);
        for (const f of files) out.set(`${key.slice(0, -1)}${f.slice(0, -3)}`, join(dir, f));
      } else {
        assert.equal(key, fromRoot, `${rel(m.path)}: module name ${key} is not its path from the repository root (${fromRoot})`);
        assert.ok(existsSync(`${abs}.ts`), `${rel(m.path)}: module ${key} → ${rel(abs)}.ts exists`);
        out.set(key, `${abs}.ts`);
      }
    }
  }
  return out;
}

interface Build {
  name: string;
  manifests: Loaded[];
  modules: Map<string, string>;
  sdk: Set<string>;
  main: string;
  preload: string[];
}

function build(name: string, path: string): Build {
  const manifests = loadTree(join(root, path));
  const modules = new Map<string, string>();
  const sdk = new Set<string>(ALWAYS);
  let main = 'main';
  const preload: string[] = [];
  for (const m of manifests) {
    for (const [k, v] of repoModules(m)) modules.set(k, v);
    const inc =
      m.json.include === undefined ? [] : Array.isArray(m.json.include) ? (m.json.include as string[]) : [m.json.include as string];
    for (const i of inc) for (const s of SDK_MANIFESTS[i] ?? []) sdk.add(s);
    const creation = m.json.creation as Json | undefined;
    if (typeof creation?.main === 'string') main = creation.main;
    const p = m.json.preload;
    if (Array.isArray(p)) preload.push(...(p as string[]));
    else if (typeof p === 'string') preload.push(p);
  }
  return { name, manifests, modules, sdk, main, preload };
}

/** Every module specifier a TypeScript file imports or re-exports (type-only ones included). */
function specifiers(file: string): string[] {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, false);
  const out: string[] = [];
  const visit = (n: ts.Node) => {
    if ((ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) && n.moduleSpecifier && ts.isStringLiteral(n.moduleSpecifier))
      out.push(n.moduleSpecifier.text);
    else if (
      ts.isImportEqualsDeclaration(n) &&
      ts.isExternalModuleReference(n.moduleReference) &&
      ts.isStringLiteral(n.moduleReference.expression)
    )
      out.push(n.moduleReference.expression.text);
    else if (
      ts.isCallExpression(n) &&
      n.arguments.length === 1 &&
      ts.isStringLiteral(n.arguments[0]!) &&
      (n.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(n.expression) && n.expression.text === 'require'))
    )
      out.push(n.arguments[0].text);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

/** The repository module a relative specifier of `from` names ('./x.js' → the name of x.ts). */
function relativeTarget(from: string, spec: string): { name: string; file: string } {
  const abs = resolve(dirname(from), spec.replace(/\.js$/, ''));
  return { name: rel(abs), file: `${abs}.ts` };
}

const NODE_GLOBALS = new Set(['process', 'Buffer', 'require', 'setImmediate', 'queueMicrotask', '__dirname', 'TextEncoder', 'TextDecoder']);

/** Free identifiers naming a Node (or web) global XS does not have, outside property names. */
function nodeGlobals(file: string): string[] {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const out: string[] = [];
  const visit = (n: ts.Node) => {
    if (ts.isIdentifier(n) && NODE_GLOBALS.has(n.text)) {
      const p = n.parent;
      const isName =
        (ts.isPropertyAccessExpression(p) && p.name === n) ||
        ((ts.isPropertyAssignment(p) ||
          ts.isPropertyDeclaration(p) ||
          ts.isPropertySignature(p) ||
          ts.isMethodDeclaration(p) ||
          ts.isMethodSignature(p)) &&
          p.name === n);
      if (!isName) out.push(n.text);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

function walk(dir: string, out: string[] = []): string[] {
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (n.endsWith('.ts')) out.push(p);
  }
  return out;
}

const builds = [build('device', 'manifests/device/manifest.json'), build('simulator', 'manifests/simulator/manifest.json')];

for (const b of builds) {
  test(`${b.name} build: the entry, the preloaded modules and their whole import closure are in the build`, () => {
    assert.ok(b.modules.has(b.main), `creation.main ${b.main} is a module of the build`);
    for (const p of b.preload)
      if (p.startsWith('platform/') || p.startsWith('agent/'))
        assert.ok(b.modules.has(p) || p.endsWith('/*'), `preloaded ${p} is a module of the build`);
    const seen = new Set<string>();
    const queue = [b.main, ...b.preload.filter((p) => b.modules.has(p))];
    const sdkUsed = new Set<string>();
    while (queue.length) {
      const name = queue.shift()!;
      if (seen.has(name)) continue;
      seen.add(name);
      const file = b.modules.get(name);
      assert.ok(file, `${name} (imported in the ${b.name} build) is listed in its manifests`);
      for (const s of specifiers(file)) {
        if (s.startsWith('.')) {
          const t = relativeTarget(file, s);
          assert.ok(existsSync(t.file), `${rel(file)} imports ${s}, which exists`);
          queue.push(t.name);
        } else {
          sdkUsed.add(s);
          assert.ok(b.sdk.has(s), `${rel(file)} imports '${s}', which no manifest of the ${b.name} build provides (see SDK_MANIFESTS)`);
        }
      }
    }
    assert.ok(seen.size > 40, `the closure covers the agent (${seen.size} modules)`);
    assert.ok(sdkUsed.has('mc/config') && sdkUsed.has('timer'), 'the closure reaches the SDK modules');
  });
}

test('the device build carries the board button and the mod partition; the simulator neither', () => {
  const [device, sim] = builds;
  assert.ok(
    device!.modules.has('platform/moddable/button') && device!.modules.has('platform/moddable/flash-mod-slot'),
    "device!.modules.has('platform/moddable/button') && device!.modules.has('platform/moddable/flash-mod-slot')",
  );
  assert.ok(
    !sim!.modules.has('platform/moddable/button') && !sim!.modules.has('platform/moddable/flash-mod-slot'),
    "!sim!.modules.has('platform/moddable/button') && !sim!.modules.has('platform/moddable/flash-mod-slot')",
  );
  assert.ok(
    !sim!.sdk.has('embedded:io/digital') && !sim!.sdk.has('flash'),
    "!sim!.sdk.has('embedded:io/digital') && !sim!.sdk.has('flash')",
  );
  // The firmware slots: ESP-IDF's OTA (the SDK's ota module and our native module) on the device, files on the simulator.
  for (const m of ['platform/moddable/esp32-firmware-slots', 'platform/moddable/native/esp-ota'])
    assert.ok(device!.modules.has(m) && device!.preload.includes(m) && !sim!.modules.has(m), `${m}: device only, preloaded`);
  assert.ok(device!.sdk.has('ota') && !sim!.sdk.has('ota'), "the SDK's ota module is in the device build only");
  const fileSlots = 'platform/moddable/file-firmware-slots';
  assert.ok(
    sim!.modules.has(fileSlots) && sim!.preload.includes(fileSlots) && !device!.modules.has(fileSlots),
    `${fileSlots}: simulator only`,
  );
  // The native module's C file sits beside its JavaScript side: mcconfig compiles both for the module name.
  assert.ok(existsSync(join(root, 'platform/moddable/native/esp-ota.c')), 'platform/moddable/native/esp-ota.c exists');
});

interface Partition {
  name: string;
  type: string;
  subtype: string;
  offset: number;
  size: number;
}

/** The rows of an ESP-IDF partition table CSV (offsets and sizes in hex, as this table writes them). */
function partitions(text: string): Partition[] {
  const rows: Partition[] = [];
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (!t || t.startsWith('#')) continue;
    const [name, type, subtype, offset, size] = t.split(',').map((c) => c.trim());
    assert.ok(/^0x[0-9a-fA-F]+$/.test(offset!) && /^0x[0-9a-fA-F]+$/.test(size!), `${name}: offset and size in hex`);
    rows.push({ name: name!, type: type!, subtype: subtype!, offset: Number(offset), size: Number(size) });
  }
  return rows;
}

test('the device partition table: two equal OTA app slots, otadata, the mod partition, storage, all inside the 4 MB flash', () => {
  const rows = partitions(readFileSync(join(root, 'manifests/device/partitions.csv'), 'utf8'));
  const by = (name: string) => {
    const r = rows.find((p) => p.name === name);
    assert.ok(r, `partition ${name} present`);
    return r;
  };
  const ota0 = by('ota_0');
  const ota1 = by('ota_1');
  assert.deepEqual([ota0.type, ota0.subtype, ota1.type, ota1.subtype], ['app', 'ota_0', 'app', 'ota_1']);
  assert.equal(ota0.size, ota1.size, 'the two slots are the same size: either can hold what the other runs');
  assert.ok(!rows.some((p) => p.subtype === 'factory'), 'no factory app: mcconfig would split it, and the slots are the app');
  const otadata = by('otadata');
  assert.deepEqual([otadata.type, otadata.subtype, otadata.size], ['data', 'ota', 0x2000], 'otadata: two 4 KB sectors');
  assert.deepEqual([by('xs').type, by('xs').subtype, by('xs').size], ['0x40', '1', 0x40000], 'the 256 KB mod partition stays');
  const storage = by('storage');
  // littlefs must hold the largest package besides the DM files.
  const shared = JSON.parse(readFileSync(join(root, 'manifests/shared.json'), 'utf8')) as { config: { dm: { maxPackageBytes: number } } };
  assert.ok(storage.size >= shared.config.dm.maxPackageBytes + 64 * 1024, 'storage holds a package of dm.maxPackageBytes and 64 KB more');
  // ESP-IDF: app partitions at 64 KB boundaries, data at 4 KB; nothing before 0x9000 (bootloader, partition table).
  const FLASH = 4 * 1024 * 1024;
  const sorted = [...rows].sort((a, b) => a.offset - b.offset);
  assert.ok(sorted[0]!.offset >= 0x9000, 'the table starts after the bootloader and the partition table');
  for (const [i, p] of sorted.entries()) {
    const align = p.type === 'app' ? 0x10000 : 0x1000;
    assert.equal(p.offset % align, 0, `${p.name} at a ${align.toString(16)} boundary`);
    assert.equal(p.size % 0x1000, 0, `${p.name}: whole sectors`);
    const next = sorted[i + 1];
    if (next) assert.ok(p.offset + p.size <= next.offset, `${p.name} does not overlap ${next.name}`);
    else assert.ok(p.offset + p.size <= FLASH, `${p.name} ends inside the 4 MB flash`);
  }
  assert.equal(ota0.offset + ota0.size, ota1.offset, 'the slots are adjacent');
});

test('the device build turns on the bootloader rollback the firmware update needs', () => {
  const device = JSON.parse(readFileSync(join(root, 'manifests/device/manifest.json'), 'utf8')) as {
    build: Record<string, string>;
    typescript: { tsconfig: { compilerOptions: { types: string[] } } };
  };
  const dir = resolve(root, 'manifests/device', device.build.SDKCONFIGPATH!);
  const defaults = readFileSync(join(dir, 'sdkconfig.defaults'), 'utf8').split('\n');
  assert.ok(defaults.includes('CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE=y'), 'CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE=y');
  for (const t of device.typescript.tsconfig.compilerOptions.types)
    assert.ok(existsSync(resolve(root, 'manifests/device', `${t}.d.ts`)), `${t}.d.ts exists`);
});

/** Module names declared by the typings platform/moddable/tsconfig.json hands to tsc, and by types/. */
function declaredModules(): { declared: Set<string>; paths: Record<string, string[]> } {
  const tsconfigPath = join(root, 'platform/moddable/tsconfig.json');
  const cfg = JSON.parse(readFileSync(tsconfigPath, 'utf8')) as { compilerOptions: { types: string[]; paths?: Record<string, string[]> } };
  const files = cfg.compilerOptions.types.map((t) => resolve(dirname(tsconfigPath), t.endsWith('.d.ts') ? t : `${t}.d.ts`));
  files.push(...walk(join(root, 'platform/moddable/types')));
  const declared = new Set<string>();
  for (const f of files) {
    assert.ok(existsSync(f), `typings file ${rel(f)} exists`);
    for (const m of readFileSync(f, 'utf8').matchAll(/declare\s+module\s+["']([^"']+)["']/g)) declared.add(m[1]!);
  }
  return { declared, paths: cfg.compilerOptions.paths ?? {} };
}

test('every Moddable module the device code imports is declared in our typings and provided by a manifest', () => {
  const { declared, paths } = declaredModules();
  const provided = new Set(builds.flatMap((b) => [...b.sdk]));
  const used = new Set<string>();
  for (const f of walk(join(root, 'platform/moddable'))) {
    if (f.endsWith('.d.ts')) continue;
    for (const s of specifiers(f)) {
      if (s.startsWith('.')) continue;
      used.add(s);
      assert.ok(
        declared.has(s),
        `${rel(f)} imports '${s}', declared nowhere in @moddable/typings (tsconfig types) or platform/moddable/types`,
      );
      assert.ok(provided.has(s), `${rel(f)} imports '${s}', which no manifest provides`);
      // A name that is also an npm package here must be mapped to our declaration, or tsc reads the package.
      if (existsSync(join(root, 'node_modules', s)))
        assert.ok(paths[s], `'${s}' is an npm package in node_modules: map it in platform/moddable/tsconfig.json paths`);
    }
  }
  for (const m of ['timer', 'file', 'http', 'mqtt', 'crypt', 'text/decoder', 'text/encoder', 'embedded:io/digital', 'mc/config']) {
    assert.ok(used.has(m), `the device code uses ${m} (the check above saw it)`);
  }
});

test('the types handed to mcconfig exist; the Piu globals (Style, Skin, Port …) are among them', () => {
  const shared = JSON.parse(readFileSync(join(root, 'manifests/shared.json'), 'utf8')) as {
    typescript: { tsconfig: { compilerOptions: { types: string[] } } };
  };
  const types = shared.typescript.tsconfig.compilerOptions.types;
  for (const t of types) {
    // The SDK's own typings are checked against @moddable/typings, the npm package of the same files.
    const file = t.startsWith('$(MODDABLE)/typings/')
      ? join(root, 'node_modules/@moddable/typings', `${t.slice('$(MODDABLE)/typings/'.length)}.d.ts`)
      : resolve(root, 'manifests', `${t}.d.ts`);
    assert.ok(existsSync(file), `${t}.d.ts exists`);
    assert.ok(!t.includes('compat'), 'compat declarations stay out of the SDK build (the SDK declares those modules itself)');
  }
  // manifest_typings.json adds piu/MC to the types for the pebble platform only: without it every Piu global
  // of display.ts is unknown to the per-file tsc of mcconfig (seen with SDK 8.2.3).
  assert.ok(types.includes('$(MODDABLE)/typings/piu/MC'), "types.includes('$(MODDABLE)/typings/piu/MC')");
});

test('every repository module the shared manifest names is preloaded, by name (mcconfig matches wildcards against .js files only)', () => {
  const sharedPath = join(root, 'manifests/shared.json');
  const shared: Loaded = { path: sharedPath, json: JSON.parse(readFileSync(sharedPath, 'utf8')) as Json };
  const names = [...repoModules(shared).keys()];
  const preload = shared.json.preload as string[];
  assert.ok(names.length > 50, 'names.length > 50');
  assert.deepEqual(
    preload.filter((p) => p.includes('*')),
    [],
    'no wildcard: it would preload nothing',
  );
  assert.deepEqual(
    names.filter((n) => !preload.includes(n)),
    [],
    'modules not preloaded (their classes would take RAM)',
  );
  assert.deepEqual(
    preload.filter((p) => !names.includes(p)),
    [],
    'preloaded names that are not modules of the build',
  );
});

/**
 * Calls at the top level of a module (not inside a function or class body) of something imported from an SDK
 * module. A preloaded module runs in the XS linker, where native functions are unavailable: such a call fails
 * the build ("link: unavailable function", seen with text/encoder).
 */
function topLevelSdkCalls(file: string, text = readFileSync(file, 'utf8')): string[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const sdkNames = new Set<string>();
  for (const st of sf.statements) {
    if (!ts.isImportDeclaration(st) || !ts.isStringLiteral(st.moduleSpecifier) || st.moduleSpecifier.text.startsWith('.')) continue;
    const c = st.importClause;
    if (!c || c.isTypeOnly) continue;
    if (c.name) sdkNames.add(c.name.text);
    if (c.namedBindings && ts.isNamedImports(c.namedBindings))
      for (const e of c.namedBindings.elements) if (!e.isTypeOnly) sdkNames.add(e.name.text);
    if (c.namedBindings && ts.isNamespaceImport(c.namedBindings)) sdkNames.add(c.namedBindings.name.text);
  }
  const out: string[] = [];
  const root = (e: ts.Expression): ts.Expression => (ts.isPropertyAccessExpression(e) ? root(e.expression) : e);
  const visit = (n: ts.Node) => {
    if (ts.isFunctionLike(n) || ts.isClassLike(n)) return; // bodies run later, on the device
    if (ts.isCallExpression(n) || ts.isNewExpression(n)) {
      const callee = root(n.expression);
      if (ts.isIdentifier(callee) && sdkNames.has(callee.text)) out.push(n.getText(sf).slice(0, 60));
    }
    ts.forEachChild(n, visit);
  };
  for (const st of sf.statements) if (!ts.isImportDeclaration(st)) visit(st);
  return out;
}

test('no preloaded module calls into an SDK module when it loads', () => {
  for (const b of builds) {
    for (const p of b.preload) {
      const file = b.modules.get(p);
      if (!file) continue;
      assert.deepEqual(topLevelSdkCalls(file), [], `${p} calls an SDK module at its top level`);
    }
  }
  // The check sees such a call, and not one in a function.
  const probe = [
    "import SdkTextEncoder from 'text/encoder';",
    'const encoder = new SdkTextEncoder();',
    "export const later = () => new SdkTextEncoder().encode('runs on the device');",
    'export default encoder;',
  ].join('\n');
  assert.deepEqual(topLevelSdkCalls('probe.ts', probe), ['new SdkTextEncoder()']);
});

/**
 * SDK modules that the SDK does not preload on every platform, because their module body needs the device
 * (SDK 8.2.3: modules/files/preference/manifest.json preloads `preference` except on "lin", whose class reads
 * its file when it loads). A preloaded module must not import one: what it imports is preloaded with it. On
 * the simulator that broke every write of the settings. The entry modules (not preloaded) hand them in.
 */
const NOT_PRELOADABLE = ['preference'];

test('no preloaded module imports an SDK module that cannot be preloaded (preference): the entry modules hand it in', () => {
  for (const b of builds) {
    const preloaded = b.preload
      .map((p) => [p, b.modules.get(p)] as const)
      .filter((e): e is readonly [string, string] => e[1] !== undefined);
    assert.ok(preloaded.length > 50, `${b.name}: preloaded modules found`);
    for (const [name, file] of preloaded) {
      assert.deepEqual(
        specifiers(file).filter((s) => NOT_PRELOADABLE.includes(s)),
        [],
        `${b.name}: preloaded ${name} imports an SDK module that cannot be preloaded`,
      );
    }
    const main = b.modules.get(b.main);
    assert.ok(main && !b.preload.includes(b.main), `${b.name}: the entry ${b.main} is a module of the build and not preloaded`);
    assert.ok(specifiers(main).includes('preference'), `${b.name}: the entry imports preference and hands it to startDevice`);
  }
});

test('the device and the simulator run with the same memory (creation sizes come from shared.json alone)', () => {
  const sizes = (b: Build) =>
    b.manifests
      .map((m) => {
        const c = { ...((m.json.creation as Json | undefined) ?? {}) };
        delete c.main;
        return Object.keys(c).length ? c : undefined;
      })
      .filter((c) => c !== undefined);
  const [device, sim] = builds;
  assert.deepEqual(sizes(device!), sizes(sim!));
  assert.equal(sizes(device!).length, 1, 'one manifest sets them');
  const c = sizes(device!)[0] as {
    chunk: { initial: number; incremental: number };
    heap: { initial: number; incremental: number };
    stack: number;
  };
  // Measured on the SDK's simulator (manifests/README.md): a user update needs more than 4096 slots, more than
  // 32 KB of chunks and 499 stack slots; a fixed heap (incremental 0) fails the same way on the board.
  assert.ok(
    c.heap.initial >= 5120 && c.chunk.initial >= 49152 && c.stack >= 600,
    'c.heap.initial >= 5120 && c.chunk.initial >= 49152 && c.stack >= 600',
  );
  assert.equal(c.heap.incremental, 0);
  assert.equal(c.chunk.incremental, 0);
});

test('the shared config is valid and spells out the sizes the simulator checks were run with (the defaults)', () => {
  const shared = JSON.parse(readFileSync(join(root, 'manifests/shared.json'), 'utf8')) as { config: { dm: Record<string, unknown> } };
  const c = readDeviceConfig({ file: { root: '/' }, dm: shared.config.dm });
  assert.deepEqual([c.maxMsgSize, c.tree, c.listMaxNodes], [DEFAULT_MAX_MSG_SIZE, DEFAULT_TREE, DEFAULT_LIST_MAX_NODES]);
});

test('no device or agent file imports node:*, platform/node or lab/', () => {
  const files = [...walk(join(root, 'platform/moddable')), ...walk(join(root, 'agent'))];
  assert.ok(files.length > 50, 'files.length > 50');
  for (const f of files) {
    for (const s of specifiers(f)) {
      assert.ok(!s.startsWith('node:'), `${rel(f)} imports ${s}`);
      if (s.startsWith('.')) {
        const target = rel(resolve(dirname(f), s));
        assert.ok(
          !target.startsWith('platform/node') && !target.startsWith('lab/') && !target.startsWith('test/'),
          `${rel(f)} imports ${target}`,
        );
      }
    }
    const g = nodeGlobals(f);
    assert.deepEqual(g, [], `${rel(f)} uses Node-only globals ${g.join(', ')}`);
  }
});

test('the checks fail when a module is missing', () => {
  // The same functions against a manifest that names a module the repository does not have.
  const fake: Loaded = {
    path: join(root, 'manifests/fake.json'),
    json: { modules: { 'platform/moddable/nope': '../platform/moddable/nope' } },
  };
  assert.throws(() => repoModules(fake), /nope/);
  const misnamed: Loaded = { path: join(root, 'manifests/fake.json'), json: { modules: { clock: '../platform/moddable/clock' } } };
  assert.throws(() => repoModules(misnamed), /not its path from the repository root/);
  assert.throws(() => loadTree(join(root, 'manifests/absent.json')), /exists/);
});
