/**
 * examples/demo-workspace stays what its README promises: exactly one test
 * fails, from a bug in src/pricing.js that one edit fixes; there is a TODO, a
 * function over 80 lines and a source file without a test. Its tests run for
 * real, with Node's own test runner, on a copy in a temporary directory.
 */
import { spawn } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findLongFunctions } from '../src/llm/offline/analyzers/long-functions.js';
import { findUntestedSources } from '../src/llm/offline/analyzers/missing-tests.js';
import { scanTodos } from '../src/llm/offline/analyzers/todos.js';

const example = fileURLToPath(new URL('../examples/demo-workspace', import.meta.url));

// The bug and its fix: a tier applies from its minimum quantity, not above it.
const buggyLine = 'if (quantity > tier.minQuantity) return tier.rate;';
const fixedLine = 'if (quantity >= tier.minQuantity) return tier.rate;';
const failingTest = 'starts each tier at its minimum quantity';

let temp: string;

beforeAll(async () => {
  temp = await mkdtemp(join(tmpdir(), 'nerdloop-demo-workspace-'));
});

afterAll(async () => {
  await rm(temp, { recursive: true, force: true });
});

/** A fresh copy of the example, without any node_modules someone installed. */
async function copyExample(name: string): Promise<string> {
  const target = join(temp, name);
  await cp(example, target, {
    recursive: true,
    filter: (source) => !source.split(sep).includes('node_modules'),
  });
  return target;
}

/** Workspace-relative paths of every file, with `/` separators. */
async function listFiles(root: string): Promise<string[]> {
  const files: string[] = [];
  for (const path of await readdir(root, { recursive: true })) {
    if ((await stat(join(root, path))).isFile()) files.push(path.split(sep).join('/'));
  }
  return files.sort();
}

type TestRun = {
  exitCode: number | null;
  tests: number;
  pass: number;
  fail: number;
  /** Names on `not ok` lines: failed tests and the suites around them. */
  notOk: string[];
  output: string;
};

/**
 * Runs the example's tests as its `test` script does (`node --test`), with
 * the TAP reporter asked for by name: the default reporter differs between
 * Node versions and between a terminal and a pipe.
 */
function runNodeTest(cwd: string): Promise<TestRun> {
  const env = { ...process.env };
  // Set inside a `node --test` child; it would make this run report to a parent.
  delete env.NODE_TEST_CONTEXT;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--test', '--test-reporter=tap'], { cwd, env });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
    });
    child.on('error', reject);
    child.on('close', (exitCode) => {
      const count = (name: string): number => {
        const match = new RegExp(`^# ${name} (\\d+)$`, 'm').exec(output);
        if (match?.[1] === undefined) throw new Error(`no "# ${name}" line in:\n${output}`);
        return Number(match[1]);
      };
      const notOk = [...output.matchAll(/^\s*not ok \d+ - (.*)$/gm)].map((m) => m[1] ?? '');
      resolve({
        exitCode,
        tests: count('tests'),
        pass: count('pass'),
        fail: count('fail'),
        notOk,
        output,
      });
    });
  });
}

describe('examples/demo-workspace', () => {
  it('is a private ES module package whose test script is the node test runner', async () => {
    const pkg = JSON.parse(await readFile(join(example, 'package.json'), 'utf8'));
    expect(pkg).toMatchObject({
      name: 'demo-workspace',
      private: true,
      type: 'module',
      scripts: { test: 'node --test' },
    });
    expect(pkg.dependencies).toBeUndefined();
    expect(pkg.devDependencies).toBeUndefined();
  });

  it('has no config file that would make nerdloop pick another test framework', async () => {
    const root = await readdir(example);
    expect(root.filter((name) => /^(vitest|jest)\.config\.|^\.mocharc\./.test(name))).toEqual([]);
  });

  it('fails exactly one test, for the pricing bug, and passes all the others', async () => {
    const run = await runNodeTest(await copyExample('as-shipped'));
    expect(run.fail, run.output).toBe(1);
    expect(run.pass).toBe(run.tests - 1);
    expect(run.pass).toBeGreaterThanOrEqual(10);
    expect(run.notOk).toContain(failingTest);
    expect(run.exitCode).toBe(1);
  });

  it('passes every test once the one-line fix is applied', async () => {
    const copy = await copyExample('fixed');
    const pricing = join(copy, 'src', 'pricing.js');
    const source = await readFile(pricing, 'utf8');
    expect(source.split(buggyLine)).toHaveLength(2);
    await writeFile(pricing, source.replace(buggyLine, fixedLine));

    const run = await runNodeTest(copy);
    expect(run.fail, run.output).toBe(0);
    expect(run.pass).toBe(run.tests);
    expect(run.notOk).toEqual([]);
    expect(run.exitCode).toBe(0);
  });

  it('has exactly one TODO, in src/cart.js', async () => {
    const cart = await readFile(join(example, 'src', 'cart.js'), 'utf8');
    expect(cart).toMatch(/^\s*\/\/ TODO: \S/m);

    const todos = [];
    for (const path of await listFiles(example)) {
      todos.push(...scanTodos(path, await readFile(join(example, path), 'utf8')));
    }
    expect(todos.map((todo) => todo.path)).toEqual(['src/cart.js']);
  });

  it('has one function of over 80 lines: formatReceipt in src/format.js', async () => {
    const text = await readFile(join(example, 'src', 'format.js'), 'utf8');
    const lines = text.split('\n');
    const open = lines.findIndex((line) => line.startsWith('export function formatReceipt('));
    expect(open).toBeGreaterThanOrEqual(0);
    expect(lines[open]).toMatch(/\{$/);
    // The formatter puts a top-level function's closing brace alone at column 0.
    const close = lines.findIndex((line, index) => index > open && line === '}');
    expect(close).toBeGreaterThan(open);
    expect(close - open - 1).toBeGreaterThanOrEqual(80);

    // The offline reviewer's own analysis sees the same, and nothing else.
    const long = [];
    for (const path of await listFiles(example)) {
      if (!path.endsWith('.js')) continue;
      long.push(...findLongFunctions(path, await readFile(join(example, path), 'utf8'), 80));
    }
    expect(long.map((finding) => `${finding.path} ${finding.detail}`)).toEqual([
      `src/format.js \`formatReceipt\` is ${close - open + 1} lines long`,
    ]);
  });

  it('has one source file without a test file: src/inventory.js', async () => {
    const files = await listFiles(example);
    expect(files).toContain('src/inventory.js');
    expect(files.filter((path) => path.startsWith('test/'))).not.toContain(
      'test/inventory.test.js',
    );
    expect(findUntestedSources(files).map((finding) => finding.path)).toEqual(['src/inventory.js']);
  });
});
