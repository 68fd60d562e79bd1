import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import {
  chmod,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  realpath,
  rm,
  stat,
  symlink,
  truncate,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { NerdloopError } from '../src/core/index.js';
import { toolJsonSchema } from '../src/llm/port.js';
import type {
  AnyStoreTool,
  ResolvedPath,
  StoreTool,
  ToolContext,
  Workspace,
} from '../src/store/tool.js';
import {
  compileGlob,
  createEditFileTool,
  createWriteFileTool,
  DISPLAY_CHARS,
  EDIT_MAX_BYTES,
  editFileTool,
  fileTools,
  globMatcher,
  type IgnoreFile,
  isIgnored,
  listFilesTool,
  MAX_EXAMINED_CHARS,
  parseGitignore,
  READ_DEFAULT_MAX_BYTES,
  READ_HARD_MAX_BYTES,
  readFileTool,
  searchTool,
  writeFileTool,
} from '../src/store/tools/index.js';
import { runWriterUntilReady } from './support/child-writer.js';

const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));
const TOOLS_MODULE_URL = pathToFileURL(join(PROJECT_ROOT, 'src/store/tools/index.ts')).href;

// ---------------------------------------------------------------------------
// A stand-in workspace: the tests only need `root` and `resolve`, so the real
// sandbox can replace `createWorkspaceFor` without touching a test below.
// ---------------------------------------------------------------------------

class TestOutsideError extends NerdloopError {
  readonly code = 'store_path_outside';
}

function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

function testWorkspace(root: string): Workspace {
  return {
    root,
    async resolve(input: string): Promise<ResolvedPath> {
      const lexical = isAbsolute(input) ? resolve(input) : resolve(root, input);
      if (!isInside(root, lexical)) throw new TestOutsideError(`${input} is outside the workspace`);
      const missing: string[] = [];
      let existing = lexical;
      let real: string | undefined;
      while (real === undefined) {
        try {
          real = await realpath(existing);
        } catch {
          missing.unshift(basename(existing));
          existing = dirname(existing);
        }
      }
      const absolute = join(real, ...missing);
      if (!isInside(root, absolute)) throw new TestOutsideError(`${input} leads outside`);
      const rel = relative(root, absolute).split(sep).join('/');
      return { absolute, relative: rel === '' ? '.' : rel, exists: missing.length === 0 };
    },
  };
}

const createWorkspaceFor: (root: string) => Promise<Workspace> = async (root) =>
  testWorkspace(root);

// ---------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------

const temps: string[] = [];

afterEach(async () => {
  for (const dir of temps.splice(0)) await rm(dir, { recursive: true, force: true });
});

type Tree = Record<string, string | Uint8Array>;

async function writeTree(root: string, tree: Tree): Promise<void> {
  for (const [path, content] of Object.entries(tree)) {
    const absolute = join(root, path);
    await mkdir(dirname(absolute), { recursive: true });
    await writeFile(absolute, content);
  }
}

type Fixture = { root: string; workspace: Workspace; context: ToolContext };

async function fixture(tree: Tree = {}): Promise<Fixture> {
  const parent = await realpath(await mkdtemp(join(tmpdir(), 'nerdloop-tools-')));
  temps.push(parent);
  // A workspace one level down, so "outside" has something real to point at.
  const root = join(parent, 'ws');
  await mkdir(root);
  await writeTree(root, tree);
  const workspace = await createWorkspaceFor(root);
  return { root, workspace, context: contextFor(workspace) };
}

function contextFor(workspace: Workspace, signal = new AbortController().signal): ToolContext {
  return {
    workspace,
    signal,
    clock: { now: () => 0 },
    terms: { persona: 'coder', mode: { sandbox: 'workspace-write', approval: 'never' } },
  };
}

/** What the loop does: parse the model's arguments, run, and the result must fit its schema. */
async function call<Args, Result>(
  tool: StoreTool<Args, Result>,
  raw: unknown,
  context: ToolContext,
): Promise<Result> {
  const result = await tool.run(tool.parameters.parse(raw), context);
  return tool.result.parse(result);
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof NerdloopError) return error.code;
    throw error;
  }
  throw new Error('expected a typed error, got a result');
}

async function errorOf(promise: Promise<unknown>): Promise<NerdloopError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof NerdloopError) return error;
    throw error;
  }
  throw new Error('expected a typed error, got a result');
}

const text = (root: string, path: string) => readFile(join(root, path), 'utf8');
const tempFilesIn = async (dir: string) =>
  (await readdir(dir)).filter((name) => name.endsWith('.tmp'));

/** Counts resolve calls and can act on the n-th: how abort and refusal are made deterministic. */
function instrumented(
  inner: Workspace,
  hooks: { onResolve?: (path: string, count: number) => void; refuse?: (path: string) => boolean },
): Workspace {
  let count = 0;
  return {
    root: inner.root,
    async resolve(path, options) {
      count += 1;
      hooks.onResolve?.(path, count);
      if (hooks.refuse?.(path)) throw new TestOutsideError(`${path} refused`);
      return inner.resolve(path, options);
    },
  };
}

// ---------------------------------------------------------------------------
// The set and the gate's view
// ---------------------------------------------------------------------------

