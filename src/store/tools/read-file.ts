/** read_file: a text file, or a range of its lines, with never more than a capped number of bytes. */
import { z } from 'zod';
import { chunkReader, withOpenFile } from '../../core/index.js';
import type { StoreTool } from '../tool.js';
import { StoreBinaryFileError, StoreInvalidRangeError, toStoreError } from './errors.js';
import { checkRegularFile, throwIfAborted } from './files.js';
import { type RangeResult, readLineRange } from './read-range.js';
import { pathArgument, truncationSchema } from './schemas.js';

export const READ_DEFAULT_MAX_BYTES = 256 * 1024;
export const READ_HARD_MAX_BYTES = 2 * 1024 * 1024;

const parameters = z.object({
  path: pathArgument('The file to read'),
  startLine: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe('First line to return, 1-based. Default 1.'),
  endLine: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe('Last line to return, 1-based and inclusive. Default: the last line.'),
  maxBytes: z
    .number()
    .int()
    .min(1)
    .max(READ_HARD_MAX_BYTES)
    .optional()
    .describe(`Most bytes of content to return. Default ${READ_DEFAULT_MAX_BYTES}.`),
});
export type ReadFileArgs = z.infer<typeof parameters>;

const result = z.object({
  path: z.string(),
  content: z.string(),
  startLine: z.number().int(),
  /** The last line in `content`, `startLine - 1` when it is empty. */
  endLine: z.number().int(),
  totalLines: z.number().int().nonnegative(),
  truncated: truncationSchema,
});
export type ReadFileResult = z.infer<typeof result>;

export const readFileTool: StoreTool<ReadFileArgs, ReadFileResult> = {
  name: 'read_file',
  description:
    'Read a text file, whole or a range of lines. The result says which lines it holds, how many the file has, and whether the content was cut at maxBytes (then read on with startLine). Binary files and directories are refused.',
  parameters,
  result,
  action: (args) => ({ action: 'read_file', target: args.path, payload: '' }),
  async run(args, context) {
    const startLine = args.startLine ?? 1;
    const maxBytes = Math.min(args.maxBytes ?? READ_DEFAULT_MAX_BYTES, READ_HARD_MAX_BYTES);
    if (args.endLine !== undefined && args.endLine < startLine) {
      throw new StoreInvalidRangeError(
        `read_file ${args.path}: endLine ${args.endLine} is before startLine ${startLine}`,
        { details: { path: args.path, startLine, endLine: args.endLine } },
      );
    }
    const path = await context.workspace.resolve(args.path);
    throwIfAborted(context.signal, 'reading', path.relative);
    if (!path.exists) checkRegularFile(undefined, path, 'reading');
    let read: RangeResult;
    try {
      read = await withOpenFile(path.absolute, (fd, stats) => {
        const { size } = checkRegularFile(stats, path, 'reading');
        return readLineRange(
          chunkReader(fd, size),
          { startLine, endLine: args.endLine, maxBytes, size },
          () => throwIfAborted(context.signal, 'reading', path.relative),
        );
      });
    } catch (error) {
      throw toStoreError(error, 'reading', path.relative);
    }
    if (read.kind === 'binary') {
      throw new StoreBinaryFileError(`read_file ${path.relative}: binary file (NUL byte)`, {
        details: { path: path.relative },
      });
    }
    // Line 1 of an empty file is a valid (empty) read: it is how a model opens any file.
    if (startLine > Math.max(read.totalLines, 1)) {
      throw new StoreInvalidRangeError(
        `read_file ${path.relative}: startLine ${startLine} is after the last line (${read.totalLines})`,
        { details: { path: path.relative, startLine, totalLines: read.totalLines } },
      );
    }
    return {
      path: path.relative,
      content: read.content.toString('utf8'),
      startLine,
      endLine: read.endLine,
      totalLines: read.totalLines,
      truncated:
        read.omitted > 0 ? { truncated: true, omitted: read.omitted } : { truncated: false },
    };
  },
};
