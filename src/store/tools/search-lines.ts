/**
 * Matching one file's text line by line, with the guards a model's regex
 * needs: only the first MAX_EXAMINED_CHARS of a line are examined, and what is
 * shown of a line is clipped to DISPLAY_CHARS.
 *
 * Limitation: the examined-length cap bounds polynomial blow-ups, not
 * exponential ones (`(a+)+$` backtracks for ages on 30 characters). JS
 * regexes cannot be interrupted, so such a pattern blocks the event loop and
 * the abort signal alike; only running the search in a worker that can be
 * terminated (or a linear-time engine) would fix that.
 */

/** Characters of a line the regex sees; a match beyond them is not found. */
export const MAX_EXAMINED_CHARS = 10_000;
/** Characters of a line returned in `text`, `before` or `after`. */
export const DISPLAY_CHARS = 1000;
/** Characters shown before the match when a long line is clipped around it. */
const LEAD_CHARS = 100;
/** Lines between two looks at the abort signal inside one file. */
const ABORT_CHECK_LINES = 4096;

export type LineMatch = {
  readonly path: string;
  /** 1-based. */
  readonly line: number;
  /** 1-based, in UTF-16 code units of the whole line, where the first match starts. */
  readonly column: number;
  readonly text: string;
  readonly before: string[];
  readonly after: string[];
  /** Some line shown in this match (the line or its context) was shortened. */
  readonly clipped: boolean;
};

export type FileScan = {
  /** Lines longer than MAX_EXAMINED_CHARS, examined only in part. */
  readonly linesCut: number;
  /** Why the scan stopped before the end of the file, if it did. */
  readonly stopped: 'max_matches' | 'aborted' | undefined;
};

export type ScanOptions = {
  readonly regex: RegExp;
  readonly contextLines: number;
  /** Called with each match; returns false when no more are wanted. */
  readonly accept: (match: LineMatch) => boolean;
  readonly signal: AbortSignal;
};

/** Splits into lines without their `\n` or `\r\n` (a `$` in the pattern must see the line's real end). */
export function splitLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
}

function clipAround(line: string, index: number): { text: string; clipped: boolean } {
  if (line.length <= DISPLAY_CHARS) return { text: line, clipped: false };
  const start = Math.max(0, Math.min(index - LEAD_CHARS, line.length - DISPLAY_CHARS));
  return { text: line.slice(start, start + DISPLAY_CHARS), clipped: true };
}

export function scanLines(path: string, lines: readonly string[], options: ScanOptions): FileScan {
  let linesCut = 0;
  let clippedContext = false;
  const context = (from: number, to: number): string[] =>
    lines.slice(Math.max(0, from), Math.max(0, to)).map((line) => {
      if (line.length <= DISPLAY_CHARS) return line;
      clippedContext = true;
      return line.slice(0, DISPLAY_CHARS);
    });
  for (let index = 0; index < lines.length; index += 1) {
    if (index % ABORT_CHECK_LINES === 0 && index > 0 && options.signal.aborted) {
      return { linesCut, stopped: 'aborted' };
    }
    const line = lines[index] ?? '';
    if (line.length > MAX_EXAMINED_CHARS) linesCut += 1;
    const found = options.regex.exec(
      line.length > MAX_EXAMINED_CHARS ? line.slice(0, MAX_EXAMINED_CHARS) : line,
    );
    if (found === null) continue;
    clippedContext = false;
    const before = context(index - options.contextLines, index);
    const after = context(index + 1, index + 1 + options.contextLines);
    const shown = clipAround(line, found.index);
    const accepted = options.accept({
      path,
      line: index + 1,
      column: found.index + 1,
      text: shown.text,
      before,
      after,
      clipped: shown.clipped || clippedContext,
    });
    if (!accepted) return { linesCut, stopped: 'max_matches' };
  }
  return { linesCut, stopped: undefined };
}
