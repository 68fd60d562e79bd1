/**
 * /researcher: search the workspace for the target and its words, read the
 * best-matching files, and say where the target is defined and used.
 */
import { definesName } from '../analyzers/definitions.js';
import type { Target } from '../brief.js';
import type { PlanContext, Step } from '../context.js';
import { section } from '../format.js';
import { normalizePath } from '../paths.js';
import { readContent } from '../results.js';
import { readFile } from '../tools.js';
import {
  findDefinitions,
  gatherHits,
  type Hits,
  rankFiles,
  searchName,
  showHit,
  sortHits,
  wordsOf,
} from './lookup.js';

const MAX_RELATED = 10;

export function planResearch(ctx: PlanContext): Step {
  const target = ctx.brief.target;
  if (target === null) {
    return {
      kind: 'answer',
      body:
        'Research needs a target: name a file or symbol (a `Target:` line in the brief, or a ' +
        'backquoted name or a path in the request).',
    };
  }
  const name = searchName(target);
  const gathered = gatherHits(ctx, name, true, `Searching the workspace for \`${name}\`.`);
  if (gathered.kind === 'gather') return gathered.step;
  const hits = gathered.hits;

  const ranked = rankFiles(name, hits);
  // A path target is read first: it is the thing asked about, whatever the search found.
  const first = target.kind === 'path' ? [normalizePath(target.text)] : [];
  const toRead = [...new Set([...first, ...ranked])].slice(0, ctx.settings.researchFilesToRead);
  const reads = toRead.map(readFile);
  const step = ctx.ask(reads, `Reading the ${reads.length} files that match best.`);
  if (step !== null) return step;

  const read = new Map<string, string>();
  for (const path of toRead) {
    const file = readContent(ctx, readFile(path));
    if (file !== undefined && file !== null) read.set(path, file.text);
  }
  return { kind: 'answer', body: researchReport(ctx, target, name, hits, ranked, read) };
}

function researchReport(
  ctx: PlanContext,
  target: Target,
  name: string,
  hits: Hits,
  ranked: readonly string[],
  read: ReadonlyMap<string, string>,
): string {
  const max = ctx.settings.maxListed;
  const definitions = findDefinitions(name, hits.exact, read).map(showHit);
  const uses = sortHits(hits.exact.filter((hit) => !definesName(hit.text, name))).map(showHit);
  const exactFiles = new Set(hits.exact.map((hit) => hit.path));
  const related = ranked.filter((path) => !exactFiles.has(path));
  const words = wordsOf(name);
  const shown =
    target.kind === 'path' ? `\`${target.text}\` (searched as \`${name}\`)` : `\`${name}\``;
  const summary =
    hits.exact.length === 0 && definitions.length === 0
      ? `Research on ${shown}: no matches in the workspace.`
      : `Research on ${shown}: ${hits.exact.length} matching lines in ${exactFiles.size} files.`;
  const sections = [
    summary,
    section('Defined at', definitions, max),
    section('Used at', uses, max),
  ];
  if (words.length > 0) {
    // Word matches are a hint, not an answer: a handful is enough.
    const hint = Math.min(max, MAX_RELATED);
    sections.push(section(`Files matching only the words ${words.join(', ')}`, related, hint));
  }
  sections.push(section('Files read', [...read.keys()], max));
  return sections.join('\n\n');
}
