/**
 * The canonical form of a request: what decides the answer, and nothing else.
 * Two requests that would get the same answer from a deterministic model must
 * have the same key, whatever order their objects' keys were written in;
 * the AbortSignal and tool descriptions and zod internals are left out.
 */
import {
  canonicalDigest,
  canonicalJsonText,
  type JsonValue,
  toCanonicalJson,
} from '../../core/index.js';
import { type CompletionRequest, toolJsonSchema } from '../port.js';

export { canonicalJsonText, type JsonValue, toCanonicalJson };

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
  return canonicalDigest(canonicalRequest(request));
}
