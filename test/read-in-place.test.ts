/**
 * Reading in place or on the thread pool (core/read-file.ts, the walk's
 * listings): what is read must not depend on which way it went.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  chunkReader,
  errnoCode,
  READ_IN_PLACE_BYTES,
  readSmallFile,
  withOpenFile,
} from '../src/core/index.js';
import { type WalkEntry, walk } from '../src/store/tools/walk.js';
import { afterTest } from './support/cleanup.js';

async function tempDir(): Promise<string> {
  const dir = await realpath(await mkdtemp(join(tmpdir(), 'nerdloop-read-')));
  afterTest(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

describe('readSmallFile', () => {
  it('reads the same bytes in place and on the thread pool, at sizes around the boundary', async () => {
    const dir = await tempDir();
    let file = 0;
    const size = fc.oneof(
      fc.constantFrom(0, 1, READ_IN_PLACE_BYTES - 1, READ_IN_PLACE_BYTES, READ_IN_PLACE_BYTES + 1),
      fc.integer({ min: 0, max: 3 * READ_IN_PLACE_BYTES }),
    );
    await fc.assert(
      fc.asyncProperty(size, fc.integer({ min: 0, max: 255 }), async (bytes, seed) => {
        const data = Buffer.alloc(bytes, seed);
        if (bytes > 0) data[bytes - 1] = (seed + 1) % 256;
        file += 1;
        const path = join(dir, `f${file}`);
        await writeFile(path, data);
        expect((await readSmallFile(path, 4 * READ_IN_PLACE_BYTES))?.equals(data)).toBe(true);
      }),
      { numRuns: 25 },
    );
  });

  it('reads in place below the boundary and on the thread pool above it', async () => {
    const dir = await tempDir();
    const path = join(dir, 'f');
    await writeFile(path, 'abc');
    const kind = (size: number) =>
      withOpenFile(path, async (fd) => {
        const result = chunkReader(fd, size)(Buffer.alloc(3), 0);
        const how = typeof result === 'number' ? 'in place' : 'thread pool';
        // Settled before withOpenFile closes the descriptor.
        expect(await result).toBe(3);
        return how;
      });
    expect(await kind(READ_IN_PLACE_BYTES)).toBe('in place');
    expect(await kind(READ_IN_PLACE_BYTES + 1)).toBe('thread pool');
  });

  it('reads a small file that grows past the in-place bytes on from the thread pool', async () => {
    const dir = await tempDir();
    const path = join(dir, 'growing');
    await writeFile(path, 'a');
    await withOpenFile(path, async (fd, stats) => {
      const read = chunkReader(fd, stats.size);
      expect(typeof read(Buffer.alloc(1), READ_IN_PLACE_BYTES - 1)).toBe('number');
      const later = read(Buffer.alloc(1), READ_IN_PLACE_BYTES);
      expect(later).toBeInstanceOf(Promise);
      await later;
    });
  });

  it('reads a file that reports size 0 to its end (procfs)', async () => {
    const status = await readSmallFile('/proc/self/status', 1024 * 1024);
    expect(status?.toString('utf8')).toMatch(/^Name:/);
  });

  it('gives undefined for a file over the cap, a directory and a FIFO, and throws for a missing file', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'big'), 'x'.repeat(11));
    await mkdir(join(dir, 'sub'));
    execFileSync('mkfifo', [join(dir, 'pipe')]);
    expect(await readSmallFile(join(dir, 'big'), 10)).toBeUndefined();
    expect((await readSmallFile(join(dir, 'big'), 11))?.toString()).toBe('x'.repeat(11));
    expect(await readSmallFile(join(dir, 'sub'), 10)).toBeUndefined();
    // Opened without waiting for a writer (O_NONBLOCK), then refused as no regular file.
    expect(await readSmallFile(join(dir, 'pipe'), 10)).toBeUndefined();
    const missing = await readSmallFile(join(dir, 'nope'), 10).catch((error: unknown) => error);
    expect(errnoCode(missing)).toBe('ENOENT');
  });
});

/** Walks the whole of `root` as world facts do, offering each entry to `visit`. */
const walkAll = (root: string, visit: (entry: WalkEntry) => boolean) =>
  walk(
    { absolute: root, relative: '.' },
    {
      workspaceRoot: root,
      includeHidden: false,
      recursive: true,
      signal: new AbortController().signal,
      scanLimit: 1_000,
    },
    visit,
  );

describe('walk lists small directories in place', () => {
  it('visits breadth first, each directory sorted', async () => {
    const root = await tempDir();
    const names = ['b', 'a', 'c/d', 'c/e/f', 'g/h', 'a/z', 'a/y/x'];
    for (const name of names) {
      await mkdir(join(root, name), { recursive: true });
      await writeFile(join(root, name, 'file.txt'), name);
    }
    const seen: string[] = [];
    const end = await walkAll(root, (entry) => {
      seen.push(entry.relative);
      return true;
    });
    expect(end).toBe('complete');
    expect(seen).toEqual([
      'a',
      'b',
      'c',
      'g',
      'a/file.txt',
      'a/y',
      'a/z',
      'b/file.txt',
      'c/d',
      'c/e',
      'g/h',
      'a/y/x',
      'a/z/file.txt',
      'c/d/file.txt',
      'c/e/f',
      'g/h/file.txt',
      'a/y/x/file.txt',
      'c/e/f/file.txt',
    ]);
  });

  it.each([127, 128, 129, 300])(
    'lists every entry of a directory of %i entries, in place or not',
    async (count) => {
      const root = await tempDir();
      const names = Array.from(
        { length: count },
        (_, index) => `f${String(index).padStart(3, '0')}`,
      );
      for (const name of names) await writeFile(join(root, name), '');
      await mkdir(join(root, 'zdir'));
      await writeFile(join(root, 'zdir', 'inner'), '');
      const seen: string[] = [];
      await walkAll(root, (entry) => {
        seen.push(entry.relative);
        return true;
      });
      expect(seen).toEqual([...names, 'zdir', 'zdir/inner']);
    },
  );

  it('skips a directory gone before its turn, as an unreadable one', async () => {
    const root = await tempDir();
    for (const name of ['a/one', 'b/two', 'c/three'])
      await mkdir(join(root, name), { recursive: true });
    const seen: string[] = [];
    const complete = await walkAll(root, (entry) => {
      if (entry.relative === 'b') execFileSync('rm', ['-r', join(root, 'b')]);
      seen.push(entry.relative);
      return true;
    });
    expect(complete).toBe('complete');
    expect(seen).toEqual(['a', 'b', 'c', 'a/one', 'c/three']);
  });
});
