/**
 * Finding a target in the workspace through the `search` tool: the searches
 * to run, how hits rank files, and which hits are definitions. Shared by the
 * researcher and the coder.
 */
import { definesName } from '../analyzers/definitions.js';
import type { Target } from '../brief.js';
import type { PlanContext, Step } from '../context.js';
import { isIgnoredPath, stemOf } from '../paths.js';
import { compareText, readSearch, type SearchHit } from '../results.js';
import { searchFor } from '../tools.js';

const MAX_WORDS = 3;
const MIN_WORD_CHARS = 4;

/** The name searched for: a path's file stem (how imports name it), or the symbol itself. */
export function searchName(target: Target): string {
  return target.kind === 'path' ? stemOf(target.text) : target.text;
}

/** `createOfflineModel` → create, Offline, Model; `parse_config` → parse, config. */
export function wordsOf(name: string): string[] {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .filter((word) => word.length >= MIN_WORD_CHARS && word !== name);
  return [...new Set(words)].slice(0, MAX_WORDS);
}

export type Hits = { readonly exact: readonly SearchHit[]; readonly words: readonly SearchHit[] };

export type Gathered =
  | { readonly kind: 'hits'; readonly hits: Hits }
  | { readonly kind: 'gather'; readonly step: Step };

/**
 * Runs (or reads back) the search for a name and, when asked, for its words.
 * Each is a search for the text as written (`searchFor` escapes it).
 */
export function gatherHits(
  ctx: PlanContext,
  name: string,
  withWords: boolean,
  text: string,
): Gathered {
  const words = withWords ? wordsOf(name) : [];
  const step = ctx.ask([name, ...words].map(searchFor), text);
  if (step !== null) return { kind: 'gather', step };
  const hitsOf = (searched: string): SearchHit[] =>
    (readSearch(ctx, searchFor(searched), searched) ?? []).filter(
      (hit) => !isIgnoredPath(hit.path),
    );
  return { kind: 'hits', hits: { exact: hitsOf(name), words: words.flatMap(hitsOf) } };
}

/**
 * Files from the strongest match down: those where a hit defines the name,
 * then by exact hits, then by word hits, then by path.
 */
export function rankFiles(name: string, hits: Hits): string[] {
  const scores = new Map<string, { defines: number; exact: number; words: number }>();
  const score = (path: string) => {
    const found = scores.get(path) ?? { defines: 0, exact: 0, words: 0 };
    scores.set(path, found);
    return found;
  };
  for (const hit of hits.exact) {
    const entry = score(hit.path);
    entry.exact += 1;
    if (definesName(hit.text, name)) entry.defines += 1;
  }
  for (const hit of hits.words) score(hit.path).words += 1;
  return [...scores.entries()]
    .sort(
      ([a, x], [b, y]) =>
        Math.sign(y.defines) - Math.sign(x.defines) ||
        y.exact - x.exact ||
        y.words - x.words ||
        compareText(a, b),
    )
    .map(([path]) => path);
}

/** Definition lines from the files read and from the search hits, once each, by path and line. */
export function findDefinitions(
  name: string,
  hits: readonly SearchHit[],
  read: ReadonlyMap<string, string>,
): SearchHit[] {
  const found = new Map<string, SearchHit>();
  const add = (hit: SearchHit) => {
    if (definesName(hit.text, name)) found.set(`${hit.path}:${hit.line}`, hit);
  };
  for (const [path, text] of read) {
    text.split(/\r?\n/).forEach((line, index) => {
      add({ path, line: index + 1, text: line.trim() });
    });
  }
  hits.forEach(add);
  return sortHits([...found.values()]);
}

export function sortHits(hits: readonly SearchHit[]): SearchHit[] {
  return [...hits].sort((a, b) => compareText(a.path, b.path) || a.line - b.line);
}

export function showHit(hit: SearchHit): string {
  return `${hit.path}:${hit.line}: ${hit.text}`;
}
