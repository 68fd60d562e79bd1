import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  FileSnapshotStore,
  MemorySnapshotStore,
  SNAPSHOT_FORMAT_VERSION,
  SnapshotCorruptError,
  SnapshotIdError,
  type SnapshotStore,
  SnapshotWriteError,
} from '../src/snapshots/index.js';
import { runWriterUntilReady } from './support/child-writer.js';

const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));
const STORE_MODULE_URL = pathToFileURL(join(PROJECT_ROOT, 'src/snapshots/store.ts')).href;
const FIXED_NOW = 1_700_000_000_000;

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nerdloop-snapshots-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const fileStore = () => new FileSnapshotStore({ dir, clock: { now: () => FIXED_NOW } });
const fileOf = (agentId: string) => join(dir, `${encodeURIComponent(agentId)}.json`);

function envelope(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    format: 'nerdloop.snapshot',
    version: SNAPSHOT_FORMAT_VERSION,
    agentId: 'agent',
    savedAt: 42,
    xstateVersion: '5.0.0',
    snapshot: { value: 'idle' },
    ...overrides,
  };
}

async function exists(path: string): Promise<boolean> {
  return readFile(path).then(
    () => true,
    () => false,
  );
}

async function expectCorrupt(store: SnapshotStore, agentId: string) {
  const result = await store.load(agentId);
  if (result.status !== 'corrupt') throw new Error(`expected corrupt, got ${result.status}`);
  expect(result.error).toBeInstanceOf(SnapshotCorruptError);
  expect(result.error.code).toBe('snapshot_corrupt');
  expect(result.error.message).toContain(fileOf(agentId));
  return result;
}

describe.each([
  ['FileSnapshotStore', () => fileStore()],
  ['MemorySnapshotStore', () => new MemorySnapshotStore({ clock: { now: () => FIXED_NOW } })],
] as const)('%s', (_name, makeStore) => {
  it('round-trips a saved snapshot with its save time', async () => {
    const store = makeStore();
    const snapshot = {
      status: 'active',
      value: { running: 'turn' },
      context: { turns: [1, 2, 3] },
    };
    await store.save('root/system-1', snapshot);
    expect(await store.load('root/system-1')).toEqual({
      status: 'loaded',
      snapshot,
      savedAt: FIXED_NOW,
    });
  });

  it('reports a snapshot that was never saved as missing', async () => {
    expect(await makeStore().load('nobody')).toEqual({ status: 'missing' });
  });

  it('forgets a removed snapshot, and removing twice is fine', async () => {
    const store = makeStore();
    await store.save('a', { n: 1 });
    await store.remove('a');
    await store.remove('a');
    expect(await store.load('a')).toEqual({ status: 'missing' });
  });

  it('keeps what was saved even if the caller mutates the object afterwards', async () => {
    const store = makeStore();
    const snapshot = { n: 1 };
    const saving = store.save('a', snapshot);
    snapshot.n = 2;
    await saving;
    expect(await store.load('a')).toMatchObject({ snapshot: { n: 1 } });
  });

  it('answers a load issued after a save with that save', async () => {
    const store = makeStore();
    const saving = store.save('a', { n: 1 });
    const loading = store.load('a');
    await saving;
    expect(await loading).toMatchObject({ status: 'loaded', snapshot: { n: 1 } });
  });

  it.each(['', '.', '..'])('rejects the agent id %j', async (agentId) => {
    const store = makeStore();
    await expect(store.load(agentId)).rejects.toBeInstanceOf(SnapshotIdError);
    await expect(store.save(agentId, {})).rejects.toBeInstanceOf(SnapshotIdError);
    await expect(store.remove(agentId)).rejects.toMatchObject({ code: 'snapshot_invalid_id' });
  });

  it('refuses snapshots that cannot be persisted', async () => {
    const store = makeStore();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await expect(store.save('a', undefined)).rejects.toBeInstanceOf(SnapshotWriteError);
    await expect(store.save('a', { f: () => 1, big: 1n, cyclic })).rejects.toMatchObject({
      code: 'snapshot_write_failed',
    });
    expect(await store.load('a')).toEqual({ status: 'missing' });
  });
});

