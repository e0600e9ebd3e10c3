// Installer port for the host: a "component" is a JSON package {id, name, version, payload?} (what the lab
// server's catalog serves), installed by copying it into components/ and recording it in installed.json.
// Every change goes through the Storage port's atomic replace, so a power cut leaves the component list
// either before or after an install, and recovery (installer.installed()) always reads a whole list.
import type { ComponentInfo, Downloader, Installer, Storage } from '../../agent/ports.js';
import { DmError } from '../../agent/errors.js';
import { utf8Decode } from '../../agent/util/bytes.js';

interface Record_ extends ComponentInfo {
  active: boolean;
}

const INDEX = 'installed';
const MAX_PACKAGE = 1 << 20;

export class FileInstaller implements Installer {
  constructor(private readonly storage: Storage, private readonly downloader: Downloader, initial: ComponentInfo[] = []) {
    if (storage.read(INDEX) === undefined) this.save(initial.map((c) => ({ ...c, active: true })));
  }

  private load(): Record_[] {
    return JSON.parse(this.storage.read(INDEX) ?? '[]') as Record_[];
  }

  private save(list: Record_[]): void {
    this.storage.write(INDEX, JSON.stringify(list));
  }

  async install(pkgId: string, active: boolean): Promise<ComponentInfo[]> {
    const size = this.downloader.storedSize(pkgId);
    if (size === 0) throw new DmError('DM_ERR_INSTALL', 500, `package ${pkgId} is not in the package store`);
    if (size > MAX_PACKAGE) throw new DmError('DM_ERR_INSTALL', 500, `package ${pkgId} (${size} B) is not a component manifest`);
    let c: Partial<ComponentInfo> & { payload?: unknown };
    try {
      c = JSON.parse(utf8Decode(this.downloader.read(pkgId, 0, size))) as typeof c;
    } catch {
      throw new DmError('DM_ERR_INSTALL', 500, `package ${pkgId} is not JSON`);
    }
    for (const k of ['id', 'name', 'version'] as const) {
      if (typeof c[k] !== 'string' || !c[k]) throw new DmError('DM_ERR_INSTALL', 500, `package ${pkgId} has no ${k}`);
    }
    const info: ComponentInfo = { id: c.id!, name: c.name!, version: c.version! };
    this.storage.write(`component-${info.id.replace(/[^A-Za-z0-9._-]/g, '_')}`, JSON.stringify({ ...info, payload: c.payload ?? null }));
    this.save([...this.load().filter((x) => x.id !== info.id), { ...info, active }]);
    return [info];
  }

  async activate(id: string): Promise<void> {
    this.set(id, true);
  }

  async deactivate(id: string): Promise<void> {
    this.set(id, false);
  }

  async remove(id: string): Promise<void> {
    const list = this.load();
    if (!list.some((c) => c.id === id)) throw new DmError('DM_ERR_NOT_INSTALLED', 404, `component ${id} is not installed`);
    this.save(list.filter((c) => c.id !== id));
    this.storage.remove(`component-${id.replace(/[^A-Za-z0-9._-]/g, '_')}`);
  }

  installed(): ComponentInfo[] {
    return this.load().map(({ id, name, version }) => ({ id, name, version }));
  }

  /** Components with their activation state (for the lab's inventory display). */
  list(): { id: string; name: string; version: string; active: boolean }[] {
    return this.load();
  }

  private set(id: string, active: boolean): void {
    const list = this.load();
    const c = list.find((x) => x.id === id);
    if (!c) throw new DmError('DM_ERR_NOT_INSTALLED', 404, `component ${id} is not installed`);
    c.active = active;
    this.save(list);
  }
}
