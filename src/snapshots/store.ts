/**
 * Persisted XState snapshots of long-running "system" agents. A snapshot is
 * only worth keeping if a crash can never leave a half-written one behind and
 * a bad file can never take the runtime down, so writes are atomic renames and
 * unusable files are moved aside instead of thrown about.
 */
import type { FileHandle } from 'node:fs/promises';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, extname, join } from 'node:path';
import { z } from 'zod';
import { type Clock, systemClock } from '../core/clock.js';
import { describeUnknownError, issueLines, NerdloopError } from '../core/errors.js';
import { errnoCode } from '../core/fs.js';

export const SNAPSHOT_FORMAT_VERSION = 1;
const SNAPSHOT_FORMAT = 'nerdloop.snapshot';

/**
 * Longest encoded agent id we accept. Derived names add up to ~30 bytes
 * (`.corrupt-<ms>-<n>.json`, `.<pid>.<counter>.tmp`) and most file systems
 * stop at 255 bytes per name.
 */
const MAX_FILE_NAME_BYTES = 200;

// Read once: the version is fixed for the life of the process.
const XSTATE_VERSION = z
  .object({ version: z.string() })
  .parse(createRequire(import.meta.url)('xstate/package.json')).version;

export const snapshotEnvelopeSchema = z.object({
  format: z.literal(SNAPSHOT_FORMAT),
  version: z.literal(SNAPSHOT_FORMAT_VERSION),
  agentId: z.string().min(1),
  /** Milliseconds from the store's clock when the snapshot was saved. */
  savedAt: z.number(),
  /** Kept so a human can tell which XState wrote a snapshot that no longer restores. */
  xstateVersion: z.string(),
  snapshot: z.unknown(),
});

export type SnapshotEnvelope = z.infer<typeof snapshotEnvelopeSchema>;

export type LoadResult =
  | { readonly status: 'missing' }
  | { readonly status: 'loaded'; readonly snapshot: unknown; readonly savedAt: number }
  | {
      readonly status: 'corrupt';
      readonly error: SnapshotCorruptError;
      /** Where the unusable file now lives, or null if it could not be moved. */
      readonly movedTo: string | null;
    };

export interface LoadOptions {
  /**
   * Checks the snapshot inside a well-formed envelope; a returned message makes
   * the load `corrupt` and the snapshot is moved aside like any corrupt file.
   */
  validate?: (snapshot: unknown) => string | null;
}

export interface SnapshotStore {
  load(agentId: string, options?: LoadOptions): Promise<LoadResult>;
  save(agentId: string, snapshot: unknown): Promise<void>;
  remove(agentId: string): Promise<void>;
}

export class SnapshotCorruptError extends NerdloopError {
  readonly code = 'snapshot_corrupt';
}

export class SnapshotIdError extends NerdloopError {
  readonly code = 'snapshot_invalid_id';
}

export class SnapshotWriteError extends NerdloopError {
  readonly code = 'snapshot_write_failed';
}

/** The file exists but could not be read (permissions, I/O); distinct from a corrupt file. */
export class SnapshotReadError extends NerdloopError {
  readonly code = 'snapshot_read_failed';
}

// ---------------------------------------------------------------------------
// Agent ids and file names
// ---------------------------------------------------------------------------

function invalidId(agentId: string, reason: string): SnapshotIdError {
  return new SnapshotIdError(`invalid snapshot agent id ${JSON.stringify(agentId)}: ${reason}`, {
    details: { agentId, reason },
  });
}

/** Shared by every store so code tested against memory behaves the same on disk. */
function assertAgentId(agentId: string): void {
  if (agentId.length === 0) throw invalidId(agentId, 'it is empty');
  // `.` and `..` survive encodeURIComponent and would name a directory.
  if (agentId === '.' || agentId === '..') throw invalidId(agentId, 'it names a directory');
}

function fileNameFor(agentId: string): string {
  assertAgentId(agentId);
  let name: string;
  try {
    name = encodeURIComponent(agentId);
  } catch {
    // encodeURIComponent rejects lone UTF-16 surrogates.
    throw invalidId(agentId, 'it is not well-formed Unicode');
  }
  if (name.length > MAX_FILE_NAME_BYTES) {
    throw invalidId(agentId, `it encodes to ${name.length} bytes (max ${MAX_FILE_NAME_BYTES})`);
  }
  return name;
}

