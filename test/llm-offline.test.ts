/**
 * The offline model driven by a loop like the runtime's: each tool call runs
 * through a real VirtualStore (shipped rules, real tools, default mode) on a
 * temp workspace, and the store's `toolOutcomeContent` goes back as the tool
 * message. Tests that need garbage or canned results replace a tool's content.
 */
import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import { lastValueFrom, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sequentialIds } from '../src/core/index.js';
import { LlmCancelled } from '../src/llm/errors.js';
import {
  createOfflineModel,
  findLongFunctions,
  findUntestedSources,
  guessTestCommand,
  InvalidOfflineOptionsError,
  OFFLINE_DISCLAIMER,
  type OfflineModelOptions,
  readBrief,
  scanTodos,
} from '../src/llm/offline/index.js';
import {
  type ChatMessage,
  type ChatModel,
  type Completion,
  completionSchema,
  type StreamDelta,
  type ToolDefinition,
} from '../src/llm/port.js';
import {
  createVirtualStore,
  type RunCommandResult,
  toolOutcomeContent,
} from '../src/store/index.js';

// ---------------------------------------------------------------------------
// A real workspace on disk.

const BIG_BODY = [
  '  let total = 0;',
  "  const brace = '{'; // a brace in a string must not confuse the matcher",
  ...Array.from({ length: 114 }, (_, i) => `  total += input[${i % 5}] ?? ${i};`),
  '  total = clamp(total, 0, 1000);',
  '  return total;',
];

const FILES: Record<string, string> = {
  'src/math.ts': [
    'export function add(a: number, b: number): number {',
    '  // TODO: handle overflow',
    '  return a + b;',
    '}',
    '',
    'export function sub(a: number, b: number): number {',
    '  return a - b;',
    '}',
    '',
  ].join('\n'),
  'src/big.ts': [
    "import { clamp } from './util.js';",
    '',
    'export function processEverything(input: number[]): number {',
    ...BIG_BODY,
    '}',
    '',
    'export function small(): number {',
    '  return 1;',
    '}',
    '',
  ].join('\n'),
  'src/util.ts': [
    'export const clamp = (value: number, low: number, high: number): number => {',
    '  return Math.min(high, Math.max(low, value));',
    '};',
    '',
  ].join('\n'),
  'test/math.test.ts': "import { add } from '../src/math.js';\nadd(1, 2);\n",
  'test/big.test.ts': "import { small } from '../src/big.js';\nsmall();\n",
  'scripts/report.py': [
    'def summarize(rows):',
    '    # FIXME: this is slow',
    '    total = 0',
    ...Array.from({ length: 86 }, (_, i) => `    total += rows[${i}]`),
    '    return total',
    '',
    '',
    'def tiny():',
    '    return 1',
    '',
  ].join('\n'),
  'node_modules/pkg/index.js': '// TODO: not ours\nexport const x = 1;\n',
  'package-lock.json': '{}\n',
  'README.md': '# demo\nUses `clamp`.\n',
  'src/.env': 'SECRET=1\n',
};

let root: string;
/** The store's tools as the model is offered them. */
let definitions: ToolDefinition[];

