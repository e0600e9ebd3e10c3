// Installer port for Moddable devices: a component is a package (lib/mod-package.ts) whose optional payload
// is a Moddable mod archive. Installing writes the archive into the mod slot (the ESP32 mod partition) and
// records the component in the installed-components record, one Storage key replaced atomically; the
// record is written after the slot, so an install cut by a power loss is simply run again (the core's SCOMO
// journal does that) and ends in the same state. A mod is loaded by XS when the VM starts: a new one runs
// after the next restart, and the host imports the entry module of each active mod at boot (app.ts).
// Deactivate and Activate change what the host imports at the next boot; they cannot unload running code.
import type { ComponentInfo, Downloader, Installer, Log, Storage } from '../../agent/ports.js';
import { DmError, errorMessage } from '../../agent/errors.js';
import { parsePackage } from './lib/mod-package.js';
import { afterInstall, find, parseInstalled, type InstalledComponent } from './lib/components.js';
import type { ModSlot } from './lib/mod-slot.js';

const KEY = 'installed';

export interface ModInstallerOptions {
  storage: Storage;
  downloader: Downloader;
  slot: ModSlot;
  /** The factory components (the device description's), recorded on first boot. */
  initial: ComponentInfo[];
  log?: Log;
}

export class ModInstaller implements Installer {
  constructor(private readonly o: ModInstallerOptions) {
    if (o.storage.read(KEY) === undefined)
      this.save(o.initial.map((c) => ({ id: c.id, name: c.name, version: c.version, active: true, mod: false })));
  }

  private load(): InstalledComponent[] {
    return parseInstalled(this.o.storage.read(KEY)) ?? [];
  }

  private save(list: InstalledComponent[]): void {
    this.o.storage.write(KEY, JSON.stringify(list));
  }

  async install(pkgId: string, active: boolean): Promise<ComponentInfo[]> {
    const { downloader, slot } = this.o;
    const size = downloader.storedSize(pkgId);
    if (size === 0) throw new DmError('DM_ERR_INSTALL', 500, `package ${pkgId} is not in the package store`);
    const p = parsePackage(pkgId, size, (off, n) => downloader.read(pkgId, off, n));
    const list = this.load();
    const c: InstalledComponent = { ...p.info, active, mod: p.archiveLength > 0 };
    if (p.module) c.module = p.module;
    const next = afterInstall(list, c);
    try {
      if (c.mod) slot.write(p.archiveLength, (off, n) => downloader.read(pkgId, p.archiveOffset + off, n));
      else if (list.some((x) => x.id === c.id && x.mod)) slot.clear();
    } catch (e) {
      throw e instanceof DmError ? e : new DmError('DM_ERR_INSTALL', 500, `mod slot write failed: ${errorMessage(e)}`);
    }
    this.save(next);
    this.o.log?.log('info', `installed ${c.id} ${c.version}${c.mod ? ' (mod: runs after a restart)' : ''}`);
    return [p.info];
  }

  async activate(id: string): Promise<void> {
    this.set(id, true);
  }

  async deactivate(id: string): Promise<void> {
    this.set(id, false);
  }

  async remove(id: string): Promise<void> {
    const list = this.load();
    const c = find(list, id);
    if (c.mod) this.o.slot.clear();
    this.save(list.filter((x) => x.id !== id));
  }

  installed(): ComponentInfo[] {
    return this.load().map(({ id, name, version }) => ({ id, name, version }));
  }

  /** Entry modules of the active components that carry a mod, for the host to import at boot. */
  activeModules(): string[] {
    return this.load()
      .filter((c) => c.active && c.mod && c.module)
      .map((c) => c.module!);
  }

  private set(id: string, active: boolean): void {
    const list = this.load();
    find(list, id).active = active;
    this.save(list);
  }
}
