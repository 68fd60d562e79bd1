/**
 * The analyzed-program cache. Every agent task builds a fresh kernel from the
 * same rule files; parsing and analyzing them again each time costs more than
 * everything else a fresh kernel does. A `Program` is immutable once analyzed
 * (its only lazily filled parts are memos of plans, a pure function of the
 * program), so kernels built from the same sources share one, and each builds
 * its own mutable state — relations, base facts, aggregation groups, external
 * answers, warnings — on top of it.
 *
 * The key is the exact sources: every file name (positions in errors, proofs
 * and warnings name it) and every text. No load option takes part: analysis
 * reads the sources only (bounds, strategy, external callbacks and onWarning
 * are the engine's, per kernel; external predicates' names and modes come
 * from their `Decl`s, so from the texts).
 *
 * Bounded: at most `maxPrograms` programs and `maxChars` characters of source
 * text, least recently used first out; a program larger than `maxChars` is
 * not kept at all. A long-running process loading many different programs
 * holds at most that much (see DEFAULT_LIMITS).
 */
import { KernelCacheOptionError } from './errors.js';
import type { KernelSource } from './kernel.js';
import { parseProgram } from './parse/index.js';
import { analyzeProgram, type Program } from './program.js';

export type KernelCacheLimits = {
  /** Programs kept at most. 0 turns the cache off. Default 16. */
  readonly maxPrograms: number;
  /** Characters of source text (texts and file names) kept at most, over all programs. Default 1,000,000. */
  readonly maxChars: number;
};

export type KernelCacheStats = KernelCacheLimits & {
  /** Programs held now. */
  readonly programs: number;
  /** Characters of source text they hold. */
  readonly chars: number;
  /** Loads that reused an analyzed program since the last clear. */
  readonly hits: number;
  /** Loads that parsed and analyzed (a load with `cache: false` is neither). */
  readonly misses: number;
};

type Entry = {
  /** Every file name with its length, and every text's length: a cheap first test. */
  readonly key: string;
  readonly texts: readonly string[];
  readonly program: Program;
  readonly chars: number;
};

/**
 * An analyzed program takes about 13 to 22 times its text in heap (measured:
 * the shipped rules, 28,506 characters, 0.4–0.6 MB; the generated 100-file
 * program, 411,741 characters, 9 MB), plus the plans its kernels compile:
 * at most some 25 MB for a full cache.
 */
const DEFAULT_LIMITS: KernelCacheLimits = { maxPrograms: 16, maxChars: 1_000_000 };

let limits: KernelCacheLimits = DEFAULT_LIMITS;
/**
 * Least recently used first. A list, searched: it holds a handful of
 * programs, and texts of the same names and lengths (an edited file) may
 * coexist without any hashing of the texts.
 */
const entries: Entry[] = [];
let chars = 0;
let hits = 0;
let misses = 0;

const analyze = (sources: readonly KernelSource[]): Program =>
  analyzeProgram(sources.map((source) => parseProgram(source.text, source.file)));

/**
 * The analyzed program of `sources`: the cached one when the same file names
 * and texts were analyzed before, else a new one (kept, within the limits).
 * With `cache` false, always a new one, and the cache is not touched.
 * Failures (syntax, analysis) are not cached: they throw again each time.
 */
export function analyzedProgram(sources: readonly KernelSource[], cache: boolean): Program {
  if (!cache || limits.maxPrograms === 0) return analyze(sources);
  // The key names every file with its length, so no two lists of names share
  // one; the texts are then compared whole (not a hash of them): no false hit.
  let key = '';
  let size = 0;
  for (const { file, text } of sources) {
    key += `${file.length}:${file}:${text.length};`;
    size += file.length + text.length;
  }
  for (let i = entries.length - 1; i >= 0; i--) {
    const entry = entries[i] as Entry;
    if (entry.key !== key || !sameTexts(entry.texts, sources)) continue;
    hits++;
    // Most recently used last: eviction takes from the front.
    entries.splice(i, 1);
    entries.push(entry);
    return entry.program;
  }
  misses++;
  const program = analyze(sources);
  if (size <= limits.maxChars) {
    entries.push({ key, texts: sources.map((source) => source.text), program, chars: size });
    chars += size;
    evict();
  }
  return program;
}

function sameTexts(texts: readonly string[], sources: readonly KernelSource[]): boolean {
  if (texts.length !== sources.length) return false;
  for (let i = 0; i < texts.length; i++) if (texts[i] !== sources[i]?.text) return false;
  return true;
}

function evict(): void {
  while (entries.length > limits.maxPrograms || chars > limits.maxChars) {
    const oldest = entries.shift();
    if (!oldest) return;
    chars -= oldest.chars;
  }
}

/** What the cache holds and how often it was used. */
export function kernelCacheStats(): KernelCacheStats {
  return { ...limits, programs: entries.length, chars, hits, misses };
}

/** Drops every cached program and resets the counters; kernels built from them keep working. */
export function clearKernelCache(): void {
  entries.length = 0;
  chars = 0;
  hits = 0;
  misses = 0;
}

/**
 * Sets the cache's bounds (the ones not given keep their value) and evicts
 * down to them; returns the previous limits. `maxPrograms: 0` turns it off.
 */
export function setKernelCacheLimits(next: Partial<KernelCacheLimits>): KernelCacheLimits {
  for (const [name, value] of Object.entries(next)) {
    if (value !== undefined && (!Number.isSafeInteger(value) || value < 0)) {
      throw new KernelCacheOptionError(
        `setKernelCacheLimits: ${name} must be a non-negative integer, got ${String(value)}`,
        { details: { [name]: value } },
      );
    }
  }
  const previous = limits;
  limits = {
    maxPrograms: next.maxPrograms ?? limits.maxPrograms,
    maxChars: next.maxChars ?? limits.maxChars,
  };
  evict();
  return previous;
}
