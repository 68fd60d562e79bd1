/**
 * edit_file: replaces an exact piece of text. Exact on purpose: a fuzzy match
 * that lands on the wrong occurrence is worse than a clear refusal the model
 * can correct, so a missing or ambiguous `oldText` is a typed error that says
 * what would have matched.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { StoreTool } from '../tool.js';
import {
  StoreBinaryFileError,
  StoreEditAmbiguousError,
  StoreEditNoMatchError,
  StoreFileTooLargeError,
  StoreNotUtf8Error,
  toStoreError,
} from './errors.js';
import { hasNulByte, replaceFile, requireRegularFile, throwIfAborted } from './files.js';
import { pathArgument } from './schemas.js';
import type { FileWriteToolOptions } from './write-file.js';

/** The whole file is held in memory (twice, old and new) while it is edited. */
export const EDIT_MAX_BYTES = 8 * 1024 * 1024;
/** How many match lines an ambiguity error lists. */
const LISTED_MATCHES = 10;

const parameters = z.object({
  path: pathArgument('The file to edit'),
  oldText: z
    .string()
    .min(1)
    .describe('Text to replace, exactly as in the file (whitespace and line endings included).'),
  newText: z.string().describe('The replacement.'),
  replaceAll: z
    .boolean()
    .optional()
    .describe('Replace every occurrence. Default false: oldText must then occur exactly once.'),
});
export type EditFileArgs = z.infer<typeof parameters>;

const result = z.object({
  path: z.string(),
  replacements: z.number().int().positive(),
  /** UTF-8 size of the file after the edit. */
  bytes: z.number().int().nonnegative(),
});
export type EditFileResult = z.infer<typeof result>;

/** Start offsets of the non-overlapping occurrences, left to right (as `split` finds them). */
function occurrences(text: string, needle: string): number[] {
  const found: number[] = [];
  for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + needle.length)) {
    found.push(at);
  }
  return found;
}

/** 1-based line numbers of ascending offsets. */
function lineNumbers(text: string, offsets: readonly number[]): number[] {
  const lines: number[] = [];
  let line = 1;
  let scanned = 0;
  for (const offset of offsets) {
    for (
      let at = text.indexOf('\n', scanned);
      at !== -1 && at < offset;
      at = text.indexOf('\n', at + 1)
    ) {
      line += 1;
      scanned = at + 1;
    }
    lines.push(line);
  }
  return lines;
}

const collapseWhitespace = (text: string): string => text.replace(/\s+/g, ' ').trim();

/** Why an exact match failed, when a near miss explains it. */
function noMatchHint(text: string, oldText: string): string | undefined {
  if (oldText.includes('\n') && !oldText.includes('\r\n') && text.includes('\r\n')) {
    if (text.includes(oldText.replace(/\n/g, '\r\n'))) {
      return 'the file has CRLF line endings: oldText matches once its newlines are \\r\\n';
    }
  }
  const loose = collapseWhitespace(oldText);
  if (loose !== '' && collapseWhitespace(text).includes(loose)) {
    return 'oldText matches only if whitespace is ignored: copy indentation and line breaks exactly';
  }
  return undefined;
}

function decode(bytes: Buffer, path: string): string {
  try {
    // ignoreBOM keeps a byte-order mark in the text, so writing back does not drop it.
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch (error) {
    throw new StoreNotUtf8Error(`edit_file ${path}: the file is not valid UTF-8`, {
      cause: error,
      details: { path },
    });
  }
}

export function createEditFileTool(
  options: FileWriteToolOptions = {},
): StoreTool<EditFileArgs, EditFileResult> {
  return {
    name: 'edit_file',
    description:
      'Replace an exact piece of text in a file (atomically). oldText must match the file exactly, whitespace included, and occur once unless replaceAll is true; otherwise the error gives the count and the lines of the matches. Read the file first.',
    parameters,
    result,
    action: (args) => ({ action: 'edit_file', target: args.path, payload: args.newText }),
    async run(args, context) {
      const path = await context.workspace.resolve(args.path);
      throwIfAborted(context.signal, 'editing', path.relative);
      const stats = await requireRegularFile(path, 'editing');
      if (stats.size > EDIT_MAX_BYTES) {
        throw new StoreFileTooLargeError(
          `edit_file ${path.relative}: ${stats.size} bytes, more than the ${EDIT_MAX_BYTES} an edit holds in memory`,
          { details: { path: path.relative, size: stats.size, limit: EDIT_MAX_BYTES } },
        );
      }
      let bytes: Buffer;
      try {
        bytes = await readFile(path.absolute, { signal: context.signal });
      } catch (error) {
        throwIfAborted(context.signal, 'editing', path.relative);
        throw toStoreError(error, 'editing', path.relative);
      }
      if (hasNulByte(bytes)) {
        throw new StoreBinaryFileError(`edit_file ${path.relative}: binary file (NUL byte)`, {
          details: { path: path.relative },
        });
      }
      const text = decode(bytes, path.relative);
      const found = occurrences(text, args.oldText);
      if (found.length === 0) {
        const hint = noMatchHint(text, args.oldText);
        throw new StoreEditNoMatchError(
          `edit_file ${path.relative}: oldText was not found${hint === undefined ? '' : ` (${hint})`}`,
          { details: { path: path.relative, ...(hint === undefined ? {} : { hint }) } },
        );
      }
      if (found.length > 1 && args.replaceAll !== true) {
        const lines = lineNumbers(text, found.slice(0, LISTED_MATCHES));
        throw new StoreEditAmbiguousError(
          `edit_file ${path.relative}: oldText occurs ${found.length} times (lines ${lines.join(', ')}${found.length > lines.length ? ', …' : ''}); add surrounding text to make it unique, or set replaceAll`,
          { details: { path: path.relative, count: found.length, lines } },
        );
      }
      const first = found[0] ?? 0;
      // split/join, not String.replace: newText's `$&` and `$1` must stay literal.
      const edited =
        found.length > 1
          ? text.split(args.oldText).join(args.newText)
          : text.slice(0, first) + args.newText + text.slice(first + args.oldText.length);
      await replaceFile(path, edited, {
        signal: context.signal,
        mode: stats.mode & 0o7777,
        beforeRename: options.beforeRename,
      });
      return {
        path: path.relative,
        replacements: found.length,
        bytes: Buffer.byteLength(edited, 'utf8'),
      };
    },
  };
}

export const editFileTool = createEditFileTool();
