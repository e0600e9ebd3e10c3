// Options are built with only the entries that are given. On XS every property takes a slot, one that
// holds undefined too, for as long as its object lives: a session's options live as long as the session.
// So an absent option is left out, not set to undefined. withDefined says that once, where each such entry
// was a `...(x ? { x } : {})` before. A value given to DmTree.add or replace is read, not kept (the tree
// copies what is defined), so those are written plainly: withDefined there cost compute per node.

/** The entries of `optional` whose value is not undefined, written onto `target`, which is returned. */
export function withDefined<T extends object, O extends object>(target: T, optional: O): T & { [K in keyof O]?: Exclude<O[K], undefined> } {
  const out = target as Record<string, unknown>;
  for (const key of Object.keys(optional)) {
    const value = (optional as Record<string, unknown>)[key];
    if (value !== undefined) out[key] = value;
  }
  return target as T & { [K in keyof O]?: Exclude<O[K], undefined> };
}
