/**
 * A cassette in memory: the recorded answers per request key, and how many of
 * each this session has served. Identical requests are answered in recorded
 * order, so a loop that asks the same thing twice gets both answers back.
 */
import type { Completion } from '../port.js';
import type { CassetteEntry } from './file.js';
import { readCassette, writeCassette } from './file.js';

export interface Cassette {
  readonly path: string;
  /** Whether a cassette file existed when it was opened. */
  readonly existed: boolean;
  /** How many answers are recorded for `key`. */
  recorded(key: string): number;
  /** How many answers for `key` this session has served (replayed or recorded). */
  served(key: string): number;
  /** The next recorded answer for `key` not yet served, marking it served; or undefined. */
  take(key: string): Completion | undefined;
  /** Appends an answer, marks it served and rewrites the file; resolves once it is on disk. */
  record(entry: CassetteEntry): Promise<void>;
}

/** `fresh` ignores what the file holds: recording starts a new cassette rather than adding to a stale one. */
export async function openCassette(path: string, start: 'fresh' | 'existing'): Promise<Cassette> {
  const loaded = start === 'fresh' ? null : await readCassette(path);
  const entries: CassetteEntry[] = [...(loaded ?? [])];
  const byKey = new Map<string, Completion[]>();
  const cursors = new Map<string, number>();
  const answersFor = (key: string): Completion[] => {
    const existing = byKey.get(key);
    if (existing !== undefined) return existing;
    const created: Completion[] = [];
    byKey.set(key, created);
    return created;
  };
  for (const entry of entries) answersFor(entry.key).push(entry.completion);

  // One write at a time, each of the whole cassette, so the last to land is the fullest.
  let writing: Promise<void> = Promise.resolve();

  return {
    path,
    existed: loaded !== null,
    recorded: (key) => byKey.get(key)?.length ?? 0,
    served: (key) => cursors.get(key) ?? 0,
    take(key) {
      const cursor = cursors.get(key) ?? 0;
      const answer = byKey.get(key)?.[cursor];
      if (answer !== undefined) cursors.set(key, cursor + 1);
      return answer;
    },
    record(entry) {
      entries.push(entry);
      answersFor(entry.key).push(entry.completion);
      cursors.set(entry.key, (cursors.get(entry.key) ?? 0) + 1);
      const snapshot = [...entries];
      const write = writing.then(() => writeCassette(path, snapshot));
      writing = write.catch(() => undefined);
      return write;
    },
  };
}
