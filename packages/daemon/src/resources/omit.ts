// Go's `omitempty` for the wire objects: LXD leaves out empty optional fields, and clients print "if present".

/**
 * True for what encoding/json treats as empty: "", 0, false, nil and empty slices. Objects
 * (Go pointers to structs) are never empty; readers pass undefined for an empty Go map.
 */
function isEmpty(v: unknown): boolean {
  return v === undefined || v === null || v === '' || v === 0 || v === false || (Array.isArray(v) && v.length === 0);
}

/** Deletes the listed keys whose value is empty; the other keys keep their order. */
export function omitEmpty<T extends object>(obj: T, keys: readonly (keyof T)[]): T {
  for (const k of keys) if (isEmpty(obj[k])) delete obj[k];
  return obj;
}
