// Stand-in for the SDK's "modules" module (documentation/xs/mods.md): a device with no mod installed, where
// importNow of any specifier throws as XS does for a module it cannot find.
export default class Modules {
  static has(_specifier: string): boolean {
    return false;
  }

  static importNow(specifier: string): unknown {
    throw new Error(`module "${specifier}" not found`);
  }

  static get host(): string[] {
    return [];
  }

  static get archive(): string[] {
    return [];
  }
}
Object.freeze(Modules.prototype);