// ---------------------------------------------------------------------------
// Atomic writes
// ---------------------------------------------------------------------------

// Module-wide so two stores on one directory in one process never share a temp name.
let tempCounter = 0;

/** Error codes meaning "this platform or file system cannot fsync a directory". */
const DIR_SYNC_UNSUPPORTED = new Set(['EISDIR', 'EPERM', 'EACCES', 'EINVAL', 'ENOTSUP', 'EBADF']);

function tempPathFor(path: string): string {
  tempCounter += 1;
  const stem = basename(path, extname(path));
  return join(dirname(path), `${stem}.${process.pid}.${tempCounter}.tmp`);
}

async function writeAndSync(path: string, data: string | Uint8Array): Promise<void> {
  const handle = await open(path, 'w');
  try {
    await handle.writeFile(data);
    // Without this the rename can reach the disk before the data does.
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Makes a rename durable. Best-effort: some platforms (Windows) and file
 * systems cannot open or fsync a directory, and the rename has happened anyway.
 */
async function fsyncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (error) {
    if (!DIR_SYNC_UNSUPPORTED.has(errnoCode(error) ?? '')) throw error;
  } finally {
    await handle?.close();
  }
}

export interface WriteFileAtomicOptions {
  /** Test seam: runs after the temp file is durable and before it replaces `path`. */
  beforeRename?: () => Promise<void> | void;
}

/**
 * Replaces `path` with `data` so that readers (and a machine that loses power)
 * see either the old content or the new, never a mix: write a temp file in the
 * same directory, fsync it, rename it over `path`, fsync the directory.
 * Internal; exported for crash tests.
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: WriteFileAtomicOptions = {},
): Promise<void> {
  const temp = tempPathFor(path);
  try {
    await writeAndSync(temp, data);
    await options.beforeRename?.();
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true }).catch(() => undefined);
    throw error;
  }
  await fsyncDirectory(dirname(path));
}

// ---------------------------------------------------------------------------
// Envelope encoding and decoding
// ---------------------------------------------------------------------------

function writeError(
  agentId: string,
  action: string,
  cause: unknown,
  details: Record<string, unknown> = {},
): SnapshotWriteError {
  const message = `${action} snapshot for agent ${JSON.stringify(agentId)} failed: ${describeUnknownError(cause)}`;
  return new SnapshotWriteError(message, { cause, details: { agentId, ...details } });
}

/** JSON cannot represent these at the top level; the file would silently lose the snapshot. */
function assertPersistable(agentId: string, snapshot: unknown): void {
  const kind = typeof snapshot;
  if (snapshot === undefined || kind === 'function' || kind === 'symbol') {
    throw writeError(agentId, 'saving', new TypeError(`a snapshot cannot be ${kind}`));
  }
}

function encodeEnvelope(agentId: string, snapshot: unknown, savedAt: number): string {
  assertPersistable(agentId, snapshot);
  const envelope: SnapshotEnvelope = {
    format: SNAPSHOT_FORMAT,
    version: SNAPSHOT_FORMAT_VERSION,
    agentId,
    savedAt,
    xstateVersion: XSTATE_VERSION,
    snapshot,
  };
  try {
    return `${JSON.stringify(envelope)}\n`;
  } catch (error) {
    // Cycles and BigInts.
    throw writeError(agentId, 'serializing', error);
  }
}

type Decoded =
  | { ok: true; envelope: SnapshotEnvelope }
  | { ok: false; reason: string; savedAt: number | undefined };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function describeJsonError(text: string, error: unknown): string {
  if (text.trim() === '') return 'file is empty';
  const message = describeUnknownError(error);
  const position =
    /at position (\d+)/.exec(message)?.[1] ??
    (message.includes('end of JSON input') ? String(text.length) : undefined);
  return position === undefined
    ? `invalid JSON (${message})`
    : `invalid JSON at position ${position}`;
}

function describeIssues(issues: z.ZodError['issues']): string {
  const shown = issueLines(issues.slice(0, 3));
  const more = issues.length > shown.length ? ` (and ${issues.length - shown.length} more)` : '';
  return `not a snapshot envelope: ${shown.join('; ')}${more}`;
}

/** A usable savedAt from a rejected file, so its quarantine name says when it was written. */
function salvageSavedAt(raw: unknown): number | undefined {
  if (!isRecord(raw)) return undefined;
  const { savedAt } = raw;
  return typeof savedAt === 'number' && Number.isSafeInteger(savedAt) && savedAt >= 0
    ? savedAt
    : undefined;
}

function incompatibleVersion(raw: unknown): string | undefined {
  if (!isRecord(raw) || raw.format !== SNAPSHOT_FORMAT || raw.version === SNAPSHOT_FORMAT_VERSION) {
    return undefined;
  }
  return `format version ${JSON.stringify(raw.version)} is not supported (expected ${SNAPSHOT_FORMAT_VERSION})`;
}

function checkContent(decoded: Decoded, options: LoadOptions): Decoded {
  if (!decoded.ok || !options.validate) return decoded;
  const problem = options.validate(decoded.envelope.snapshot);
  if (problem === null) return decoded;
  return {
    ok: false,
    reason: `snapshot content is invalid: ${problem}`,
    savedAt: decoded.envelope.savedAt,
  };
}

function decodeEnvelope(bytes: Uint8Array, agentId: string): Decoded {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { ok: false, reason: 'file is not valid UTF-8', savedAt: undefined };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: describeJsonError(text, error), savedAt: undefined };
  }
  const savedAt = salvageSavedAt(raw);
  const versionProblem = incompatibleVersion(raw);
  if (versionProblem !== undefined) return { ok: false, reason: versionProblem, savedAt };
  const parsed = snapshotEnvelopeSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, reason: describeIssues(parsed.error.issues), savedAt };
  if (parsed.data.agentId !== agentId) {
    // A copied or renamed file would otherwise restore the wrong agent.
    const reason = `envelope belongs to agent ${JSON.stringify(parsed.data.agentId)}`;
    return { ok: false, reason, savedAt };
  }
  return { ok: true, envelope: parsed.data };
}

