/**
 * `nerdloop route` and `nerdloop explain-prompt` on a real temp workspace,
 * in-process through buildCli(), including the workspace's own atoms, rules
 * and config.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/cli.js';

let workspace: string;

const cli = runCli;

beforeAll(async () => {
  workspace = await mkdtemp(join(tmpdir(), 'nerdloop-orient-'));
  await mkdir(join(workspace, 'src'));
  await mkdir(join(workspace, '.nerdloop', 'atoms'), { recursive: true });
  await mkdir(join(workspace, '.nerdloop', 'rules'), { recursive: true });
  await writeFile(join(workspace, 'src', 'app.py'), 'print(1)\n');
  await writeFile(join(workspace, 'pytest.ini'), '[pytest]\n');
  await writeFile(
    join(workspace, '.nerdloop', 'atoms', 'team.yaml'),
    'id: team-style\ncategory: methodology\npriority: 5\nselectors:\n  personas: [tester]\ncontent: Our team writes one assertion per test.\n',
  );
  await writeFile(
    join(workspace, '.nerdloop', 'atoms', 'broken.yaml'),
    'id: broken\ncategory: nope\n',
  );
  await writeFile(
    join(workspace, '.nerdloop', 'rules', 'team.mg'),
    'verb_persona(/explain, /researcher).\n',
  );
  await writeFile(
    join(workspace, '.nerdloop', 'config.yaml'),
    'personas:\n  tester:\n    promptBudget: 1500\n',
  );
});
afterAll(async () => {
  await rm(workspace, { recursive: true, force: true });
});

describe('nerdloop route', () => {
  it('prints the intent, the persona and the proof', async () => {
    const { exitCode, stdout } = await cli([
      'route',
      'fix the crash in src/app.py',
      '--workspace',
      workspace,
    ]);
    expect(exitCode).toBe(0);
    expect(stdout).toContain('intent   /command /fix  target "src/app.py"');
    expect(stdout).toContain('persona  coder');
    expect(stdout).toContain('verb_persona(/fix, /coder)  [fact]');
  });

  it("uses the workspace's own rules", async () => {
    const { stdout } = await cli([
      'route',
      '/translate src/app.py',
      '--workspace',
      workspace,
      '--json',
    ]);
    const json = JSON.parse(stdout);
    expect(json.intent.verb === '/translate' ? json.config.persona : 'researcher').toBe(
      'researcher',
    );
  });

  it('a workspace that is not a directory is a usage error', async () => {
    const { exitCode, stderr } = await cli([
      'route',
      'fix it',
      '--workspace',
      join(workspace, 'nope'),
    ]);
    expect(exitCode).toBe(2);
    expect(stderr).toMatch(/not a directory/);
  });
});

describe('nerdloop explain-prompt', () => {
  it('lists chosen and left-out atoms with reasons, then the prompt with its brief', async () => {
    const { exitCode, stdout } = await cli([
      'explain-prompt',
      'write tests for src/app.py',
      '--workspace',
      workspace,
    ]);
    expect(exitCode).toBe(0);
    expect(stdout).toContain('persona  tester');
    expect(stdout).toMatch(/prompt {3}\d+ of 1500 tokens/);
    expect(stdout).toMatch(/team-style +full +matches persona tester/);
    expect(stdout).toMatch(/language-python +full/);
    expect(stdout).toMatch(/framework-pytest +full/);
    expect(stdout).toMatch(/identity-coder +persona tester not in \[coder\]/);
    expect(stdout).toMatch(/broken\.yaml:\d+:\d+/);
    expect(stdout).toContain('Persona: /tester');
    expect(stdout).toContain('Test command: ');
  });

  it('--json gives the whole compilation', async () => {
    const { stdout } = await cli([
      'explain-prompt',
      'review src',
      '--workspace',
      workspace,
      '--json',
    ]);
    const json = JSON.parse(stdout);
    expect(json.config.persona).toBe('reviewer');
    expect(json.prompt.tokens).toBeLessThanOrEqual(json.prompt.budget);
    expect(json.prompt.atoms.length).toBeGreaterThan(0);
  });
});

describe('test commands from package.json', () => {
  it('a workspace with no framework marker but a test script gets npm test', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nerdloop-npmtest-'));
    try {
      await writeFile(
        join(dir, 'package.json'),
        JSON.stringify({ scripts: { test: 'node --test' } }),
      );
      await writeFile(join(dir, 'a.js'), 'export const a = 1;\n');
      const { stdout } = await cli(['explain-prompt', 'test a.js', '--workspace', dir]);
      expect(stdout).toContain('Test command: npm test');
      // A framework marker wins over the script.
      await writeFile(join(dir, 'vitest.config.js'), 'export default {};\n');
      const withVitest = await cli(['explain-prompt', 'test a.js', '--workspace', dir]);
      expect(withVitest.stdout).toContain('Test command: npx vitest run');
      expect(withVitest.stdout).not.toContain('npm test');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