describe('FileSnapshotStore on disk', () => {
  it('keeps agent ids with path characters inside its directory', async () => {
    const store = fileStore();
    await store.save('../escape', { n: 1 });
    await store.save('root/team/agent-1', { n: 2 });
    expect(await readdir(dir)).toEqual(
      expect.arrayContaining(['..%2Fescape.json', 'root%2Fteam%2Fagent-1.json']),
    );
    expect(await store.load('../escape')).toMatchObject({ snapshot: { n: 1 } });
  });

  it('rejects ids that cannot become a file name', async () => {
    const store = fileStore();
    await expect(store.save('x'.repeat(201), {})).rejects.toBeInstanceOf(SnapshotIdError);
    await expect(store.save('\uD800', {})).rejects.toBeInstanceOf(SnapshotIdError);
  });

  it('creates its directory on first save', async () => {
    const store = new FileSnapshotStore({ dir: join(dir, 'nested', 'snapshots') });
    expect(await store.load('a')).toEqual({ status: 'missing' });
    await store.save('a', { n: 1 });
    expect(await store.load('a')).toMatchObject({ status: 'loaded', snapshot: { n: 1 } });
  });

  it('writes the documented envelope', async () => {
    await fileStore().save('agent', { value: 'idle' });
    const written: unknown = JSON.parse(await readFile(fileOf('agent'), 'utf8'));
    expect(written).toEqual({
      format: 'nerdloop.snapshot',
      version: 1,
      agentId: 'agent',
      savedAt: FIXED_NOW,
      xstateVersion: expect.stringMatching(/^5\./),
      snapshot: { value: 'idle' },
    });
  });

  it('moves a file with invalid JSON aside, keeping its bytes, and then reports missing', async () => {
    const store = fileStore();
    const garbage = '{"format":"nerdloop.snapshot","version":1,"snap';
    await writeFile(fileOf('agent'), garbage);

    const result = await expectCorrupt(store, 'agent');
    expect(result.error.message).toMatch(/invalid JSON at position \d+/);
    expect(result.movedTo).toBe(join(dir, `agent.corrupt-${FIXED_NOW}.json`));
    expect(await exists(fileOf('agent'))).toBe(false);
    expect(await readFile(join(dir, `agent.corrupt-${FIXED_NOW}.json`), 'utf8')).toBe(garbage);
    expect(await store.load('agent')).toEqual({ status: 'missing' });
  });

  it('never overwrites an earlier quarantined file', async () => {
    const store = fileStore();
    await writeFile(fileOf('agent'), 'first');
    await writeFile(join(dir, `agent.corrupt-${FIXED_NOW}.json`), 'older');
    const result = await expectCorrupt(store, 'agent');
    expect(result.movedTo).not.toBeNull();
    expect(await readFile(join(dir, `agent.corrupt-${FIXED_NOW}.json`), 'utf8')).toBe('older');
    expect(await readFile(result.movedTo ?? '', 'utf8')).toBe('first');
  });

  it.each([
    ['an empty file', '', /file is empty/],
    ['invalid UTF-8', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), /not valid UTF-8/],
    [
      'a schema mismatch',
      JSON.stringify(envelope({ savedAt: 'yesterday' })),
      /savedAt: .*expected number/,
    ],
    ['a missing snapshot', JSON.stringify(envelope({ snapshot: undefined })), /snapshot: /],
    ['a foreign format', JSON.stringify({ hello: 'world' }), /format: /],
    ['a JSON array', '[1,2]', /\(root\): .*expected object/],
    [
      'another agent’s envelope',
      JSON.stringify(envelope({ agentId: 'other' })),
      /belongs to agent "other"/,
    ],
  ])('treats %s as corrupt and says why', async (_label, content, problem) => {
    await writeFile(fileOf('agent'), content);
    const result = await expectCorrupt(fileStore(), 'agent');
    expect(result.error.message).toMatch(problem);
    expect(result.movedTo).not.toBeNull();
    expect(await exists(fileOf('agent'))).toBe(false);
  });

  it('moves a future format version aside as incompatible, named by its save time', async () => {
    await writeFile(fileOf('agent'), JSON.stringify(envelope({ version: 7, savedAt: 555 })));
    const result = await expectCorrupt(fileStore(), 'agent');
    expect(result.error.message).toContain('format version 7 is not supported (expected 1)');
    expect(result.movedTo).toBe(join(dir, 'agent.corrupt-555.json'));
  });

  it('ends 20 concurrent saves for one agent with a valid file holding the last one', async () => {
    const store = fileStore();
    // Earlier saves are bigger, so without serialization they would finish last and win.
    const pad = (n: number) => 'x'.repeat((19 - n) * 20_000);
    const finished: number[] = [];
    await Promise.all(
      Array.from({ length: 20 }, (_, n) =>
        store.save('busy', { n, pad: pad(n) }).then(() => finished.push(n)),
      ),
    );
    expect(finished).toEqual(Array.from({ length: 20 }, (_, n) => n));
    expect(await store.load('busy')).toEqual({
      status: 'loaded',
      snapshot: { n: 19, pad: '' },
      savedAt: FIXED_NOW,
    });
    expect((await readdir(dir)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('keeps the previous snapshot when the writer dies between write and rename', async () => {
    const store = fileStore();
    const agentId = 'root/system-1';
    await store.save(agentId, { generation: 1 });
    const before = await readFile(fileOf(agentId));

    const next = JSON.stringify(envelope({ agentId, snapshot: { generation: 2 } }));
    await killWriterBeforeRename(fileOf(agentId), next);

    const leftovers = (await readdir(dir)).filter((name) => name.endsWith('.tmp'));
    expect(leftovers).toHaveLength(1);
    // The new data was complete on disk; only the rename was missing.
    expect(await readFile(join(dir, leftovers[0] ?? ''), 'utf8')).toBe(next);
    expect(await readFile(fileOf(agentId))).toEqual(before);
    expect(await store.load(agentId)).toMatchObject({
      status: 'loaded',
      snapshot: { generation: 1 },
    });

    await store.save(agentId, { generation: 3 });
    expect(await store.load(agentId)).toMatchObject({
      status: 'loaded',
      snapshot: { generation: 3 },
    });
  });
});

describe('round-trip property', () => {
  const agentIds = fc.string({ minLength: 1 }).filter((id) => id !== '.' && id !== '..');

  it('MemorySnapshotStore returns any JSON value it was given', async () => {
    const store = new MemorySnapshotStore();
    await fc.assert(
      fc.asyncProperty(agentIds, fc.jsonValue(), async (agentId, value) => {
        await store.save(agentId, value);
        expect(await store.load(agentId)).toEqual({
          status: 'loaded',
          snapshot: value,
          savedAt: expect.any(Number),
        });
      }),
      { numRuns: 200 },
    );
  });

  it('FileSnapshotStore returns the JSON form of any JSON value it was given', async () => {
    const store = fileStore();
    await fc.assert(
      fc.asyncProperty(agentIds, fc.jsonValue(), async (agentId, value) => {
        await store.save(agentId, value);
        // JSON itself cannot tell -0 from 0; everything else must survive as is.
        const expected: unknown = JSON.parse(JSON.stringify(value));
        expect(await store.load(agentId)).toEqual({
          status: 'loaded',
          snapshot: expected,
          savedAt: FIXED_NOW,
        });
      }),
      { numRuns: 50 },
    );
  });
});

// ---------------------------------------------------------------------------
// Crash harness
// ---------------------------------------------------------------------------

/**
 * Runs the store's real write path in a child process that blocks right before
 * the rename, then SIGKILLs it: the closest a test gets to pulling the plug.
 */
const CHILD_SOURCE = `
const { writeFileAtomic } = await import(process.env.STORE_MODULE_URL);
setInterval(() => {}, 60_000); // a pending promise alone would let node exit
await writeFileAtomic(process.env.TARGET_FILE, process.env.TARGET_DATA, {
  beforeRename: () => {
    process.stdout.write('ready\\n');
    return new Promise(() => {});
  },
});
process.stdout.write('renamed\\n');
`;

async function killWriterBeforeRename(targetFile: string, data: string): Promise<void> {
  await runWriterUntilReady(CHILD_SOURCE, PROJECT_ROOT, {
    STORE_MODULE_URL,
    TARGET_FILE: targetFile,
    TARGET_DATA: data,
  });
}