describe('fileTools', () => {
  it('exports the five tools, each with a JSON Schema a model can be sent', () => {
    expect(fileTools.map((tool) => tool.name)).toEqual([
      'read_file',
      'list_files',
      'search',
      'write_file',
      'edit_file',
    ]);
    for (const tool of fileTools) {
      const schema = toolJsonSchema(tool);
      expect(schema.type).toBe('object');
    }
    // Optional arguments stay optional for the model: only these are required.
    expect(toolJsonSchema(readFileTool).required).toEqual(['path']);
    expect(toolJsonSchema(listFilesTool).required ?? []).toEqual([]);
    expect(toolJsonSchema(searchTool).required).toEqual(['pattern']);
    expect(toolJsonSchema(writeFileTool).required).toEqual(['path', 'content']);
    expect(toolJsonSchema(editFileTool).required).toEqual(['path', 'oldText', 'newText']);
  });

  it('maps each call to the action the policy gate judges', () => {
    expect(readFileTool.action({ path: 'a.ts' })).toEqual({
      action: 'read_file',
      target: 'a.ts',
      payload: '',
    });
    expect(writeFileTool.action({ path: 'a.ts', content: 'x' })).toEqual({
      action: 'write_file',
      target: 'a.ts',
      payload: 'x',
    });
    expect(editFileTool.action({ path: 'a.ts', oldText: 'x', newText: 'y' })).toEqual({
      action: 'edit_file',
      target: 'a.ts',
      payload: 'y',
    });
    expect(listFilesTool.action({})).toEqual({ action: 'list_files', target: '.', payload: '' });
    expect(listFilesTool.action({ path: 'src' }).target).toBe('src');
    expect(searchTool.action({ pattern: 'TODO', path: 'src' })).toEqual({
      action: 'search',
      target: 'src',
      payload: 'TODO',
    });
    expect(searchTool.action({ pattern: 'x' }).target).toBe('.');
  });

  it('refuses a path outside the workspace before any I/O, for every tool', async () => {
    const { root, context } = await fixture();
    const outside = join(dirname(root), 'outside.txt');
    await writeFile(outside, 'secret\n');
    const calls: Array<[AnyStoreTool, unknown]> = [
      [readFileTool, { path: '../outside.txt' }],
      [writeFileTool, { path: '../outside.txt', content: 'x' }],
      [editFileTool, { path: outside, oldText: 'secret', newText: 'x' }],
      [listFilesTool, { path: '..' }],
      [searchTool, { pattern: 'secret', path: '..' }],
    ];
    for (const [tool, args] of calls) {
      expect(await codeOf(call(tool, args, context))).toBe('store_path_outside');
    }
    expect(await readFile(outside, 'utf8')).toBe('secret\n');
  });
});

// ---------------------------------------------------------------------------
// read_file
// ---------------------------------------------------------------------------

