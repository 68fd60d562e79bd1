/**
 * The canonical form of a request: what decides the answer, and nothing else.
 * Two requests that would get the same answer from a deterministic model must
 * have the same key, whatever order their objects' keys were written in;
 * the AbortSignal and tool descriptions and zod internals are left out.
 */
import { createHash } from 'node:crypto';
import { type CompletionRequest, toolJsonSchema } from '../port.js';

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

export function canonicalRequest(request: CompletionRequest): JsonValue {
  const canonical = toCanonicalJson({
    messages: request.messages,
    tools: request.tools?.map((tool) => ({ name: tool.name, parameters: toolJsonSchema(tool) })),
    toolChoice: request.toolChoice,
    model: request.model,
    temperature: request.temperature,
    maxTokens: request.maxTokens,
  });
  return canonical ?? null;
}

/** sha256 (hex) of the canonical request's JSON. */
export function requestKey(request: CompletionRequest): string {
  return createHash('sha256')
    .update(canonicalJsonText(canonicalRequest(request)))
    .digest('hex');
}
