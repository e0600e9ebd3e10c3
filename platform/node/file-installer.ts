// Installer port for the host: a "component" is a JSON package {id, name, version, payload?} (what the lab
// server's catalog serves), installed by copying it into components/ and recording it in installed.json.
// Every change goes through the Storage port's atomic replace, so a power cut leaves the component list
// either before or after an install, and recovery (installer.installed()) always reads a whole list.
import type { ComponentInfo, Downloader, Installer, Log, Storage } from '../../agent/ports.js';
import { DmError } from '../../agent/errors.js';
import { utf8Decode } from '../../agent/util/bytes.js';

interface Record_ extends ComponentInfo {
  active: boolean;
}

const INDEX = 'installed';
/** The largest package the Node device installs (a JSON component manifest): SCOMO refuses a larger one before the download. */
export const MAX_PACKAGE = 1 << 20;

export class FileInstaller implements Installer {
  /**
   * `where` names the index in messages (its file, on the host); `log` is told when an unreadable index is
   * kept aside and rebuilt.
   */
  constructor(
    private readonly storage: Storage,
    private readonly downloader: Downloader,
    private readonly initial: ComponentInfo[] = [],
    private readonly o: { where?: string; log?: Log } = {},
  ) {
    if (storage.read(INDEX) === undefined) this.save(initial.map((c) => ({ ...c, active: true })));
  }

  private load(): Record_[] {
    const raw = this.storage.read(INDEX) ?? '[]';
    try {
      const list = JSON.parse(raw) as unknown;
      if (Array.isArray(list) && list.every(isRecord)) return list;
      throw new Error('not a list of components');
    } catch (e) {
      return this.recover(raw, (e as Error).message);
    }
  }

  /**
   * An index that cannot be read (an empty file, a torn write on a file system without atomic rename) is
   * kept aside as installed.corrupt and rebuilt from the component files, each of which an install wrote
   * whole, and the components the device shipped with that no file replaces: nothing is lost silently, and
   * the next boot does not fail the same way.
   */
  private recover(raw: string, why: string): Record_[] {
    this.storage.write(`${INDEX}.corrupt`, raw);
    const list: Record_[] = [];
    for (const key of this.storage.keys()) {
      if (!key.startsWith('component-')) continue;
      try {
        const c = JSON.parse(this.storage.read(key) ?? '') as Partial<ComponentInfo>;
        if (typeof c.id === 'string' && typeof c.name === 'string' && typeof c.version === 'string')
          list.push({ id: c.id, name: c.name, version: c.version, active: true });
      } catch {
        /* a component file that cannot be read is left out, and stays where it is */
      }
    }
    for (const c of this.initial)
      if (!list.some((x) => x.id === c.id)) list.push({ id: c.id, name: c.name, version: c.version, active: true });
    this.save(list);
    this.o.log?.log(
      'warn',
      `${this.o.where ?? INDEX}: unreadable component list (${why}); kept aside as ${INDEX}.corrupt and rebuilt ` +
        `from the component files: ${list.map((c) => `${c.name} ${c.version}`).join(', ') || 'none'}`,
    );
    return list;
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

function isRecord(x: unknown): x is Record_ {
  const r = x as Partial<Record_> | null;
  return typeof r === 'object' && r !== null && typeof r.id === 'string' && typeof r.name === 'string' && typeof r.version === 'string';
}
