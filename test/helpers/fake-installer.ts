// An Installer whose "flash" survives simulated reboots: installs JSON package manifests {id, name, version}
// read from the downloader's store. install() is atomic and idempotent, as the port requires.
import type { ComponentInfo, Installer } from '../../agent/ports.js';
import type { FakeDownloader } from './fake-downloader.js';

export class FakeInstaller implements Installer {
  list: (ComponentInfo & { active: boolean })[] = [];
  failNext?: 'install' | 'activate' | 'deactivate' | 'remove';
  constructor(
    private readonly downloader: FakeDownloader,
    initial: ComponentInfo[] = [],
  ) {
    this.list = initial.map((c) => ({ ...c, active: true }));
  }
  private maybeFail(op: FakeInstaller['failNext']): void {
    if (this.failNext === op) {
      this.failNext = undefined;
      throw new Error(`${op} failed`);
    }
  }
  async install(pkgId: string, active: boolean): Promise<ComponentInfo[]> {
    this.maybeFail('install');
    const bytes = this.downloader.store.get(pkgId);
    if (!bytes) throw new Error(`package ${pkgId} not in the store`);
    const c = JSON.parse(new TextDecoder().decode(bytes)) as ComponentInfo;
    this.list = [...this.list.filter((x) => x.id !== c.id), { id: c.id, name: c.name, version: c.version, active }];
    return [{ id: c.id, name: c.name, version: c.version }];
  }
  async activate(id: string): Promise<void> {
    this.maybeFail('activate');
    this.find(id).active = true;
  }
  async deactivate(id: string): Promise<void> {
    this.maybeFail('deactivate');
    this.find(id).active = false;
  }
  async remove(id: string): Promise<void> {
    this.maybeFail('remove');
    this.find(id);
    this.list = this.list.filter((c) => c.id !== id);
  }
  installed(): ComponentInfo[] {
    return this.list.map(({ id, name, version }) => ({ id, name, version }));
  }
  private find(id: string) {
    const c = this.list.find((x) => x.id === id);
    if (!c) throw new Error(`no component ${id}`);
    return c;
  }
}
