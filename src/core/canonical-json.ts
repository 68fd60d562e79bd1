/**
 * Canonical JSON: the same text for the same data whatever order its objects'
 * keys were written in. Used for hashing (cassette keys, audit digests).
 */
import { createHash } from 'node:crypto';

export type JsonValue =
  | null
  | boolean
  | number
  | string
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };

/**
 * Copies `value` as JSON would see it, with every object's keys sorted.
 * Like JSON.stringify: `undefined`, functions and symbols vanish from objects
 * and become null in arrays; non-finite numbers become null.
 */
export function toCanonicalJson(value: unknown): JsonValue | undefined {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (Array.isArray(value)) return value.map((item: unknown) => toCanonicalJson(item) ?? null);
  if (typeof value !== 'object') return undefined;
  const out: Record<string, JsonValue> = {};
  for (const key of Object.keys(value).sort()) {
    const item = toCanonicalJson(Reflect.get(value, key));
    if (item !== undefined) out[key] = item;
  }
  return out;
}

export function canonicalJsonText(value: unknown): string {
  return JSON.stringify(toCanonicalJson(value) ?? null);
}

/** sha256 (hex) of the canonical JSON of `value`. */
export function canonicalDigest(value: unknown): string {
  return createHash('sha256').update(canonicalJsonText(value)).digest('hex');
}