// ---------------------------------------------------------------------------
// Per-id serialization
// ---------------------------------------------------------------------------

/**
 * Runs tasks for the same key one after another, in call order. Loads queue
 * too: a load that quarantines must not move aside a file a save just wrote.
 */
class KeyedQueue {
  readonly #tails = new Map<string, Promise<void>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const result = previous.then(task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.#tails.set(key, tail);
    // Forget idle keys so a long-lived store does not grow with every agent ever seen.
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }
}

// ---------------------------------------------------------------------------
// Stores
// ---------------------------------------------------------------------------

/** Only `now` is needed; a full runtime Clock (or XState's SimulatedClock) fits. */
export type SnapshotClock = Pick<Clock, 'now'>;

export interface FileSnapshotStoreOptions {
  /** Directory holding one `<encoded agent id>.json` per agent; created on first save. */
  dir: string;
  clock?: SnapshotClock;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

export class FileSnapshotStore implements SnapshotStore {
  readonly dir: string;
  readonly #clock: SnapshotClock;
  readonly #queue = new KeyedQueue();

  constructor(options: FileSnapshotStoreOptions) {
    this.dir = options.dir;
    this.#clock = options.clock ?? systemClock;
  }

  async load(agentId: string, options: LoadOptions = {}): Promise<LoadResult> {
    const name = fileNameFor(agentId);
    return this.#queue.run(name, () => this.#load(agentId, name, options));
  }

  async save(agentId: string, snapshot: unknown): Promise<void> {
    const name = fileNameFor(agentId);
    // Encode now: the caller may keep mutating the object while earlier saves run.
    const data = encodeEnvelope(agentId, snapshot, this.#clock.now());
    const file = this.#fileFor(name);
    try {
      await this.#queue.run(name, async () => {
        await mkdir(this.dir, { recursive: true });
        await writeFileAtomic(file, data);
      });
    } catch (error) {
      throw writeError(agentId, 'saving', error, { file });
    }
  }

  async remove(agentId: string): Promise<void> {
    const name = fileNameFor(agentId);
    try {
      await this.#queue.run(name, () => this.#remove(name));
    } catch (error) {
      throw writeError(agentId, 'removing', error);
    }
  }