describe('read_file', () => {
  it('reads a whole file with its line counts', async () => {
    const { context } = await fixture({ 'src/a.ts': 'one\ntwo\nthree\n' });
    expect(await call(readFileTool, { path: 'src/a.ts' }, context)).toEqual({
      path: 'src/a.ts',
      content: 'one\ntwo\nthree\n',
      startLine: 1,
      endLine: 3,
      totalLines: 3,
      truncated: { truncated: false },
    });
  });

  it('reads a range of lines, clamping endLine to the last line', async () => {
    const { context } = await fixture({ 'a.txt': 'l1\nl2\nl3\nl4' });
    const middle = await call(readFileTool, { path: 'a.txt', startLine: 2, endLine: 3 }, context);
    expect(middle).toMatchObject({ content: 'l2\nl3\n', startLine: 2, endLine: 3, totalLines: 4 });
    const tail = await call(readFileTool, { path: 'a.txt', startLine: 3, endLine: 99 }, context);
    // The last line has no newline and still counts.
    expect(tail).toMatchObject({ content: 'l3\nl4', endLine: 4, totalLines: 4 });
  });

  it('keeps CRLF line endings and reads an empty file as zero lines', async () => {
    const { context } = await fixture({ 'crlf.txt': 'a\r\nb\r\n', 'empty.txt': '' });
    expect(await call(readFileTool, { path: 'crlf.txt', startLine: 2 }, context)).toMatchObject({
      content: 'b\r\n',
      totalLines: 2,
    });
    expect(await call(readFileTool, { path: 'empty.txt' }, context)).toEqual({
      path: 'empty.txt',
      content: '',
      startLine: 1,
      endLine: 0,
      totalLines: 0,
      truncated: { truncated: false },
    });
  });

  it('cuts at the last whole line within maxBytes and says how much was left out', async () => {
    const { context } = await fixture({ 'a.txt': 'aaaa\nbbbb\ncccc\n' });
    const result = await call(readFileTool, { path: 'a.txt', maxBytes: 12 }, context);
    expect(result).toMatchObject({
      content: 'aaaa\nbbbb\n',
      endLine: 2,
      totalLines: 3,
      truncated: { truncated: true, omitted: 5 },
    });
    // A range that fits exactly is not truncated.
    const exact = await call(readFileTool, { path: 'a.txt', maxBytes: 15 }, context);
    expect(exact.truncated).toEqual({ truncated: false });
  });

  it('cuts a single long line mid-line on a character boundary', async () => {
    const { context } = await fixture({ 'wide.txt': `${'é'.repeat(100)}\n` });
    const result = await call(readFileTool, { path: 'wide.txt', maxBytes: 51 }, context);
    expect(result.content).toBe('é'.repeat(25));
    expect(result.truncated).toEqual({ truncated: true, omitted: 201 - 50 });
    expect(result.endLine).toBe(1);
  });

  it('holds at most the cap of a large file yet counts all of it and reads lines past the cap', async () => {
    const line = `${'x'.repeat(99)}\n`;
    const lines = 30_000; // 3 MB, over the hard cap
    const { context } = await fixture({ 'big.txt': line.repeat(lines) });
    const head = await call(readFileTool, { path: 'big.txt' }, context);
    expect(Buffer.byteLength(head.content)).toBeLessThanOrEqual(READ_DEFAULT_MAX_BYTES);
    expect(head.totalLines).toBe(lines);
    expect(head.truncated.truncated).toBe(true);
    expect(head.truncated.omitted).toBe(lines * 100 - Buffer.byteLength(head.content));
    const far = await call(readFileTool, { path: 'big.txt', startLine: 29_999 }, context);
    expect(far).toMatchObject({
      content: line.repeat(2),
      endLine: lines,
      truncated: { truncated: false },
    });
  });

  it('enforces the hard cap: the schema refuses more, and run clamps a caller that skips the schema', async () => {
    const { context } = await fixture({ 'big.txt': 'y'.repeat(READ_HARD_MAX_BYTES + 10) });
    expect(
      readFileTool.parameters.safeParse({ path: 'big.txt', maxBytes: READ_HARD_MAX_BYTES + 1 })
        .success,
    ).toBe(false);
    const result = await readFileTool.run({ path: 'big.txt', maxBytes: 1e9 }, context);
    expect(Buffer.byteLength(result.content)).toBe(READ_HARD_MAX_BYTES);
    expect(result.truncated).toEqual({ truncated: true, omitted: 10 });
  });

  it('treats a NUL in the first 8 KiB as binary, and one later as text', async () => {
    const early = Buffer.concat([Buffer.from('PNG'), Buffer.from([0]), Buffer.from('rest')]);
    const late = Buffer.concat([Buffer.from('a'.repeat(9000)), Buffer.from([0])]);
    const { context } = await fixture({ 'img.png': early, 'late.txt': late });
    expect(await codeOf(call(readFileTool, { path: 'img.png' }, context))).toBe(
      'store_binary_file',
    );
    const read = await call(readFileTool, { path: 'late.txt' }, context);
    expect(read.content.length).toBe(9001);
  });

  it('reads any text and any line range exactly, at sizes around its read chunks', async () => {
    const { root, context } = await fixture({});
    const line = fc.oneof(
      fc.constant(''),
      fc.string({ maxLength: 40 }).map((text) => text.replace(/[\n\0]/g, ' ')),
    );
    const size = fc.constantFrom(0, 1, 4_095, 4_096, 4_097, 65_535, 65_536, 65_537, 140_000);
    let file = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(line, { maxLength: 30 }),
        size,
        fc.nat(40),
        fc.nat(40),
        fc.boolean(),
        async (lines, padTo, a, b, trailing) => {
          let text = lines.join('\n') + (trailing ? '\n' : '');
          // Pad with whole lines to land near a chunk boundary.
          while (Buffer.byteLength(text) < padTo)
            text += `${'x'.repeat(Math.min(99, padTo - Buffer.byteLength(text)))}\n`;
          file += 1;
          const name = `f${file}.txt`;
          writeFileSync(join(root, name), text);
          const all = text === '' ? [] : text.split(/(?<=\n)/);
          const startLine = Math.min(a, b) + 1;
          const endLine = Math.max(a, b) + 1;
          if (startLine > Math.max(all.length, 1)) return;
          const read = await call(
            readFileTool,
            { path: name, startLine, endLine, maxBytes: 2_000_000 },
            context,
          );
          expect(read.totalLines).toBe(all.length);
          expect(read.content).toBe(all.slice(startLine - 1, endLine).join(''));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('refuses directories, missing files, FIFOs and bad ranges with typed errors', async () => {
    const { root, context } = await fixture({ 'src/a.ts': 'one\ntwo\n' });
    expect(await codeOf(call(readFileTool, { path: 'src' }, context))).toBe('store_is_directory');
    expect(await codeOf(call(readFileTool, { path: 'nope.ts' }, context))).toBe('store_not_found');
    execFileSync('mkfifo', [join(root, 'pipe')]);
    expect(await codeOf(call(readFileTool, { path: 'pipe' }, context))).toBe(
      'store_not_regular_file',
    );
    expect(
      await codeOf(call(readFileTool, { path: 'src/a.ts', startLine: 3, endLine: 2 }, context)),
    ).toBe('store_invalid_range');
    const past = await errorOf(call(readFileTool, { path: 'src/a.ts', startLine: 5 }, context));
    expect(past.code).toBe('store_invalid_range');
    expect(past.details).toMatchObject({ totalLines: 2, startLine: 5 });
  });

  it('refuses to start once aborted', async () => {
    const { workspace } = await fixture({ 'a.txt': 'a\n' });
    const controller = new AbortController();
    controller.abort();
    const context = contextFor(workspace, controller.signal);
    expect(await codeOf(call(readFileTool, { path: 'a.txt' }, context))).toBe('store_aborted');
  });
});

// ---------------------------------------------------------------------------
// write_file
// ---------------------------------------------------------------------------

describe('write_file', () => {
  it('creates a file and its missing parents, counting UTF-8 bytes', async () => {
    const { root, context } = await fixture();
    const result = await call(writeFileTool, { path: 'src/deep/new.ts', content: 'é\n' }, context);
    expect(result).toEqual({ path: 'src/deep/new.ts', bytes: 3, created: true });
    expect(await text(root, 'src/deep/new.ts')).toBe('é\n');
  });

  it('replaces a file, keeping its permission bits', async () => {
    const { root, context } = await fixture({ 'run.sh': 'echo old\n' });
    await chmod(join(root, 'run.sh'), 0o750);
    const result = await call(writeFileTool, { path: 'run.sh', content: 'echo new\n' }, context);
    expect(result).toEqual({ path: 'run.sh', bytes: 9, created: false });
    expect(await text(root, 'run.sh')).toBe('echo new\n');
    expect((await stat(join(root, 'run.sh'))).mode & 0o777).toBe(0o750);
    expect(await tempFilesIn(root)).toEqual([]);
  });

  it('refuses a missing parent when createDirs is false, and a parent that is a file', async () => {
    const { root, context } = await fixture({ 'file.txt': 'x' });
    expect(
      await codeOf(
        call(writeFileTool, { path: 'a/b.txt', content: '', createDirs: false }, context),
      ),
    ).toBe('store_not_found');
    expect(
      await codeOf(call(writeFileTool, { path: 'file.txt/b.txt', content: '' }, context)),
    ).toBe('store_not_a_directory');
    expect(
      await codeOf(
        call(writeFileTool, { path: 'file.txt/b.txt', content: '', createDirs: false }, context),
      ),
    ).toBe('store_not_a_directory');
    expect(await readdir(root)).toEqual(['file.txt']);
  });

  it('refuses to write onto a directory', async () => {
    const { root, context } = await fixture({ 'src/a.ts': '' });
    expect(await codeOf(call(writeFileTool, { path: 'src', content: 'x' }, context))).toBe(
      'store_is_directory',
    );
    expect(await readdir(join(root, 'src'))).toEqual(['a.ts']);
  });

  it('leaves the old file when aborted, before or during the write', async () => {
    const { root, workspace } = await fixture({ 'a.txt': 'old' });
    const before = new AbortController();
    before.abort();
    expect(
      await codeOf(
        call(
          writeFileTool,
          { path: 'a.txt', content: 'new' },
          contextFor(workspace, before.signal),
        ),
      ),
    ).toBe('store_aborted');
    const during = new AbortController();
    const tool = createWriteFileTool({ beforeRename: () => during.abort() });
    expect(
      await codeOf(
        call(tool, { path: 'a.txt', content: 'new' }, contextFor(workspace, during.signal)),
      ),
    ).toBe('store_aborted');
    expect(await text(root, 'a.txt')).toBe('old');
    expect(await tempFilesIn(root)).toEqual([]);
  });

  it('is atomic: before the rename the target is intact and the new content is whole in a temp file', async () => {
    const { root, context } = await fixture({ 'a.txt': 'old content' });
    const seen: Array<{ target: string; temps: string[] }> = [];
    const tool = createWriteFileTool({
      beforeRename: async () => {
        const temps = await tempFilesIn(root);
        seen.push({
          target: await text(root, 'a.txt'),
          temps: await Promise.all(temps.map((name) => text(root, name))),
        });
      },
    });
    await call(tool, { path: 'a.txt', content: 'new content' }, context);
    expect(seen).toEqual([{ target: 'old content', temps: ['new content'] }]);
    expect(await text(root, 'a.txt')).toBe('new content');
  });

  it('keeps the old content when the write fails between write and rename', async () => {
    const { root, context } = await fixture({ 'a.txt': 'old content' });
    const tool = createWriteFileTool({
      beforeRename: () => {
        throw new Error('simulated crash');
      },
    });
    expect(await codeOf(call(tool, { path: 'a.txt', content: 'new' }, context))).toBe(
      'store_io_error',
    );
    expect(await text(root, 'a.txt')).toBe('old content');
    expect(await tempFilesIn(root)).toEqual([]);
  });

  it('survives a process killed between write and rename: the old content, never a partial file', async () => {
    const { root } = await fixture({ 'a.txt': 'old content\n' });
    const next = `${'new line\n'.repeat(10_000)}`;
    await killWriterBeforeRename(root, 'a.txt', next);
    expect(await text(root, 'a.txt')).toBe('old content\n');
    // What a crash leaves: the durable temp file beside the target, whole, never the target itself.
    const leftovers = await tempFilesIn(root);
    expect(leftovers).toHaveLength(1);
    expect(await text(root, leftovers[0] ?? '')).toBe(next);
  });
});

// ---------------------------------------------------------------------------
// edit_file
// ---------------------------------------------------------------------------

describe('edit_file', () => {
  it('replaces one exact occurrence', async () => {
    const { root, context } = await fixture({ 'a.ts': 'const a = 1;\nconst b = 2;\n' });
    const result = await call(
      editFileTool,
      { path: 'a.ts', oldText: 'const b = 2;', newText: 'const b = 3;' },
      context,
    );
    expect(result).toEqual({ path: 'a.ts', replacements: 1, bytes: 26 });
    expect(await text(root, 'a.ts')).toBe('const a = 1;\nconst b = 3;\n');
  });

  it('replaces every occurrence with replaceAll, and keeps $ patterns in newText literal', async () => {
    const { root, context } = await fixture({ 'a.ts': 'x x x' });
    const result = await call(
      editFileTool,
      { path: 'a.ts', oldText: 'x', newText: "$&$1$'", replaceAll: true },
      context,
    );
    expect(result.replacements).toBe(3);
    expect(await text(root, 'a.ts')).toBe("$&$1$' $&$1$' $&$1$'");
  });

  it('replaces one occurrence with replaceAll when there is only one', async () => {
    const { root, context } = await fixture({ 'a.ts': 'x y' });
    const result = await call(
      editFileTool,
      { path: 'a.ts', oldText: 'y', newText: 'z', replaceAll: true },
      context,
    );
    expect(result.replacements).toBe(1);
    expect(await text(root, 'a.ts')).toBe('x z');
  });

  it('fails clearly when oldText is ambiguous, with the count and the lines', async () => {
    const { root, context } = await fixture({ 'a.ts': 'foo\nbar\nfoo\nfoo bar foo\n' });
    const error = await errorOf(
      call(editFileTool, { path: 'a.ts', oldText: 'foo', newText: 'baz' }, context),
    );
    expect(error.code).toBe('store_edit_ambiguous');
    expect(error.details).toMatchObject({ count: 4, lines: [1, 3, 4, 4] });
    expect(error.message).toContain('4 times');
    expect(await text(root, 'a.ts')).toBe('foo\nbar\nfoo\nfoo bar foo\n');
  });

  it('fails clearly when oldText is missing, with a hint for near misses', async () => {
    const { context } = await fixture({
      'lf.ts': 'function a() {\n  return 1;\n}\n',
      'crlf.ts': 'line one\r\nline two\r\n',
    });
    const missing = await errorOf(
      call(editFileTool, { path: 'lf.ts', oldText: 'return 2;', newText: 'x' }, context),
    );
    expect(missing.code).toBe('store_edit_no_match');
    expect(missing.details.hint).toBeUndefined();
    const indented = await errorOf(
      call(
        editFileTool,
        { path: 'lf.ts', oldText: 'function a() {\nreturn 1;', newText: 'x' },
        context,
      ),
    );
    expect(indented.code).toBe('store_edit_no_match');
    expect(String(indented.details.hint)).toContain('whitespace');
    const crlf = await errorOf(
      call(editFileTool, { path: 'crlf.ts', oldText: 'line one\nline two', newText: 'x' }, context),
    );
    expect(crlf.code).toBe('store_edit_no_match');
    expect(String(crlf.details.hint)).toContain('CRLF');
  });

  it('keeps a byte-order mark and the permission bits', async () => {
    const { root, context } = await fixture({ 'bom.txt': '\uFEFFhello\n' });
    await chmod(join(root, 'bom.txt'), 0o700);
    await call(editFileTool, { path: 'bom.txt', oldText: 'hello', newText: 'bye' }, context);
    expect(await readFile(join(root, 'bom.txt'))).toEqual(Buffer.from('\uFEFFbye\n'));
    expect((await stat(join(root, 'bom.txt'))).mode & 0o777).toBe(0o700);
  });

  it('refuses what it cannot edit safely, with typed errors', async () => {
    const { root, context } = await fixture({
      'src/a.ts': 'x',
      'bin.dat': Buffer.from([1, 0, 2]),
      'latin1.txt': Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]),
    });
    const edit = (path: string) =>
      call(editFileTool, { path, oldText: 'x', newText: 'y' }, context);
    expect(await codeOf(edit('src'))).toBe('store_is_directory');
    expect(await codeOf(edit('missing.ts'))).toBe('store_not_found');
    expect(await codeOf(edit('bin.dat'))).toBe('store_binary_file');
    expect(await codeOf(edit('latin1.txt'))).toBe('store_not_utf8');
    await writeFile(join(root, 'huge.txt'), 'x');
    await truncate(join(root, 'huge.txt'), EDIT_MAX_BYTES + 1);
    expect(await codeOf(edit('huge.txt'))).toBe('store_file_too_large');
    expect(
      editFileTool.parameters.safeParse({ path: 'a', oldText: '', newText: 'y' }).success,
    ).toBe(false);
    expect(await readFile(join(root, 'latin1.txt'))).toEqual(
      Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]),
    );
  });

  it('keeps the old content when the write fails between write and rename', async () => {
    const { root, context } = await fixture({ 'a.ts': 'keep me' });
    const tool = createEditFileTool({
      beforeRename: () => {
        throw new Error('simulated crash');
      },
    });
    expect(
      await codeOf(call(tool, { path: 'a.ts', oldText: 'keep', newText: 'drop' }, context)),
    ).toBe('store_io_error');
    expect(await text(root, 'a.ts')).toBe('keep me');
    expect(await tempFilesIn(root)).toEqual([]);
  });
});

