/**
 * `nerdloop run`: the main job, offline, on copies of the demo workspace —
 * the real loop, the real store and rules, the offline model.
 */
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runTask } from '../src/cli/index.js';
import { runCli } from './support/cli.js';

const example = fileURLToPath(new URL('../examples/demo-workspace', import.meta.url));
let workspace: string;

beforeEach(async () => {
  workspace = await mkdtemp(join(tmpdir(), 'nerdloop-run-'));
  await cp(example, workspace, { recursive: true });
});
afterEach(async () => {
  vi.unstubAllEnvs();
  await rm(workspace, { recursive: true, force: true });
});

describe('nerdloop run', () => {
  it('reviews the demo workspace offline and prints each stage, tool call and the answer', async () => {
    const lines: string[] = [];
    const result = await runTask('review this project', { workspace }, (text) => lines.push(text), {
      env: {},
    });
    const out = lines.join('');
    expect(result).toMatchObject({ status: 'done', persona: 'reviewer' });
    expect(out).toContain('model: offline');
    expect(out).toContain('▸ callModel');
    expect(out).toContain('read_file ✓ permitted');
    expect(out).toContain('src/cart.js:48');
    expect(out).toContain('`formatReceipt` is 108 lines long');
  });

  it('a tester runs the tests with the command the rules found, and reports the failure', async () => {
    const lines: string[] = [];
    const result = await runTask(
      'test the pricing module',
      { workspace },
      (text) => lines.push(text),
      {
        env: {},
      },
    );
    expect(result).toMatchObject({ status: 'done', persona: 'tester' });
    expect(lines.join('')).toContain('run_command ✓ permitted');
    expect(result.response).toMatch(/FAIL/);
  });

  it('--json prints events and the result as JSON lines', async () => {
    // The CLI reads process.env: make sure no endpoint a developer has set is used.
    vi.stubEnv('OPENAI_API_KEY', '');
    vi.stubEnv('OPENAI_BASE_URL', '');
    const { exitCode, stdout } = await runCli([
      'run',
      'review this project',
      '--workspace',
      workspace,
      '--json',
    ]);
    const events = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string });
    expect(exitCode).toBe(0);
    expect(events[0]?.type).toBe('run.started');
    expect(events.at(-1)).toMatchObject({ type: 'run.finished', status: 'done' });
    expect(events.map((event) => event.type)).toContain('tool.permitted');
  });

  it('read-only mode leaves the workspace untouched, and a missing workspace exits 2', async () => {
    const before = await readFile(join(workspace, 'src', 'pricing.js'), 'utf8');
    await runTask(
      'fix the tier bug in src/pricing.js',
      { workspace, mode: 'read-only' },
      () => {},
      {
        env: {},
      },
    );
    expect(await readFile(join(workspace, 'src', 'pricing.js'), 'utf8')).toBe(before);
    const { exitCode, stderr } = await runCli(['run', 'x', '--workspace', join(workspace, 'nope')]);
    expect(exitCode).toBe(2);
    expect(stderr).toMatch(/not a directory/);
  });
});
