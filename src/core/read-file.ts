/**
 * How nerdloop reads files: small ones in place, large ones on the thread
 * pool. Opening and fstat are done in place too, as the sandbox's realpath
 * is: calls that move no file data. A read of a small file from the page
 * cache takes microseconds, while each thread-pool round trip costs 50–200 µs
 * of waiting on a loaded machine, and reading a small file asynchronously
 * takes four of them (open, fstat, read, close). A large file is read in
 * chunks that leave the event loop free for other agents between them.
 */
import { closeSync, constants, fstatSync, openSync, read, readSync, type Stats } from 'node:fs';
import { promisify } from 'node:util';

/** Files up to this size are read in place. */
export const READ_IN_PLACE_BYTES = 64 * 1024;

/**
 * Reads file bytes at `position` into `buffer` (from its start, at most its
 * length) and gives how many were read: 0 at the end of the file.
 */
export type ChunkReader = (buffer: Buffer, position: number) => number | Promise<number>;

const readOnThreadPool = promisify(read);

/** A reader of the open `fd` of a file of `size` bytes: in place when it is small. */
export function chunkReader(fd: number, size: number): ChunkReader {
  if (size <= READ_IN_PLACE_BYTES)
    return (buffer, position) => readSync(fd, buffer, 0, buffer.length, position);
  return async (buffer, position) =>
    (await readOnThreadPool(fd, buffer, 0, buffer.length, position)).bytesRead;
}

/**
 * Opens `path` for reading and hands `use` its descriptor and stats; the
 * descriptor is closed once `use` has settled (it must await every read).
 * O_NONBLOCK, so that opening a FIFO to find out it is one does not wait for
 * a writer. Throws what open throws (ENOENT, EACCES, …).
 */
export async function withOpenFile<T>(
  path: string,
  use: (fd: number, stats: Stats) => Promise<T>,
): Promise<T> {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    return await use(fd, fstatSync(fd));
  } finally {
    closeSync(fd);
  }
}

/**
 * The bytes of the regular file at `path`, or undefined when it is larger
 * than `maxBytes` or not a regular file. A file that grows while it is read
 * is read up to the size it had when opened.
 */
export function readSmallFile(path: string, maxBytes: number): Promise<Buffer | undefined> {
  return withOpenFile(path, async (fd, stats) => {
    if (!stats.isFile() || stats.size > maxBytes) return undefined;
    const buffer = Buffer.allocUnsafe(stats.size);
    const readChunk = chunkReader(fd, stats.size);
    let filled = 0;
    while (filled < buffer.length) {
      const count = await readChunk(buffer.subarray(filled), filled);
      if (count === 0) break;
      filled += count;
    }
    return buffer.subarray(0, filled);
  });
}
