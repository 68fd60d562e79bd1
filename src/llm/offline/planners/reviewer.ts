/**
 * /reviewer: list the workspace, read up to N source files, report TODOs,
 * long functions, long files and source files without a test.
 */
import type { Finding } from '../analyzers/findings.js';
import { sortFindings } from '../analyzers/findings.js';
import { findLongFile } from '../analyzers/long-files.js';
import { findLongFunctions } from '../analyzers/long-functions.js';
import { findUntestedSources } from '../analyzers/missing-tests.js';
import { scanTodos } from '../analyzers/todos.js';
import type { Target } from '../brief.js';
import type { PlanContext, Step } from '../context.js';
import { section } from '../format.js';
import { isSourcePath, isTestPath, isUnder, normalizePath, segmentsOf } from '../paths.js';
import { compareText, readContent, readListing } from '../results.js';
import { listFiles, readFile } from '../tools.js';

export function planReview(ctx: PlanContext): Step {
  const listCall = listFiles('.', true);
  const listing = readListing(ctx, listCall);
  if (listing === undefined) {
    const step = ctx.ask([listCall], 'Listing the workspace to review it.');
    if (step !== null) return step;
  }
  const files = listing?.files ?? [];
  const scope = reviewScope(ctx.brief.target, files);
  const listed = files.filter((path) => isUnder(path, scope));
  const chosen = chooseFiles(listed, ctx.settings.maxFilesToRead);

  const reads = chosen.map(readFile);
  const step = ctx.ask(reads, `Reading ${reads.length} source files to review them.`);
  if (step !== null) return step;

  // Tests outside the scope still cover files inside it.
  const untested = findUntestedSources(files).filter((finding) => isUnder(finding.path, scope));
  const findings: Finding[] = [...untested];
  const read: string[] = [];
  for (const path of chosen) {
    const file = readContent(ctx, readFile(path));
    if (file === undefined) continue;
    // A read that failed was still attempted: it counts, and its note says why it shows nothing.
    read.push(path);
    if (file === null) continue;
    findings.push(
      ...scanTodos(path, file.text),
      ...findLongFunctions(path, file.text, ctx.settings.longFunctionLines),
      ...findLongFile(path, file.text, ctx.settings.longFileLines, file.totalLines),
    );
  }
  return { kind: 'answer', body: reviewReport(ctx, scope, listed, read, sortFindings(findings)) };
}

/**
 * A target narrows the review when it names listed files: a path, or a bare
 * word that is a folder (`Target: src`). A symbol target reviews everything.
 */
function reviewScope(target: Target | null, listed: readonly string[]): string {
  if (target === null) return '';
  const scope = normalizePath(target.text);
  const names =
    target.kind === 'path' || listed.some((path) => isUnder(path, scope) && path !== scope);
  return names ? scope : '';
}

// Folders that conventionally hold a project's own code, as opposed to scripts, benches, examples.
const CODE_ROOTS = new Set(['src', 'lib', 'app', 'pkg', 'internal', 'cmd']);

/** Code under a code root, then other code, then tests; by path within each: the files most worth reading first. */
function chooseFiles(listed: readonly string[], max: number): string[] {
  const rank = (path: string) =>
    isTestPath(path) ? 2 : CODE_ROOTS.has(segmentsOf(path)[0] ?? '') ? 0 : 1;
  return listed
    .filter(isSourcePath)
    .sort((a, b) => rank(a) - rank(b) || compareText(a, b))
    .slice(0, max);
}

function reviewReport(
  ctx: PlanContext,
  scope: string,
  listed: readonly string[],
  read: readonly string[],
  findings: readonly Finding[],
): string {
  const { longFunctionLines, longFileLines, maxListed } = ctx.settings;
  const sources = listed.filter(isSourcePath).length;
  const where = scope === '' ? 'the workspace' : `\`${scope}\``;
  const of = (kind: Finding['kind']) => findings.filter((finding) => finding.kind === kind);
  const at = (finding: Finding) =>
    finding.line === null ? finding.path : `${finding.path}:${finding.line}`;
  const summary =
    listed.length === 0
      ? `Review of ${where}: no files were listed, so there is nothing to review.`
      : `Review of ${where}: read ${read.length} of ${sources} source files (${listed.length} files listed); ${findings.length} findings.`;
  return [
    summary,
    section(
      'TODO/FIXME/XXX',
      of('todo').map((f) => `${at(f)}: ${f.detail}`),
      maxListed,
    ),
    section(
      `Long functions (over ${longFunctionLines} lines)`,
      of('long-function').map((f) => `${at(f)}: ${f.detail}`),
      maxListed,
    ),
    section('Source files without a test', of('missing-test').map(at), maxListed),
    section(
      `Long files (over ${longFileLines} lines)`,
      of('long-file').map((f) => `${at(f)}: ${f.detail}`),
      maxListed,
    ),
    section('Files read', read, maxListed),
  ].join('\n\n');
}