// ---------------------------------------------------------------------------
// glob and .gitignore matching
// ---------------------------------------------------------------------------

describe('glob', () => {
  const cases: Array<[string, string, boolean]> = [
    ['*.ts', 'a.ts', true],
    ['*.ts', 'a.tsx', false],
    ['*.ts', 'dir/a.ts', false],
    ['*', '.hidden', true],
    ['src/*.ts', 'src/a.ts', true],
    ['src/*.ts', 'src/x/a.ts', false],
    ['src/**/*.ts', 'src/a.ts', true],
    ['src/**/*.ts', 'src/x/y/a.ts', true],
    ['src/**/*.ts', 'srcx/a.ts', false],
    ['**/*.md', 'README.md', true],
    ['**/*.md', 'docs/a/b.md', true],
    ['docs/**', 'docs/a/b.md', true],
    ['docs/**', 'docs', false],
    ['a**b', 'axxb', true],
    ['a**b', 'ax/xb', false],
    ['?.js', 'a.js', true],
    ['?.js', 'ab.js', false],
    ['?', '/', false],
    ['{a,b}.txt', 'a.txt', true],
    ['{a,b}.txt', 'c.txt', false],
    ['src/{lib,app/{x,y}}/*.ts', 'src/app/y/m.ts', true],
    ['src/{lib,app/{x,y}}/*.ts', 'src/app/z/m.ts', false],
    ['[abc].txt', 'b.txt', true],
    ['[!abc].txt', 'b.txt', false],
    ['[^abc].txt', 'd.txt', true],
    ['[a-c]1', 'c1', true],
    ['[a-c]1', 'd1', false],
    ['a[/]b', 'a/b', false],
    ['\\*.txt', '*.txt', true],
    ['\\*.txt', 'a.txt', false],
    ['{a,b', '{a,b', true],
    ['[ab', '[ab', true],
    ['a.b+(c)', 'a.b+(c)', true],
    ['a.b', 'axb', false],
  ];
  it.each(cases)('%s against %s is %s', (pattern, path, expected) => {
    expect(compileGlob(pattern, { braces: true }).test(path)).toBe(expected);
  });

  it('matches a glob without a slash against the name at any depth', () => {
    const match = globMatcher('*.ts');
    expect(match('a.ts')).toBe(true);
    expect(match('src/deep/a.ts')).toBe(true);
    expect(match('src/a.tsx')).toBe(false);
    expect(globMatcher('./src/*.ts')('src/a.ts')).toBe(true);
  });

  it('a glob with no special characters matches exactly itself (property)', () => {
    const segment = fc.stringMatching(/^[a-zA-Z0-9._+()$^|-]{1,8}$/);
    const path = fc.array(segment, { minLength: 1, maxLength: 4 }).map((parts) => parts.join('/'));
    fc.assert(
      fc.property(path, path, (a, b) => {
        const regex = compileGlob(a, { braces: true });
        expect(regex.test(a)).toBe(true);
        expect(regex.test(b)).toBe(a === b);
      }),
    );
  });

  it('`*` never crosses a separator and `**` matches any path (property)', () => {
    const segment = fc.stringMatching(/^[a-z.]{1,6}$/);
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 5 }), (parts) => {
        const path = parts.join('/');
        expect(compileGlob('**', { braces: true }).test(path)).toBe(true);
        expect(compileGlob('*', { braces: true }).test(path)).toBe(parts.length === 1);
      }),
    );
  });
});