beforeAll(async () => {
  root = await realpath(await mkdtemp(join(tmpdir(), 'nerdloop-offline-')));
  await writeTree(root, FILES);
  await writeFile(join(root, 'logo.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 3]));
  const store = await createVirtualStore({ root, persona: 'coder' });
  definitions = store.definitions();
  store.close();
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function writeTree(dir: string, files: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
}

// ---------------------------------------------------------------------------
// The workspace tools: a real VirtualStore, unless a test replaces a tool.

type ToolName = 'list_files' | 'read_file' | 'search' | 'write_file' | 'edit_file' | 'run_command';
const ALL_TOOLS: ToolName[] = [
  'list_files',
  'read_file',
  'search',
  'write_file',
  'edit_file',
  'run_command',
];
const toolsFor = (names: readonly ToolName[]): ToolDefinition[] =>
  definitions.filter((tool) => names.includes(tool.name as ToolName));

type Args = Record<string, unknown>;
/** A replacement tool: the tool message's content, as is. */
type Impl = (args: Args) => Promise<string> | string;

/** What the store's run_command returns, for canned command results. */
const commandResult = (fields: Partial<RunCommandResult>): string =>
  JSON.stringify({
    exitCode: 0,
    signal: null,
    stdout: '',
    stderr: '',
    stdoutTruncated: { truncated: false },
    stderrTruncated: { truncated: false },
    timedOut: false,
    cancelled: false,
    abandoned: false,
    durationMs: 5,
    ...fields,
  } satisfies RunCommandResult);

// ---------------------------------------------------------------------------
// A tiny loop: complete, run the calls through the store, send results back, until `stop`.

type Run = {
  readonly messages: ChatMessage[];
  /** Per step, the calls as `name {args}`. */
  readonly steps: string[][];
  readonly answer: string;
  readonly completions: Completion[];
  /** Every tool the store was asked to run, in order. */
  readonly requested: string[];
};

type DriveOptions = {
  readonly tools?: readonly ToolName[];
  readonly impls?: Partial<Record<ToolName, Impl>>;
  readonly model?: ChatModel;
  readonly history?: readonly ChatMessage[];
  /** The workspace; default the shared one. */
  readonly root?: string;
};

const system = (...lines: string[]): ChatMessage => ({ role: 'system', content: lines.join('\n') });
const user = (content: string): ChatMessage => ({ role: 'user', content });

async function drive(start: readonly ChatMessage[], options: DriveOptions = {}): Promise<Run> {
  const model = options.model ?? createOfflineModel();
  const messages: ChatMessage[] = [...(options.history ?? []), ...start];
  // The store judges as the persona the model plays.
  const store = await createVirtualStore({
    root: options.root ?? root,
    persona: readBrief(messages).persona.slice(1),
    ids: sequentialIds(),
  });
  const requested: string[] = [];
  store.events$.subscribe((event) => {
    if (event.type === 'tool.requested') requested.push(event.tool);
  });
  const tools = toolsFor(options.tools ?? ALL_TOOLS);
  const steps: string[][] = [];
  const completions: Completion[] = [];
  try {
    for (let turn = 0; turn < 20; turn += 1) {
      const completion = await model.complete({ messages, tools });
      completions.push(completionSchema.parse(completion));
      messages.push({
        role: 'assistant',
        content: completion.text,
        toolCalls: completion.toolCalls,
      });
      if (completion.finishReason === 'stop') {
        expect(completion.toolCalls).toEqual([]);
        return { messages, steps, answer: completion.text, completions, requested };
      }
      expect(completion.finishReason).toBe('tool_calls');
      steps.push(completion.toolCalls.map((call) => `${call.name} ${call.rawArguments}`));
      for (const call of completion.toolCalls) {
        const impl = options.impls?.[call.name as ToolName];
        const args = call.arguments ?? {};
        const content =
          impl === undefined
            ? toolOutcomeContent(await store.call(call.name, args, { callId: call.id }))
            : await impl(args as Args);
        messages.push({ role: 'tool', toolCallId: call.id, content });
      }
    }
  } finally {
    store.close();
  }
  throw new Error('the offline model never answered');
}

const persona = (name: string, ...more: string[]) => system(`Persona: ${name}`, ...more);

// ---------------------------------------------------------------------------

describe('reviewer', () => {
  const start = [persona('/reviewer'), user('review this project')];

  it('lists, reads the source files, and reports sorted findings', async () => {
    const run = await drive(start);
    expect(run.steps).toEqual([
      ['list_files {"path":".","recursive":true}'],
      [
        'read_file {"path":"src/big.ts"}',
        'read_file {"path":"src/math.ts"}',
        'read_file {"path":"src/util.ts"}',
        'read_file {"path":"scripts/report.py"}',
        'read_file {"path":"test/big.test.ts"}',
        'read_file {"path":"test/math.test.ts"}',
      ],
    ]);
    const answer = run.answer;
    expect(answer.split('\n')[0]).toBe(OFFLINE_DISCLAIMER);
    expect(answer).toContain('read 6 of 6 source files');
    expect(answer).toContain(
      [
        'TODO/FIXME/XXX (2):',
        '- scripts/report.py:2: # FIXME: this is slow',
        '- src/math.ts:2: // TODO: handle overflow',
      ].join('\n'),
    );
    expect(answer).toContain(
      [
        'Long functions (over 80 lines) (2):',
        '- scripts/report.py:1: `summarize` is 90 lines long',
        '- src/big.ts:3: `processEverything` is 120 lines long',
      ].join('\n'),
    );
    expect(answer).toContain(
      ['Source files without a test (2):', '- scripts/report.py', '- src/util.ts'].join('\n'),
    );
    expect(answer).toContain('Long files (over 500 lines): none.');
    expect(answer).not.toContain('node_modules');
    expect(answer).not.toContain('small');
    expect(answer).not.toContain('Notes');
  });

  it('honours its limits: files to read, long-file threshold, a path target', async () => {
    const model = createOfflineModel({ maxFilesToRead: 2, longFileLines: 100 });
    const run = await drive([persona('/reviewer', 'Target: src'), user('review')], { model });
    expect(run.steps[1]).toEqual([
      'read_file {"path":"src/big.ts"}',
      'read_file {"path":"src/math.ts"}',
    ]);
    expect(run.answer).toContain('Review of `src`: read 2 of 3 source files');
    expect(run.answer).toContain('Long files (over 100 lines) (1):\n- src/big.ts: 126 lines');
    expect(run.answer).toContain('Source files without a test (1):\n- src/util.ts');
  });

  it('is deterministic: the same run twice gives identical messages', async () => {
    const first = await drive(start);
    const second = await drive(start);
    expect(JSON.stringify(second.messages)).toBe(JSON.stringify(first.messages));
  });

  it('says so when list_files is not offered', async () => {
    const run = await drive(start, { tools: ['read_file', 'search'] });
    expect(run.steps).toEqual([]);
    expect(run.answer.startsWith(OFFLINE_DISCLAIMER)).toBe(true);
    expect(run.answer).toContain('no files were listed');
    expect(run.answer).toContain('The `list_files` tool was not offered');
  });

  it('still reports missing tests when read_file is not offered', async () => {
    const run = await drive(start, { tools: ['list_files'] });
    expect(run.steps).toHaveLength(1);
    expect(run.answer).toContain('read 0 of 6 source files');
    expect(run.answer).toContain('- src/util.ts');
    expect(run.answer).toContain('The `read_file` tool was not offered');
  });

  it('stops at the step budget and answers with what it has', async () => {
    const run = await drive(start, { model: createOfflineModel({ maxSteps: 1 }) });
    expect(run.steps).toHaveLength(1);
    expect(run.answer).toContain('Stopped after 1 tool steps');
  });

  it('starts over on a new user turn, with call ids that never repeat', async () => {
    const first = await drive(start);
    const second = await drive([user('again, please')], { history: first.messages });
    expect(second.steps).toEqual(first.steps);
    const ids = second.messages.flatMap((message) =>
      message.role === 'assistant' ? (message.toolCalls ?? []).map((call) => call.id) : [],
    );
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('tester', () => {
  // The constitution refuses inline code (`node -e`), so the tests are script files.
  let testerRoot: string;
  beforeAll(async () => {
    testerRoot = await realpath(await mkdtemp(join(tmpdir(), 'nerdloop-offline-tester-')));
    await writeTree(testerRoot, {
      'pass.js': "console.log('math: 2 passed');\nconsole.log('big: 1 passed');\n",
      'fail.js': [
        "console.log('math: 1 failed');",
        "console.log('big: 1 passed');",
        "console.error('AssertionError: 1 !== 2');",
        'process.exit(3);',
        '',
      ].join('\n'),
    });
  });
  afterAll(async () => {
    await rm(testerRoot, { recursive: true, force: true });
  });

  it('runs the brief test command through the store and reports a pass', async () => {
    const run = await drive([persona('/tester', 'Test command: node pass.js'), user('run tests')], {
      root: testerRoot,
    });
    expect(run.steps).toEqual([['run_command {"command":"node pass.js"}']]);
    expect(run.requested).toEqual(['run_command']);
    expect(run.answer.startsWith(OFFLINE_DISCLAIMER)).toBe(true);
    expect(run.answer).toContain('Tests PASSED (exit code 0).');
    expect(run.answer).toContain(
      'Last 2 lines of stdout:\n```\nmath: 2 passed\nbig: 1 passed\n```',
    );
    expect(run.answer).not.toContain('stderr');
    expect(run.answer).not.toContain('Notes');
  });

  it('reports a failure with the exit code and the tails of stdout and stderr', async () => {
    const model = createOfflineModel({ outputTailLines: 1 });
    const run = await drive([persona('/tester', 'Test command: node fail.js'), user('test')], {
      model,
      root: testerRoot,
    });
    expect(run.answer).toContain('Tests FAILED (exit code 3).');
    expect(run.answer).toContain('Last 1 lines of stdout:\n```\nbig: 1 passed\n```');
    expect(run.answer).toContain('Last 1 lines of stderr:\n```\nAssertionError: 1 !== 2\n```');
    expect(run.answer).not.toContain('math: 1 failed');
  });

  it('notes a command the store denies, and does not claim a result', async () => {
    const inline = `node -e "console.log('hi')"`;
    const run = await drive([persona('/tester', `Test command: ${inline}`), user('test')], {
      root: testerRoot,
    });
    expect(run.steps).toEqual([[`run_command ${JSON.stringify({ command: inline })}`]]);
    expect(run.answer).toContain('Test result UNKNOWN: `run_command` returned no usable result');
    expect(run.answer).toContain(
      `- run_command(${inline}) failed (store_denied): run_command was denied (/dangerous_command)\n`,
    );
    expect(run.answer).not.toContain('PASSED');
  });

  it('infers `npm test` from package.json and reads it first', async () => {
    const dir = await realpath(await mkdtemp(join(tmpdir(), 'nerdloop-offline-npm-')));
    try {
      await writeTree(dir, {
        'package.json': JSON.stringify({ scripts: { test: 'vitest run' } }),
        'vitest.config.ts': 'export default {};\n',
        'src/a.ts': 'export const a = 1;\n',
      });
      const run = await drive([persona('/tester'), user('run the tests')], {
        root: dir,
        impls: {
          run_command: () => commandResult({ stdout: ' ✓ test/a.test.ts (1)\n Tests 1 passed\n' }),
        },
      });
      expect(run.steps).toEqual([
        ['list_files {"path":".","recursive":false}'],
        ['read_file {"path":"package.json"}'],
        ['run_command {"command":"npm test"}'],
      ]);
      expect(run.requested).toEqual(['list_files', 'read_file']);
      expect(run.answer).toContain('Tests PASSED (exit code 0).');
      expect(run.answer).toContain('package.json has a test script (`vitest run`)');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('guesses commands for other ecosystems', () => {
    expect(guessTestCommand(['vitest.config.ts', 'package.json'], {}).command).toBe(
      'npx vitest run',
    );
    expect(guessTestCommand(['package.json'], { devDependencies: { jest: '1' } }).command).toBe(
      'npx jest',
    );
    expect(
      guessTestCommand(['package.json'], { scripts: { test: 'echo "Error: no test specified"' } })
        .command,
    ).toBeNull();
    expect(guessTestCommand(['go.mod'], null).command).toBe('go test ./...');
    expect(guessTestCommand(['Cargo.toml'], null).command).toBe('cargo test');
    expect(guessTestCommand(['src/pytest.ini', 'pytest.ini'], null).command).toBe(
      'python -m pytest',
    );
    expect(guessTestCommand(['README.md'], null).command).toBeNull();
  });

  it('says what it would run when run_command is not offered', async () => {
    const run = await drive([persona('/tester', 'Test command: node pass.js'), user('test')], {
      tools: ['list_files', 'read_file'],
      root: testerRoot,
    });
    expect(run.steps).toEqual([]);
    expect(run.answer).toContain('The tests were not run. The command would be `node pass.js`');
    expect(run.answer).toContain('The `run_command` tool was not offered');
  });

  it('says so when no command can be inferred', async () => {
    const run = await drive([persona('/tester'), user('test')], { root: testerRoot });
    expect(run.steps).toEqual([['list_files {"path":".","recursive":false}']]);
    expect(run.answer).toContain('no test command was given and none could be inferred');
    expect(run.answer).toContain('Test command: <command>');
  });

  it('explains a run that ended without an exit code', async () => {
    const run = await drive([persona('/tester', 'Test command: make test'), user('test')], {
      impls: {
        run_command: () =>
          commandResult({ exitCode: null, signal: 'SIGSEGV', stderr: 'Segmentation fault\n' }),
      },
    });
    expect(run.answer).toContain('Test result UNKNOWN: the command was ended by SIGSEGV.');
    expect(run.answer).toContain('Last 1 lines of stderr:\n```\nSegmentation fault\n```');
  });

  it('notes output the store cut in the middle', async () => {
    const run = await drive([persona('/tester', 'Test command: make test'), user('test')], {
      impls: {
        run_command: () =>
          commandResult({
            exitCode: 1,
            stdout: 'start\n\n… 5000 bytes omitted …\nend\n',
            stdoutTruncated: { truncated: true, omitted: 5000 },
          }),
      },
    });
    expect(run.answer).toContain('Tests FAILED (exit code 1).');
    expect(run.answer).toContain(
      'run_command(make test): 5000 bytes of its stdout was left out in the middle.',
    );
  });
});

describe('researcher', () => {
  it('searches, reads the best files, and reports definitions and uses', async () => {
    const run = await drive([persona('/researcher', 'Target: `clamp`'), user('where is it?')]);
    expect(run.steps).toEqual([
      ['search {"pattern":"clamp","contextLines":0}'],
      // The defining file first, then by number of matches.
      [
        'read_file {"path":"src/util.ts"}',
        'read_file {"path":"src/big.ts"}',
        'read_file {"path":"README.md"}',
      ],
    ]);
    expect(run.answer.startsWith(OFFLINE_DISCLAIMER)).toBe(true);
    expect(run.answer).toContain('Research on `clamp`: 4 matching lines in 3 files.');
    expect(run.answer).toContain(
      'Defined at (1):\n- src/util.ts:1: export const clamp = (value: number, low: number, high: number): number => {',
    );
    expect(run.answer).toContain("- src/big.ts:1: import { clamp } from './util.js';");
    expect(run.answer).toContain('- src/big.ts:120: total = clamp(total, 0, 1000);');
  });

  it('also searches the words of a compound name', async () => {
    const run = await drive([persona('/researcher'), user('where is `processEverything` used?')]);
    expect(run.steps[0]).toEqual([
      'search {"pattern":"processEverything","contextLines":0}',
      'search {"pattern":"process","contextLines":0}',
      'search {"pattern":"Everything","contextLines":0}',
    ]);
    expect(run.answer).toContain('- src/big.ts:3: export function processEverything');
  });

  it('searches for a target with regex metacharacters as the literal text', async () => {
    // Unescaped, `Math.max(low` is an invalid regex (an unclosed group) and the store refuses it.
    const run = await drive([persona('/researcher', 'Target: `Math.max(low`'), user('where?')]);
    expect(run.steps[0]).toEqual([
      'search {"pattern":"Math\\\\.max\\\\(low","contextLines":0}',
      'search {"pattern":"Math","contextLines":0}',
    ]);
    expect(run.answer).toContain('Research on `Math.max(low`: 1 matching lines in 1 files.');
    expect(run.answer).toContain('- src/util.ts:2: return Math.min(high, Math.max(low, value));');
    expect(run.answer).not.toContain('store_search_invalid_pattern');
  });

  it('asks for a target when there is none', async () => {
    const run = await drive([persona('/researcher'), user('research something')]);
    expect(run.steps).toEqual([]);
    expect(run.answer).toContain('Research needs a target');
  });
});

describe('coder', () => {
  it('finds a symbol, shows it, and says editing needs a real model', async () => {
    const run = await drive([system('You are nerdloop.'), user('refactor `processEverything`')]);
    expect(run.steps).toEqual([
      ['search {"pattern":"processEverything","contextLines":0}'],
      ['read_file {"path":"src/big.ts"}'],
    ]);
    expect(run.answer.startsWith(OFFLINE_DISCLAIMER)).toBe(true);
    expect(run.answer).toContain('src/big.ts:3: export function processEverything');
    expect(run.answer).toContain(
      'src/big.ts, from line 3:\n```\nexport function processEverything',
    );
    expect(run.answer).toContain('OPENAI_BASE_URL');
    expect(run.answer).toContain('OPENAI_API_KEY');
    expect(run.answer).toContain('NERDLOOP_MODEL');
  });

  it('reads a path target and outlines it', async () => {
    const run = await drive([persona('/coder'), user('add a multiply function to src/math.ts.')]);
    expect(run.steps).toEqual([['read_file {"path":"src/math.ts"}']]);
    expect(run.answer).toContain('`src/math.ts`: 8 lines.');
    expect(run.answer).toContain('- src/math.ts:1: function add\n- src/math.ts:6: function sub');
  });

  it('lists the root when there is no target', async () => {
    const run = await drive([persona('/coder'), user('make it better')]);
    expect(run.steps).toEqual([['list_files {"path":".","recursive":false}']]);
    // The store skips node_modules.
    expect(run.answer).toContain(
      'At the workspace root (6):\n- scripts/\n- src/\n- test/\n- README.md\n- logo.png\n- package-lock.json',
    );
    expect(run.answer).toContain('Editing code needs a real model');
  });

  it('never writes, even when write tools are offered', async () => {
    const run = await drive([persona('/coder', 'Target: src/util.ts'), user('fix it')]);
    expect(run.requested).toEqual(['read_file']);
  });

  it('finds a symbol with regex metacharacters as the literal text', async () => {
    const run = await drive([persona('/coder'), user('simplify `clamp(total`')]);
    expect(run.steps).toEqual([
      ['search {"pattern":"clamp\\\\(total","contextLines":0}'],
      ['read_file {"path":"src/big.ts"}'],
    ]);
    expect(run.answer).toContain('`clamp(total` appears on 1 lines in 1 files.');
    expect(run.answer).not.toContain('Notes');
  });

  it('notes a read the store denies and answers without the file', async () => {
    const run = await drive([persona('/coder', 'Target: src/.env'), user('fix the config')]);
    expect(run.steps).toEqual([['read_file {"path":"src/.env"}']]);
    expect(run.answer).toContain('Could not read `src/.env`.');
    // The note keeps the verdict and its reasons, not the proof (rule files and lines).
    expect(run.answer).toContain(
      '- read_file(src/.env) failed (store_denied): read_file was denied (/sensitive_path)\n',
    );
    expect(run.answer).not.toContain('constitution.mg');
    expect(run.answer).not.toContain('SECRET=1');
  });
});

describe('the brief', () => {
  it('reads persona, target and test command lines', () => {
    const brief = readBrief([
      system(
        'You are nerdloop.',
        '- Persona: /tester',
        'Target: `src/a.ts`',
        'Test command: `npm t`',
      ),
      user('go'),
    ]);
    expect(brief).toEqual({
      persona: '/tester',
      target: { kind: 'path', text: 'src/a.ts' },
      testCommand: 'npm t',
      notes: [],
    });
  });

  it('falls back to /coder and notes an unknown persona', () => {
    const brief = readBrief([system('Persona: /poet'), user('look at main.py')]);
    expect(brief.persona).toBe('/coder');
    expect(brief.target).toEqual({ kind: 'path', text: 'main.py' });
    expect(brief.notes[0]).toContain('Unknown persona');
  });

  it('finds paths in prose without mistaking "and/or" for one', () => {
    const target = (text: string) => readBrief([user(text)]).target;
    expect(target('fix the read/write bug in src/io')).toEqual({ kind: 'path', text: 'src/io' });
    expect(target('look at ./lib/x.')).toEqual({ kind: 'path', text: 'lib/x' });
    expect(target('either and/or neither')).toBeNull();
    expect(readBrief([system('Target: a/b'), user('x')]).target).toEqual({
      kind: 'path',
      text: 'a/b',
    });
  });

  it('takes a persona word starting the user message', () => {
    expect(readBrief([user('/reviewer please')]).persona).toBe('/reviewer');
  });
});

describe('analyzers', () => {
  it('scans TODO, FIXME and XXX markers, not prose that mentions them', () => {
    const text = [
      'x // TODO one',
      'TODOS are fine',
      '/* XXX */',
      '# FIXME: y',
      "const help = 'counts TODO/FIXME lines';",
      ' * TODO(ana): later',
      "throw new Error('TODO: wire this');",
    ].join('\n');
    expect(scanTodos('a.ts', text).map((finding) => finding.line)).toEqual([1, 3, 4, 6, 7]);
  });

  it('finds long methods, arrow functions and Go/Rust functions, not callbacks', () => {
    const body = (n: number) => Array.from({ length: n }, () => '  x();').join('\n');
    const ts = [
      'class A {',
      '  async run(a: string): Promise<void> {',
      body(5),
      '  }',
      '  handle = (e: Event): void => {',
      body(5),
      '  };',
      '}',
      "describe('x', () => {",
      body(5),
      '});',
      // A template hole holding a brace must not open a block.
      `const s = \`$\{"{"} }\`;`,
      'function multi(',
      '  a: number,',
      '): number {',
      body(5),
      '}',
    ].join('\n');
    expect(findLongFunctions('a.ts', ts, 3).map((f) => f.detail)).toEqual([
      '`run` is 7 lines long',
      '`handle` is 7 lines long',
      '`multi` is 9 lines long',
    ]);
    const go = `func (s *Server) Serve(w http.ResponseWriter) error {\n${body(4)}\n}\n`;
    expect(findLongFunctions('a.go', go, 3).map((f) => f.detail)).toEqual([
      '`Serve` is 6 lines long',
    ]);
    const rust = `pub fn parse<'a>(s: &'a str) -> &'a str {\n  let c = '{';\n${body(3)}\n}\n`;
    expect(findLongFunctions('a.rs', rust, 3).map((f) => f.detail)).toEqual([
      '`parse` is 6 lines long',
    ]);
  });

  it('matches tests by file stem or folder names, exempting entry points, configs, benches', () => {
    const found = findUntestedSources([
      'src/index.ts',
      'vitest.config.ts',
      'src/a.ts',
      'src/a.spec.ts',
      'pkg/b.go',
      'pkg/b_test.go',
      'lib/c.py',
      'tests/test_c.py',
      'src/d.ts',
      'src/types.d.ts',
      'src/kernel/engine.ts',
      'test/kernel.test.ts',
      'src/llm/offline/model.ts',
      'test/llm-offline.test.ts',
      'bench/kernel.bench.ts',
      'examples/demo.ts',
    ]);
    expect(found.map((finding) => finding.path)).toEqual(['src/d.ts']);
  });
});

describe('the port contract', () => {
  const request = () => ({
    messages: [persona('/reviewer'), user('review')],
    tools: toolsFor(ALL_TOOLS),
  });

  it('streams the same completion as complete(), as a cold observable', async () => {
    const model = createOfflineModel();
    const run = await drive([persona('/researcher', 'Target: clamp'), user('x')], { model });
    const req = { messages: run.messages.slice(0, -1), tools: toolsFor(ALL_TOOLS) };
    const completion = await model.complete(req);
    const stream = model.stream(req);
    const deltas: StreamDelta[] = await lastValueFrom(stream.pipe(toArray()));
    const again: StreamDelta[] = await lastValueFrom(stream.pipe(toArray()));
    expect(again).toEqual(deltas);
    const last = deltas[deltas.length - 1];
    expect(last).toEqual({ type: 'done', completion });
    expect(deltas[deltas.length - 2]).toEqual({ type: 'usage', usage: completion.usage });
    const text = deltas.map((delta) => (delta.type === 'text' ? delta.text : '')).join('');
    expect(text).toBe(completion.text);
    expect(text.startsWith(OFFLINE_DISCLAIMER)).toBe(true);

    const calls = await model.complete(request());
    const callDeltas = await lastValueFrom(model.stream(request()).pipe(toArray()));
    const args = callDeltas
      .map((delta) => (delta.type === 'tool_call_delta' ? delta.argumentsDelta : ''))
      .join('');
    expect(args).toBe(calls.toolCalls.map((call) => call.rawArguments).join(''));
    expect(callDeltas.filter((delta) => delta.type === 'tool_call')).toEqual(
      calls.toolCalls.map((call) => ({ type: 'tool_call', call })),
    );
  });

  it('counts tokens as characters / 4, rounded up', async () => {
    const completion = await createOfflineModel().complete(request());
    const req = request();
    const promptChars =
      req.messages.reduce((sum, message) => sum + (message.content ?? '').length, 0) +
      req.tools.reduce((sum, tool) => sum + tool.name.length + tool.description.length, 0);
    expect(completion.usage.promptTokens).toBe(Math.ceil(promptChars / 4));
    const outChars =
      completion.text.length +
      completion.toolCalls.reduce(
        (sum, call) => sum + call.name.length + call.rawArguments.length,
        0,
      );
    expect(completion.usage.completionTokens).toBe(Math.ceil(outChars / 4));
    expect(completion.model).toBe('offline');
  });

  it('rejects with LlmCancelled when the signal is aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const model = createOfflineModel();
    await expect(
      model.complete({ ...request(), signal: controller.signal }),
    ).rejects.toBeInstanceOf(LlmCancelled);
    await expect(
      lastValueFrom(model.stream({ ...request(), signal: controller.signal })),
    ).rejects.toBeInstanceOf(LlmCancelled);
  });

  it('errors with LlmCancelled when aborted mid-stream', async () => {
    const controller = new AbortController();
    const seen: StreamDelta[] = [];
    const model = createOfflineModel();
    const failure = await new Promise<unknown>((resolve) => {
      model.stream({ ...request(), signal: controller.signal }).subscribe({
        next: (delta) => {
          seen.push(delta);
          controller.abort();
        },
        error: resolve,
        complete: () => resolve(null),
      });
    });
    expect(failure).toBeInstanceOf(LlmCancelled);
    expect(seen).toHaveLength(1);
  });

  it('offers no tools under toolChoice none', async () => {
    const completion = await createOfflineModel().complete({ ...request(), toolChoice: 'none' });
    expect(completion.finishReason).toBe('stop');
    expect(completion.text).toContain('The `list_files` tool was not offered');
  });

  it('rejects invalid options with a typed error', () => {
    expect(() => createOfflineModel({ maxFilesToRead: 0 })).toThrow(InvalidOfflineOptionsError);
    expect(() => createOfflineModel({ colour: 'red' } as OfflineModelOptions)).toThrow(
      InvalidOfflineOptionsError,
    );
  });
});

describe('garbage tool results', () => {
  const listing = (...entries: unknown[]) =>
    JSON.stringify({ entries, truncated: { truncated: false } });
  const file = (path: string) => ({ path, type: 'file', size: 1 });

  it('treats binary and oversized results as empty and says so', async () => {
    const model = createOfflineModel({ maxToolResultChars: 1000 });
    const run = await drive([persona('/reviewer'), user('review')], {
      model,
      impls: {
        list_files: () =>
          listing(file('src/a.ts'), file('src/b.ts'), file('\u0007bell'), { path: 3 }, 'x'),
        read_file: (args) => (args.path === 'src/a.ts' ? 'x'.repeat(5000) : 'bin\u0000ary'),
      },
    });
    expect(run.answer).toContain('read 2 of 2 source files');
    expect(run.answer).toContain('3 unreadable entries of list_files(.) were skipped.');
    expect(run.answer).toContain(
      'read_file(src/a.ts) returned 5000 characters, over the limit of 1000; treated as empty.',
    );
    expect(run.answer).toContain(
      'read_file(src/b.ts) returned an unreadable result (it contains NUL bytes); treated as empty.',
    );
  });

  it('notes results that are not JSON, or not the tool’s shape', async () => {
    const run = await drive([persona('/reviewer'), user('review')], {
      impls: {
        list_files: () => listing(file('src/a.ts'), file('src/b.ts'), file('src/c.ts')),
        read_file: (args) =>
          args.path === 'src/a.ts' ? 'plain text' : args.path === 'src/b.ts' ? '[1, 2]' : '{}',
      },
    });
    expect(run.answer).toContain(
      'read_file(src/a.ts) returned an unreadable result (it is not JSON); treated as empty.',
    );
    expect(run.answer).toContain(
      'read_file(src/b.ts) returned an unreadable result (it is not a JSON object); treated as empty.',
    );
    expect(run.answer).toContain('read_file(src/c.ts) returned no file content; treated as empty.');
  });

  it('notes error objects, even malformed ones, and goes on', async () => {
    const run = await drive([persona('/reviewer'), user('review')], {
      impls: {
        list_files: () => listing(file('src/a.ts'), file('src/b.ts'), file('src/c.ts')),
        read_file: (args) =>
          args.path === 'src/a.ts'
            ? JSON.stringify({ error: { code: 'store_io_error', message: 'EACCES\nmore' } })
            : args.path === 'src/b.ts'
              ? JSON.stringify({ error: 'went wrong' })
              : JSON.stringify({ content: '// TODO: fine\n', totalLines: 1 }),
      },
    });
    expect(run.answer).toContain('read_file(src/a.ts) failed (store_io_error): EACCES');
    expect(run.answer).not.toContain('more');
    expect(run.answer).toContain('read_file(src/b.ts) failed (unknown): went wrong');
    expect(run.answer).toContain('TODO/FIXME/XXX (1):\n- src/c.ts:1: // TODO: fine');
  });

  it('notes a listing the store cut short', async () => {
    const run = await drive([persona('/reviewer'), user('review')], {
      tools: ['list_files'],
      impls: {
        list_files: () =>
          JSON.stringify({
            entries: [file('src/a.ts')],
            truncated: { truncated: true, reason: 'max_entries' },
          }),
      },
    });
    expect(run.answer).toContain('list_files(.) listed only part of the tree (max_entries).');
  });

  it('reports an unknown result when run_command returns no command result', async () => {
    const run = await drive([persona('/tester', 'Test command: make test'), user('test')], {
      impls: { run_command: () => 'Segmentation fault' },
    });
    expect(run.answer).toContain('Test result UNKNOWN');
    expect(run.answer).toContain(
      'run_command(make test) returned an unreadable result (it is not JSON); treated as empty.',
    );
  });

  it('skips search matches that are not well formed, and notes a cut search', async () => {
    const good = { path: 'src/util.ts', line: 1, text: 'export const clamp = 1;' };
    const run = await drive([persona('/researcher', 'Target: clamp'), user('x')], {
      impls: {
        search: () =>
          JSON.stringify({
            matches: [good, { path: 'src/x.ts', line: 0, text: '' }, { line: 2 }, 'hit'],
            truncated: { truncated: true, reason: 'max_matches' },
          }),
      },
    });
    expect(run.answer).toContain('3 matches of the search for "clamp" were unreadable; skipped.');
    expect(run.answer).toContain(
      'The search for "clamp" stopped early (max_matches); only its first 1 matches were used.',
    );
    expect(run.answer).toContain('Defined at (1):\n- src/util.ts:1:');
  });

  it('treats an unanswered call as empty', async () => {
    const model = createOfflineModel();
    const messages: ChatMessage[] = [persona('/reviewer'), user('review')];
    const first = await model.complete({ messages, tools: toolsFor(ALL_TOOLS) });
    messages.push({ role: 'assistant', content: first.text, toolCalls: first.toolCalls });
    const second = await model.complete({ messages, tools: toolsFor(ALL_TOOLS) });
    expect(second.finishReason).toBe('stop');
    expect(second.text).toContain('list_files(.) got no tool result; treated as empty.');
  });

  /** Bytes, any JSON, and objects with the tools' field names holding anything. */
  const anyValue = fc.oneof(fc.string(), fc.integer(), fc.jsonValue({ maxDepth: 2 }));
  const garbageResult = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.json({ maxDepth: 2 }),
    fc
      .record(
        {
          entries: fc.array(
            fc.record(
              {
                path: anyValue,
                type: fc.constantFrom('file', 'dir', 'symlink', 'x'),
                size: anyValue,
              },
              { requiredKeys: [] },
            ),
            { maxLength: 5 },
          ),
          matches: fc.array(
            fc.record({ path: anyValue, line: anyValue, text: anyValue }, { requiredKeys: [] }),
            { maxLength: 5 },
          ),
          content: anyValue,
          totalLines: anyValue,
          exitCode: fc.oneof(fc.constant(null), anyValue),
          signal: anyValue,
          stdout: anyValue,
          stderr: anyValue,
          stdoutTruncated: anyValue,
          truncated: fc.oneof(anyValue, fc.record({ truncated: fc.boolean(), reason: anyValue })),
          error: anyValue,
        },
        { requiredKeys: [] },
      )
      .map((value) => JSON.stringify(value)),
  );

  it('never throws and stays deterministic, whatever the tools return', async () => {
    const personas = ['/reviewer', '/tester', '/researcher', '/coder'];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...personas),
        fc.array(garbageResult, { minLength: 1, maxLength: 6 }),
        async (name, outputs) => {
          let count = 0;
          const garbage: Impl = () => outputs[count++ % outputs.length] ?? '';
          const impls = {
            list_files: garbage,
            read_file: garbage,
            search: garbage,
            run_command: garbage,
          };
          const start = [persona(name, 'Target: thing'), user('go')];
          count = 0;
          const first = await drive(start, { impls });
          count = 0;
          const second = await drive(start, { impls });
          expect(first.answer.startsWith(OFFLINE_DISCLAIMER)).toBe(true);
          expect(first.answer).not.toContain('failed while planning');
          expect(second.messages).toEqual(first.messages);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('ignores messages that are not valid chat messages', async () => {
    const messages = [
      persona('/coder'),
      { role: 'wizard', content: 1 },
      user('hi'),
    ] as ChatMessage[];
    const completion = await createOfflineModel().complete({ messages, tools: [] });
    expect(completion.finishReason).toBe('stop');
    expect(completion.text).toContain('1 messages of the request were not valid chat messages');
  });
});
