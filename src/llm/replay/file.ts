/**
 * The cassette file: `{ version, entries: [{ key, request, completion }] }`,
 * pretty JSON so a reviewer can read what a test recorded. Written whole and
 * atomically, so a crash mid-recording leaves the previous cassette intact.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { describeUnknownError, errnoCode } from '../../core/index.js';
import { writeFileAtomic } from '../../snapshots/index.js';
import { type Completion, completionSchema } from '../port.js';
import { type JsonValue, toCanonicalJson } from './canonical.js';
import { LlmCassetteLoadError, LlmCassetteWriteError } from './errors.js';

export const CASSETTE_VERSION = 1;

export type CassetteEntry = {
  readonly key: string;
  /** The canonical request, kept for humans reading the file; the key alone is matched. */
  readonly request: JsonValue;
  readonly completion: Completion;
};

const fileSchema = z.object({
  version: z.literal(CASSETTE_VERSION),
  entries: z.array(
    z.object({
      key: z.string().regex(/^[0-9a-f]{64}$/),
      request: z.unknown(),
      completion: z.unknown(),
    }),
  ),
});

function loadError(path: string, reason: string, cause?: unknown): LlmCassetteLoadError {
  return new LlmCassetteLoadError(`cassette ${path} cannot be loaded: ${reason}`, {
    cause,
    details: { path, reason },
  });
}

/**
 * JSON cannot hold `undefined`, so a tool call whose arguments did not parse
 * comes back without its `arguments` key, which completionSchema requires.
 */
function reviveCompletion(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || !('toolCalls' in value)) return value;
  const { toolCalls } = value;
  if (!Array.isArray(toolCalls)) return value;
  return {
    ...value,
    toolCalls: toolCalls.map((call: unknown) =>
      typeof call === 'object' && call !== null && !('arguments' in call)
        ? { ...call, arguments: undefined }
        : call,
    ),
  };
}

/** The recorded entries, or `null` when there is no file yet. */
export async function readCassette(path: string): Promise<CassetteEntry[] | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return null;
    throw loadError(path, describeUnknownError(error), error);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw loadError(path, `not JSON: ${describeUnknownError(error)}`, error);
  }
  const file = fileSchema.safeParse(json);
  if (!file.success) throw loadError(path, `not a cassette: ${z.prettifyError(file.error)}`);
  return file.data.entries.map((entry, index) => {
    const completion = completionSchema.safeParse(reviveCompletion(entry.completion));
    if (!completion.success) {
      throw loadError(
        path,
        `entry ${index} (key ${entry.key}) is not a completion: ${z.prettifyError(completion.error)}`,
      );
    }
    const request = toCanonicalJson(entry.request) ?? null;
    return { key: entry.key, request, completion: completion.data };
  });
}

export async function writeCassette(
  path: string,
  entries: readonly CassetteEntry[],
): Promise<void> {
  const text = `${JSON.stringify({ version: CASSETTE_VERSION, entries }, null, 2)}\n`;
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFileAtomic(path, text);
  } catch (error) {
    throw new LlmCassetteWriteError(
      `cassette ${path} cannot be written: ${describeUnknownError(error)}`,
      { cause: error, details: { path } },
    );
  }
}