describe('gitignore', () => {
  const stack = (...files: Array<[string, string]>): IgnoreFile[] =>
    files.map(([base, source]) => ({ base, rules: parseGitignore(source) }));

  it('skips comments and blank lines, honours escapes and trailing spaces', () => {
    const rules = parseGitignore('# comment\n\n\\#hash\n\\!bang\ntrailing   \nkept\\ \r\n');
    expect(rules).toHaveLength(4);
    const files = stack(['.', '# comment\n\\#hash\n\\!bang\ntrailing   \nkept\\ \n']);
    expect(isIgnored(files, '#hash', false)).toBe(true);
    expect(isIgnored(files, '!bang', false)).toBe(true);
    expect(isIgnored(files, 'trailing', false)).toBe(true);
    expect(isIgnored(files, 'kept ', false)).toBe(true);
    expect(isIgnored(files, 'kept', false)).toBe(false);
    expect(isIgnored(files, '# comment', false)).toBe(false);
  });

  it('applies negation, directory-only, anchoring and ** like git', () => {
    const files = stack([
      '.',
      ['*.log', '!keep.log', 'build/', '/only-root.txt', 'docs/*.tmp', '**/gen', 'a/**/z.txt'].join(
        '\n',
      ),
    ]);
    expect(isIgnored(files, 'x.log', false)).toBe(true);
    expect(isIgnored(files, 'deep/x.log', false)).toBe(true);
    expect(isIgnored(files, 'deep/keep.log', false)).toBe(false);
    expect(isIgnored(files, 'build', true)).toBe(true);
    expect(isIgnored(files, 'src/build', true)).toBe(true);
    expect(isIgnored(files, 'src/build', false)).toBe(false);
    expect(isIgnored(files, 'only-root.txt', false)).toBe(true);
    expect(isIgnored(files, 'sub/only-root.txt', false)).toBe(false);
    expect(isIgnored(files, 'docs/a.tmp', false)).toBe(true);
    expect(isIgnored(files, 'other/docs/a.tmp', false)).toBe(false);
    expect(isIgnored(files, 'x/y/gen', true)).toBe(true);
    expect(isIgnored(files, 'a/z.txt', false)).toBe(true);
    expect(isIgnored(files, 'a/b/c/z.txt', false)).toBe(true);
  });

  it('lets a deeper file override a shallower one, relative to its own directory', () => {
    const files = stack(['.', '*.md\n'], ['sub', '!README.md\n/local.txt\n']);
    expect(isIgnored(files, 'README.md', false)).toBe(true);
    expect(isIgnored(files, 'sub/README.md', false)).toBe(false);
    expect(isIgnored(files, 'sub/other.md', false)).toBe(true);
    expect(isIgnored(files, 'sub/local.txt', false)).toBe(true);
    expect(isIgnored(files, 'local.txt', false)).toBe(false);
    expect(isIgnored(files, 'sub/deeper/local.txt', false)).toBe(false);
  });
});

