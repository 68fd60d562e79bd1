/** The demo's offline personas on a real temporary workspace. */
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunTaskInput } from '../machines/contracts.js';
import {
  createDemoTasks,
  DeliberateFailureError,
  isTestFile,
  splitLines,
  TaskAbortedError,
  UnknownPersonaError,
} from '../src/cli/demo-tasks.js';
import { detachedTaskServices } from '../src/session/index.js';

let workspace: string;

const files: Record<string, string | Buffer> = {
  'README.md': '# Demo\nTODO: write docs\n',
  'src/app.ts': 'const a = 1; // TODO tidy\n// FIXME: and a TODO on one line\nexport {};\n',
  'src/app.test.ts': "test('x', () => {});\n",
  'src/notes.TXT': 'no newline at the end',
  'src/protest.tsx': 'export {};\n',
  'src/nested/deep/x.test.js': '// FIXME deep\n',
  'pkg/util_test.go': 'package pkg\n\nfunc TestX() {}\n',
  'tests/test_util.py': 'def test_x():\n    pass\n',
  'test_notpy.js': '1\n',
  Makefile: 'all:\r\n\techo TODOS\r\n',
  'empty.md': '',
  // Binary (a NUL byte): listed, never read, so its TODO does not count.
  'image.bin': Buffer.from([0x89, 0x50, 0x00, 0x0a, ...Buffer.from('TODO\n')]),
  // Skipped folders.
  'node_modules/dep/index.js': '// TODO skipped\n',
  '.git/HEAD': 'TODO\n',
  'dist/out.js': '// FIXME skipped\n',
  '.nerdloop/snapshots/a.json': '{"TODO": 1}\n',
};

beforeAll(async () => {
  workspace = await mkdtemp(join(tmpdir(), 'nerdloop-demo-tasks-'));
  for (const [path, content] of Object.entries(files)) {
    const full = join(workspace, path);
    await mkdir(join(full, '..'), { recursive: true });
    await writeFile(full, content);
  }
  // Symbolic links are not followed: this one would count src twice.
  await symlink(join(workspace, 'src'), join(workspace, 'link'));
});

afterAll(async () => {
  await rm(workspace, { recursive: true, force: true });
});

const input = (persona: string, overrides: Partial<RunTaskInput> = {}): RunTaskInput => ({
  agentId: 'a',
  agentPath: 'root/a',
  persona,
  kind: 'ephemeral',
  task: { id: 't', prompt: 'go' },
  history: [],
  ...overrides,
});
const live = () => ({ ...detachedTaskServices(), signal: new AbortController().signal });

describe('personas', () => {
  it('reviewer lists the files and counts TODO and FIXME lines', async () => {
    const output = await createDemoTasks({ workspace })(input('reviewer'), live());
    expect(output.result).toEqual({
      persona: 'reviewer',
      summary: 'reviewed 12 files: 3 TODO and 2 FIXME lines',
      files: 12,
      todoLines: 3,
      fixmeLines: 2,
      locations: ['README.md:2', 'src/app.ts:1', 'src/app.ts:2', 'src/nested/deep/x.test.js:1'],
      earlierTasks: 0,
    });
  });

  it('tester counts *.test.*, *_test.* and test_*.py files', async () => {
    const output = await createDemoTasks({ workspace })(input('tester'), live());
    expect(output.result).toEqual({
      persona: 'tester',
      summary: 'found 4 test files among 12 files',
      files: 12,
      testFiles: 4,
      examples: [
        'pkg/util_test.go',
        'src/app.test.ts',
        'src/nested/deep/x.test.js',
        'tests/test_util.py',
      ],
      earlierTasks: 0,
    });
  });

  it('researcher counts lines per extension', async () => {
    const output = await createDemoTasks({ workspace })(input('researcher'), live());
    expect(output.result).toEqual({
      persona: 'researcher',
      summary: 'counted 17 lines in 12 files (.ts 4, .go 3, (none) 2)',
      files: 12,
      lines: 17,
      byExtension: {
        '(none)': { files: 1, lines: 2 },
        '.md': { files: 2, lines: 2 },
        '.bin': { files: 1, lines: 0 },
        '.go': { files: 1, lines: 3 },
        '.ts': { files: 2, lines: 4 },
        '.js': { files: 2, lines: 2 },
        '.txt': { files: 1, lines: 1 },
        '.tsx': { files: 1, lines: 1 },
        '.py': { files: 1, lines: 2 },
      },
      earlierTasks: 0,
    });
    expect(output).toMatchObject({ turns: 1, tokens: 0 });
  });

  it('a persistent agent sees its earlier tasks in the history it is given', async () => {
    const history = [
      { role: 'user' as const, content: 'count lines' },
      { role: 'assistant' as const, content: '{}' },
    ];
    const output = await createDemoTasks({ workspace })(input('researcher', { history }), live());
    expect(output.result).toMatchObject({
      earlierTasks: 1,
      summary: expect.stringMatching(/; 1 earlier task in history$/),
    });
  });

  it('an unknown persona fails with a stable code', async () => {
    await expect(createDemoTasks({ workspace })(input('poet'), live())).rejects.toBeInstanceOf(
      UnknownPersonaError,
    );
  });

  it('failFirstAttempts fails that many attempts per agent and task, then works', async () => {
    const run = createDemoTasks({ workspace });
    const flaky = input('tester', {
      task: { id: 'f', prompt: 'go', data: { failFirstAttempts: 1 } },
    });
    await expect(run(flaky, live())).rejects.toBeInstanceOf(DeliberateFailureError);
    await expect(run(flaky, live())).resolves.toMatchObject({ result: { testFiles: 4 } });
    // Another agent with the same task has attempts of its own.
    await expect(run({ ...flaky, agentId: 'b' }, live())).rejects.toMatchObject({
      code: 'deliberate_failure',
    });
  });
});

describe('cancellation', () => {
  it('an already-aborted signal rejects at once, before touching the workspace', async () => {
    const controller = new AbortController();
    controller.abort('user cancelled');
    const run = createDemoTasks({ workspace: join(workspace, 'does-not-exist') });
    await expect(
      run(input('reviewer'), { ...detachedTaskServices(), signal: controller.signal }),
    ).rejects.toMatchObject({
      code: 'task_aborted',
      message: 'task aborted: user cancelled',
    });
  });

  it('an abort during the walk stops it at the next file', async () => {
    const controller = new AbortController();
    const running = createDemoTasks({ workspace })(input('researcher'), {
      ...detachedTaskServices(),
      signal: controller.signal,
    });
    controller.abort();
    await expect(running).rejects.toBeInstanceOf(TaskAbortedError);
  });
});

describe('helpers', () => {
  it('splitLines numbers lines as an editor does', () => {
    expect(splitLines('')).toEqual([]);
    expect(splitLines('a')).toEqual(['a']);
    expect(splitLines('a\n')).toEqual(['a']);
    expect(splitLines('a\r\nb\n\n')).toEqual(['a', 'b', '']);
  });

  it.each([
    ['a.test.ts', true],
    ['dir/b.test.mjs', true],
    ['util_test.go', true],
    ['tests/test_x.py', true],
    ['test_x.js', false],
    ['contest.ts', false],
    ['x.test.dir/readme.md', false],
  ])('isTestFile(%s) is %s', (path, expected) => {
    expect(isTestFile(path)).toBe(expected);
  });
});