  #fileFor(name: string): string {
    return join(this.dir, `${name}.json`);
  }

  async #load(agentId: string, name: string, options: LoadOptions): Promise<LoadResult> {
    const file = this.#fileFor(name);
    const bytes = await this.#read(agentId, file);
    if (bytes === null) return { status: 'missing' };
    const decoded = checkContent(decodeEnvelope(bytes, agentId), options);
    if (decoded.ok) {
      return {
        status: 'loaded',
        snapshot: decoded.envelope.snapshot,
        savedAt: decoded.envelope.savedAt,
      };
    }
    const movedTo = await this.#quarantine(
      file,
      name,
      decoded.savedAt ?? Math.floor(this.#clock.now()),
    );
    const error = new SnapshotCorruptError(`cannot load snapshot file ${file}: ${decoded.reason}`, {
      details: { agentId, file, reason: decoded.reason, movedTo },
    });
    return { status: 'corrupt', error, movedTo };
  }

  async #read(agentId: string, file: string): Promise<Uint8Array | null> {
    try {
      return await readFile(file);
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return null;
      throw new SnapshotReadError(
        `could not read snapshot file ${file}: ${describeUnknownError(error)}`,
        {
          cause: error,
          details: { agentId, file },
        },
      );
    }
  }

  /**
   * Moves an unusable file out of the way so the agent can start fresh, while
   * keeping the bytes for a human. Never overwrites an earlier quarantined file.
   */
  async #quarantine(file: string, name: string, stamp: number): Promise<string | null> {
    for (let attempt = 0; attempt < 100; attempt += 1) {
      const suffix = attempt === 0 ? '' : `-${attempt}`;
      const target = join(this.dir, `${name}.corrupt-${stamp}${suffix}.json`);
      if (await exists(target)) continue;
      try {
        await rename(file, target);
      } catch {
        return null;
      }
      await fsyncDirectory(this.dir).catch(() => undefined);
      return target;
    }
    return null;
  }

  async #remove(name: string): Promise<void> {
    try {
      await rm(this.#fileFor(name));
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return;
      throw error;
    }
    await fsyncDirectory(this.dir);
  }
}

export interface MemorySnapshotStoreOptions {
  clock?: SnapshotClock;
}

/**
 * Keeps snapshots in a Map. Stores structured clones so neither the caller's
 * later mutations nor a loader's edits change what was saved.
 */
export class MemorySnapshotStore implements SnapshotStore {
  readonly #clock: SnapshotClock;
  readonly #entries = new Map<string, { snapshot: unknown; savedAt: number }>();

  constructor(options: MemorySnapshotStoreOptions = {}) {
    this.#clock = options.clock ?? systemClock;
  }

  readonly #quarantined = new Map<string, unknown>();

  async load(agentId: string, options: LoadOptions = {}): Promise<LoadResult> {
    assertAgentId(agentId);
    const entry = this.#entries.get(agentId);
    if (entry === undefined) return { status: 'missing' };
    const problem = options.validate?.(entry.snapshot) ?? null;
    if (problem !== null) {
      const movedTo = `${agentId}.corrupt-${entry.savedAt}-${this.#quarantined.size}`;
      this.#quarantined.set(movedTo, entry.snapshot);
      this.#entries.delete(agentId);
      const reason = `snapshot content is invalid: ${problem}`;
      const error = new SnapshotCorruptError(`cannot load snapshot of ${agentId}: ${reason}`, {
        details: { agentId, reason, movedTo },
      });
      return { status: 'corrupt', error, movedTo };
    }
    return { status: 'loaded', snapshot: structuredClone(entry.snapshot), savedAt: entry.savedAt };
  }

  /** Snapshots moved aside by failed validation, by their quarantine key. */
  get quarantined(): ReadonlyMap<string, unknown> {
    return this.#quarantined;
  }

  async save(agentId: string, snapshot: unknown): Promise<void> {
    assertAgentId(agentId);
    assertPersistable(agentId, snapshot);
    let copy: unknown;
    try {
      copy = structuredClone(snapshot);
    } catch (error) {
      throw writeError(agentId, 'cloning', error);
    }
    this.#entries.set(agentId, { snapshot: copy, savedAt: this.#clock.now() });
  }

  async remove(agentId: string): Promise<void> {
    assertAgentId(agentId);
    this.#entries.delete(agentId);
  }
}