// ---------------------------------------------------------------------------
// list_files
// ---------------------------------------------------------------------------

const paths = (result: { entries: Array<{ path: string }> }) => result.entries.map((e) => e.path);

describe('list_files', () => {
  it('lists the tree in tree order, with types and sizes', async () => {
    const { context } = await fixture({ 'a/b.txt': 'bb', 'a-c.txt': 'c', 'z.txt': 'zzz' });
    const result = await call(listFilesTool, {}, context);
    expect(result).toEqual({
      entries: [
        { path: 'a', type: 'dir', size: 0 },
        { path: 'a/b.txt', type: 'file', size: 2 },
        { path: 'a-c.txt', type: 'file', size: 1 },
        { path: 'z.txt', type: 'file', size: 3 },
      ],
      truncated: { truncated: false },
    });
  });

  it('always skips .git and node_modules, and hidden names unless asked', async () => {
    const { context } = await fixture({
      '.git/HEAD': 'ref',
      'node_modules/x/index.js': '',
      'pkg/node_modules/y.js': '',
      '.env.example': '',
      '.github/ci.yml': '',
      'src/a.ts': '',
    });
    expect(paths(await call(listFilesTool, {}, context))).toEqual(['pkg', 'src', 'src/a.ts']);
    expect(paths(await call(listFilesTool, { includeHidden: true }, context))).toEqual([
      '.env.example',
      '.github',
      '.github/ci.yml',
      'pkg',
      'src',
      'src/a.ts',
    ]);
  });

  it('respects root and nested .gitignore files', async () => {
    const { context } = await fixture({
      '.gitignore': '*.log\n!keep.log\nbuild/\n/root-only.txt\n*.md\n',
      'app.log': '',
      'keep.log': '',
      'build/out.js': '',
      'docs/build': 'a file named build is not a directory',
      'root-only.txt': '',
      'README.md': '',
      'sub/root-only.txt': '',
      'sub/.gitignore': '!README.md\n*.tmp\n',
      'sub/README.md': '',
      'sub/x.tmp': '',
      'x.tmp': '',
    });
    expect(paths(await call(listFilesTool, {}, context))).toEqual([
      'docs',
      'docs/build',
      'keep.log',
      'sub',
      'sub/README.md',
      'sub/root-only.txt',
      'x.tmp',
    ]);
  });

  it('applies the ancestors .gitignore when listing a subdirectory, but lists an ignored start', async () => {
    const { context } = await fixture({
      '.gitignore': '*.gen.ts\ndist/\n',
      'src/a.ts': '',
      'src/a.gen.ts': '',
      'dist/bundle.js': '',
    });
    expect(paths(await call(listFilesTool, { path: 'src' }, context))).toEqual(['src/a.ts']);
    expect(paths(await call(listFilesTool, { path: 'dist' }, context))).toEqual(['dist/bundle.js']);
  });

  it('filters by glob relative to the listed path', async () => {
    const { context } = await fixture({
      'src/a.ts': '',
      'src/x/b.ts': '',
      'src/x/c.js': '',
      'test/a.test.ts': '',
      'README.md': '',
      'docs/guide.md': '',
    });
    expect(paths(await call(listFilesTool, { glob: 'src/**/*.ts' }, context))).toEqual([
      'src/a.ts',
      'src/x/b.ts',
    ]);
    // Code-unit order: capitals sort before lower case, whatever the locale.
    expect(paths(await call(listFilesTool, { glob: '*.md' }, context))).toEqual([
      'README.md',
      'docs/guide.md',
    ]);
    expect(paths(await call(listFilesTool, { glob: '{src,test}/*.ts' }, context))).toEqual([
      'src/a.ts',
      'test/a.test.ts',
    ]);
    expect(paths(await call(listFilesTool, { path: 'src', glob: 'x/*' }, context))).toEqual([
      'src/x/b.ts',
      'src/x/c.js',
    ]);
  });

  it('caps at maxEntries, keeping the shallowest entries, and marks it', async () => {
    const { context } = await fixture({
      'a/deep/1.txt': '',
      'a/2.txt': '',
      'b.txt': '',
      'c.txt': '',
    });
    const capped = await call(listFilesTool, { maxEntries: 3 }, context);
    expect(paths(capped)).toEqual(['a', 'b.txt', 'c.txt']);
    expect(capped.truncated).toEqual({ truncated: true, reason: 'max_entries' });
    const exact = await call(listFilesTool, { maxEntries: 6 }, context);
    expect(exact.entries).toHaveLength(6);
    expect(exact.truncated).toEqual({ truncated: false });
  });

  it('lists one level when recursive is false', async () => {
    const { context } = await fixture({ 'a/b.txt': '', 'c.txt': '' });
    expect(paths(await call(listFilesTool, { recursive: false }, context))).toEqual(['a', 'c.txt']);
  });

  it('lists symlinks as symlinks and never follows them out of the workspace', async () => {
    const { root, context } = await fixture({ 'real/a.txt': 'a' });
    const outside = join(dirname(root), 'outside');
    await writeTree(outside, { 'secret.txt': 's' });
    await symlink(outside, join(root, 'out'));
    await symlink(join(root, 'real/a.txt'), join(root, 'link.txt'));
    const result = await call(listFilesTool, {}, context);
    expect(result.entries).toEqual([
      { path: 'link.txt', type: 'symlink', size: 0 },
      { path: 'out', type: 'symlink', size: 0 },
      { path: 'real', type: 'dir', size: 0 },
      { path: 'real/a.txt', type: 'file', size: 1 },
    ]);
  });

  it('lists a file as itself, and refuses a missing path', async () => {
    const { context } = await fixture({ 'src/a.ts': 'abc' });
    expect((await call(listFilesTool, { path: 'src/a.ts' }, context)).entries).toEqual([
      { path: 'src/a.ts', type: 'file', size: 3 },
    ]);
    expect(await codeOf(call(listFilesTool, { path: 'nope' }, context))).toBe('store_not_found');
  });

  it('returns what it has, marked truncated, once aborted', async () => {
    const { workspace } = await fixture({ 'a.txt': '' });
    const controller = new AbortController();
    controller.abort();
    const result = await call(listFilesTool, {}, contextFor(workspace, controller.signal));
    expect(result).toEqual({ entries: [], truncated: { truncated: true, reason: 'aborted' } });
  });
});

