// The installed-components record of the Moddable installer (pure, tested on the host). It lives in one
// Storage key, so every change is one atomic replace and recovery after a power cut reads a whole list.
// An ESP32 has one mod partition: at most one component holds the mod slot at a time.
import type { ComponentInfo } from '../../../agent/ports.js';
import { DmError } from '../../../agent/errors.js';

export interface InstalledComponent extends ComponentInfo {
  active: boolean;
  /** True when this component's code is the archive in the mod slot. */
  mod: boolean;
  /** The mod's module to import at boot while active. */
  module?: string;
}

export function parseInstalled(text: string | undefined): InstalledComponent[] | undefined {
  if (text === undefined) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new DmError('DM_ERR_STORAGE', 510, 'the installed-components record is not JSON');
  }
  if (!Array.isArray(v)) throw new DmError('DM_ERR_STORAGE', 510, 'the installed-components record is not a list');
  return v.map((x, i) => {
    const o = x as Record<string, unknown>;
    if (typeof o?.id !== 'string' || typeof o.name !== 'string' || typeof o.version !== 'string') {
      throw new DmError('DM_ERR_STORAGE', 510, `installed component ${i} is malformed`);
    }
    const c: InstalledComponent = { id: o.id, name: o.name, version: o.version, active: o.active !== false, mod: o.mod === true };
    if (typeof o.module === 'string') c.module = o.module;
    return c;
  });
}

/** The component that holds the mod slot, if any. */
export function modHolder(list: InstalledComponent[]): InstalledComponent | undefined {
  return list.find((c) => c.mod);
}

/**
 * The list after installing `c`. A new version of a component replaces the old one. A mod can only go in the
 * slot when it is free or held by the same component: silently evicting another component's code would
 * leave the DM server's inventory wrong.
 */
export function afterInstall(list: InstalledComponent[], c: InstalledComponent): InstalledComponent[] {
  const holder = modHolder(list);
  if (c.mod && holder && holder.id !== c.id) {
    throw new DmError('DM_ERR_INSTALL', 500, `the mod slot holds component ${holder.id}; remove it before installing ${c.id}`);
  }
  return [...list.filter((x) => x.id !== c.id), c];
}

export function find(list: InstalledComponent[], id: string): InstalledComponent {
  const c = list.find((x) => x.id === id);
  if (!c) throw new DmError('DM_ERR_NOT_INSTALLED', 404, `component ${id} is not installed`);
  return c;
}
