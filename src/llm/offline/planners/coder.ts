/**
 * /coder: find the target and show what is there, then say plainly that
 * changing code needs a real model. The offline model never writes.
 */
import { outline } from '../analyzers/definitions.js';
import type { Target } from '../brief.js';
import type { PlanContext, Step } from '../context.js';
import { fenced, REAL_MODEL_HINT, section } from '../format.js';
import { normalizePath } from '../paths.js';
import { readContent, readListing } from '../results.js';
import { listFiles, readFile } from '../tools.js';
import { findDefinitions, gatherHits, rankFiles, showHit, sortHits } from './lookup.js';

const EXCERPT_LINES = 15;

export function planCoding(ctx: PlanContext): Step {
  const target = ctx.brief.target;
  if (target === null) return overview(ctx);
  return target.kind === 'path' ? showFile(ctx, target) : showSymbol(ctx, target);
}

function overview(ctx: PlanContext): Step {
  const listCall = listFiles('.', false);
  const listing = readListing(ctx, listCall);
  if (listing === undefined) {
    const step = ctx.ask([listCall], 'Listing the workspace root.');
    if (step !== null) return step;
  }
  const entries = [...(listing?.dirs ?? []).map((dir) => `${dir}/`), ...(listing?.files ?? [])];
  const body = [
    'No target was named (no `Target:` line, backquoted symbol or path in the request).',
    section('At the workspace root', entries, ctx.settings.maxListed),
    REAL_MODEL_HINT,
  ];
  return { kind: 'answer', body: body.join('\n\n') };
}

function showFile(ctx: PlanContext, target: Target): Step {
  const path = normalizePath(target.text);
  const call = readFile(path);
  const file = readContent(ctx, call);
  if (file === undefined) {
    const step = ctx.ask([call], `Reading \`${path}\`.`);
    if (step !== null) return step;
  }
  const body =
    file === undefined || file === null
      ? [`Could not read \`${path}\`.`, REAL_MODEL_HINT]
      : [
          `\`${path}\`: ${file.totalLines} lines.`,
          section(
            'Top-level definitions',
            outline(file.text).map((entry) => `${path}:${entry.line}: ${entry.kind} ${entry.name}`),
            ctx.settings.maxListed,
          ),
          REAL_MODEL_HINT,
        ];
  return { kind: 'answer', body: body.join('\n\n') };
}

function showSymbol(ctx: PlanContext, target: Target): Step {
  const name = target.text;
  const gathered = gatherHits(ctx, name, false, `Searching the workspace for \`${name}\`.`);
  if (gathered.kind === 'gather') return gathered.step;
  const hits = gathered.hits.exact;

  // Read where it is defined if a hit shows that, else the file that mentions it most.
  const defined = findDefinitions(name, hits, new Map());
  const best = defined[0]?.path ?? rankFiles(name, gathered.hits)[0];
  const call = best === undefined ? null : readFile(best);
  const file = call === null ? undefined : readContent(ctx, call);
  if (call !== null && file === undefined) {
    const step = ctx.ask([call], `Reading \`${best}\`.`);
    if (step !== null) return step;
  }

  const read = new Map<string, string>();
  if (best !== undefined && file !== undefined && file !== null) read.set(best, file.text);
  const definitions = findDefinitions(name, hits, read);
  const files = [...new Set(sortHits(hits).map((hit) => hit.path))];
  const body = [
    hits.length === 0 && definitions.length === 0
      ? `\`${name}\` was not found in the workspace.`
      : `\`${name}\` appears on ${hits.length} lines in ${files.length} files.`,
    section('Defined at', definitions.map(showHit), ctx.settings.maxListed),
  ];
  const first = definitions.find((hit) => read.has(hit.path));
  const source = first === undefined ? undefined : read.get(first.path);
  if (first !== undefined && source !== undefined) {
    const lines = source.split(/\r?\n/).slice(first.line - 1, first.line - 1 + EXCERPT_LINES);
    body.push(`${first.path}, from line ${first.line}:\n${fenced(lines)}`);
  }
  body.push(section('Files that mention it', files, ctx.settings.maxListed), REAL_MODEL_HINT);
  return { kind: 'answer', body: body.join('\n\n') };
}
