/**
 * Token counting with the models' real BPE encodings (gpt-tokenizer).
 *
 * Each encoding's rank table takes a few hundred milliseconds to load, and
 * most runs of the CLI never compile a prompt (or need only one encoding), so
 * the encoding is loaded on first use. `compile()` is synchronous, which
 * rules out `import()`; the package's CommonJS build is loaded with
 * `require` instead.
 */
import { createRequire } from 'node:module';
import type * as Encoding from 'gpt-tokenizer/encoding/o200k_base';

export const ENCODINGS = ['o200k_base', 'cl100k_base'] as const;
export type EncodingName = (typeof ENCODINGS)[number];

export type TokenCounter = {
  readonly encoding: EncodingName;
  count(text: string): number;
  /** The count when it is at most `limit`, else false (stops encoding early). */
  within(text: string, limit: number): number | false;
};

type EncodingApi = Pick<typeof Encoding, 'countTokens' | 'isWithinTokenLimit'>;

const require = createRequire(import.meta.url);
const counters = new Map<EncodingName, TokenCounter>();

// A prompt is sent as text: a task that mentions `<|endoftext|>` is ordinary
// characters to the API, so it is counted as such instead of throwing.
const AS_TEXT = { disallowedSpecial: new Set<string>() };

export function tokenCounter(encoding: EncodingName): TokenCounter {
  const existing = counters.get(encoding);
  if (existing) return existing;
  let api: EncodingApi | undefined;
  const load = (): EncodingApi => {
    api ??= require(`gpt-tokenizer/encoding/${encoding}`) as EncodingApi;
    return api;
  };
  const counter: TokenCounter = {
    encoding,
    count: (text) => load().countTokens(text, AS_TEXT),
    within: (text, limit) => load().isWithinTokenLimit(text, limit, AS_TEXT),
  };
  counters.set(encoding, counter);
  return counter;
}
