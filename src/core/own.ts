/**
 * obj[key] = value as data. A key named __proto__ (an AWS tag can be called that) would
 * otherwise set the object's prototype: the key is lost from JSON, digests and lookups.
 */
export function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}
