/**
 * How nerdloop reads files: small ones in place, large ones on the thread
 * pool. Opening and fstat are done in place too, as the sandbox's realpath
 * is: calls that move no file data. A read of a small file from the page
 * cache takes microseconds, while each thread-pool round trip costs ~30 µs
 * of waiting on an idle machine and up to a few hundred on a loaded one,
 * and reading a small file asynchronously takes four of them (open, fstat,
 * read, close). A large file is read in chunks that leave the event loop
 * free for other agents between them. The price: on a network file system
 * that stalls, the calls made in place stall the event loop with it.
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
const bytesRead = (result: { bytesRead: number }): number => result.bytesRead;

/**
 * A reader of the open `fd` of a file of `size` bytes when opened: in place
 * when it is small, and only for its first READ_IN_PLACE_BYTES, so a small
 * file that grows while it is read is read on from the thread pool.
 */
export function chunkReader(fd: number, size: number): ChunkReader {
  const inPlace = size <= READ_IN_PLACE_BYTES;
  return (buffer, position) =>
    inPlace && position < READ_IN_PLACE_BYTES
      ? readSync(fd, buffer, 0, buffer.length, position)
      : readOnThreadPool(fd, buffer, 0, buffer.length, position).then(bytesRead);
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

/** The smallest read once the size a file reported has been read. */
const MIN_CHUNK_BYTES = 4 * 1024;

/**
 * The bytes of the regular file at `path`, or undefined when it holds more
 * than `maxBytes` or is not a regular file. It is read to its end, not to
 * the size fstat reported: procfs and some FUSE file systems report 0 for
 * files that have content, and a file may grow while it is read.
 */
export function readSmallFile(path: string, maxBytes: number): Promise<Buffer | undefined> {
  return withOpenFile(path, async (fd, stats) => {
    if (!stats.isFile() || stats.size > maxBytes) return undefined;
    const readChunk = chunkReader(fd, stats.size);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      // One byte past the reported size (or the cap): a short read then ends it.
      const want = Math.max(stats.size - total, MIN_CHUNK_BYTES) + 1;
      const buffer = Buffer.allocUnsafe(Math.min(want, maxBytes - total + 1));
      const count = await readChunk(buffer, total);
      if (count === 0) break;
      chunks.push(buffer.subarray(0, count));
      total += count;
      if (total > maxBytes) return undefined;
      // A file that reported its size has ended at a short read past it; one
      // that reported none (0) may return less than it holds, so is read to 0.
      if (stats.size > 0 && count < buffer.length && total >= stats.size) break;
    }
    return chunks.length === 1 && chunks[0] !== undefined
      ? chunks[0]
      : Buffer.concat(chunks, total);
  });
}