// ---------------------------------------------------------------------------
// search
// ---------------------------------------------------------------------------

describe('search', () => {
  it('finds matching lines with position and context', async () => {
    const { context } = await fixture({
      'src/a.ts': 'l1\nl2\nconst needle = 1;\nl4\nl5\nl6\n',
      'src/b.ts': 'needle first\nl2\n',
    });
    const result = await call(searchTool, { pattern: 'needle' }, context);
    expect(result).toEqual({
      matches: [
        {
          path: 'src/a.ts',
          line: 3,
          column: 7,
          text: 'const needle = 1;',
          before: ['l1', 'l2'],
          after: ['l4', 'l5'],
          clipped: false,
        },
        {
          path: 'src/b.ts',
          line: 1,
          column: 1,
          text: 'needle first',
          before: [],
          after: ['l2'],
          clipped: false,
        },
      ],
      filesSearched: 2,
      filesSkipped: 0,
      linesCut: 0,
      truncated: { truncated: false },
    });
    const bare = await call(searchTool, { pattern: 'needle', contextLines: 0 }, context);
    expect(bare.matches.map((m) => [m.before, m.after])).toEqual([
      [[], []],
      [[], []],
    ]);
    expect(searchTool.parameters.safeParse({ pattern: 'x', contextLines: 11 }).success).toBe(false);
  });

  it('is case-sensitive by default, and matches line ends in CRLF files', async () => {
    const { context } = await fixture({ 'a.txt': 'Foo\r\nfoo\r\n' });
    expect(
      (await call(searchTool, { pattern: 'foo$' }, context)).matches.map((m) => m.line),
    ).toEqual([2]);
    const loose = await call(searchTool, { pattern: 'FOO', caseSensitive: false }, context);
    expect(loose.matches.map((m) => m.line)).toEqual([1, 2]);
  });

  it('refuses an invalid regex with a typed error, before touching the path', async () => {
    const { context } = await fixture();
    const error = await errorOf(
      call(searchTool, { pattern: '(unclosed', path: 'missing' }, context),
    );
    expect(error.code).toBe('store_search_invalid_pattern');
    expect(error.details.pattern).toBe('(unclosed');
  });

  it('skips binary, ignored, hidden and node_modules files, and files the workspace refuses', async () => {
    const { workspace } = await fixture({
      '.gitignore': 'ignored.txt\n',
      'ignored.txt': 'hit',
      '.hidden.txt': 'hit',
      'node_modules/m.js': 'hit',
      'bin.dat': Buffer.concat([Buffer.from('hit'), Buffer.from([0])]),
      'guarded.txt': 'hit',
      'plain.txt': 'hit',
    });
    const refusing = instrumented(workspace, { refuse: (path) => path === 'guarded.txt' });
    const result = await call(searchTool, { pattern: 'hit' }, contextFor(refusing));
    expect(result.matches.map((m) => m.path)).toEqual(['plain.txt']);
    expect(result.filesSearched).toBe(1);
    expect(result.filesSkipped).toBe(2);
  });

  it('filters by glob and searches a single file when path is one', async () => {
    const { context } = await fixture({ 'src/a.ts': 'hit', 'src/a.js': 'hit', 'doc.md': 'hit' });
    const ts = await call(searchTool, { pattern: 'hit', glob: '*.ts' }, context);
    expect(ts.matches.map((m) => m.path)).toEqual(['src/a.ts']);
    const one = await call(searchTool, { pattern: 'hit', path: 'doc.md' }, context);
    expect(one.matches.map((m) => m.path)).toEqual(['doc.md']);
    expect(await codeOf(call(searchTool, { pattern: 'x', path: 'nope' }, context))).toBe(
      'store_not_found',
    );
  });

  it('caps matches and files, and marks why', async () => {
    const { context } = await fixture({
      'a.txt': 'hit\nhit\nhit\n',
      'b.txt': 'hit\n',
      'c.txt': 'hit\n',
    });
    const byMatches = await call(searchTool, { pattern: 'hit', maxMatches: 2 }, context);
    expect(byMatches.matches.map((m) => `${m.path}:${m.line}`)).toEqual(['a.txt:1', 'a.txt:2']);
    expect(byMatches.truncated).toEqual({ truncated: true, reason: 'max_matches' });
    const exact = await call(searchTool, { pattern: 'hit', maxMatches: 5 }, context);
    expect(exact.truncated).toEqual({ truncated: false });
    const byFiles = await call(searchTool, { pattern: 'hit', maxFiles: 2 }, context);
    expect(byFiles.filesSearched).toBe(2);
    expect(byFiles.matches.map((m) => m.path)).toEqual(['a.txt', 'a.txt', 'a.txt', 'b.txt']);
    expect(byFiles.truncated).toEqual({ truncated: true, reason: 'max_files' });
  });

  it('examines only the start of very long lines, and clips what it shows', async () => {
    const long = `${'a'.repeat(MAX_EXAMINED_CHARS + 10)}needle`;
    const wide = `${'b'.repeat(4000)}pin${'c'.repeat(4000)}`;
    const { context } = await fixture({ 'long.txt': `${long}\n${wide}\nctx\n` });
    const beyond = await call(searchTool, { pattern: 'needle' }, context);
    expect(beyond.matches).toEqual([]);
    expect(beyond.linesCut).toBe(1);
    const inside = await call(searchTool, { pattern: 'pin' }, context);
    const [match] = inside.matches;
    expect(match?.column).toBe(4001);
    expect(match?.text.length).toBe(DISPLAY_CHARS);
    expect(match?.text).toContain('pin');
    expect(match?.before[0]?.length).toBe(DISPLAY_CHARS);
    expect(match?.after).toEqual(['ctx']);
    expect(match?.clipped).toBe(true);
  });

  it('stops between files once aborted, returning what it found, marked truncated', async () => {
    const tree: Tree = {};
    for (let index = 0; index < 10; index += 1) tree[`f${index}.txt`] = 'hit\n';
    const { workspace } = await fixture(tree);
    const controller = new AbortController();
    // Resolve 1 is the start; resolves 2.. are the files: abort while the 4th file is opened.
    const aborting = instrumented(workspace, {
      onResolve: (_path, count) => {
        if (count === 5) controller.abort();
      },
    });
    const result = await call(
      searchTool,
      { pattern: 'hit' },
      contextFor(aborting, controller.signal),
    );
    expect(result.truncated).toEqual({ truncated: true, reason: 'aborted' });
    expect(result.filesSearched).toBe(4);
    expect(result.matches.map((m) => m.path)).toEqual(['f0.txt', 'f1.txt', 'f2.txt', 'f3.txt']);
  });

  it('searches nothing when already aborted', async () => {
    const { workspace } = await fixture({ 'a.txt': 'hit' });
    const controller = new AbortController();
    controller.abort();
    const result = await call(
      searchTool,
      { pattern: 'hit' },
      contextFor(workspace, controller.signal),
    );
    expect(result).toMatchObject({
      matches: [],
      filesSearched: 0,
      truncated: { reason: 'aborted' },
    });
  });
});

// ---------------------------------------------------------------------------
// Crash harness: the real write path in a child process, SIGKILLed while it
// waits between the durable temp file and the rename.
// ---------------------------------------------------------------------------

const CHILD_SOURCE = `
const { createWriteFileTool } = await import(process.env.TOOLS_MODULE_URL);
setInterval(() => {}, 60_000); // a pending promise alone would let node exit
const root = process.env.ROOT;
const workspace = {
  root,
  resolve: async (path) => ({ absolute: root + '/' + path, relative: path, exists: true }),
};
const tool = createWriteFileTool({
  beforeRename: () => {
    process.stdout.write('ready\\n');
    return new Promise(() => {});
  },
});
await tool.run(
  { path: process.env.TARGET, content: process.env.DATA },
  { workspace, signal: new AbortController().signal, clock: { now: () => 0 } },
);
process.stdout.write('renamed\\n');
`;

async function killWriterBeforeRename(root: string, target: string, data: string): Promise<void> {
  await runWriterUntilReady(CHILD_SOURCE, PROJECT_ROOT, {
    TOOLS_MODULE_URL,
    ROOT: root,
    TARGET: target,
    DATA: data,
  });
}
