/**
 * The `nerdloop` CLI, in-process through buildCli() with captured output, and
 * once as a real child process the way a user runs it.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MachinesJson, runDemo } from '../src/cli/index.js';
import { type RuntimeEvent, runtimeEventSchema } from '../src/events/index.js';
import { runCli } from './support/cli.js';

const repo = fileURLToPath(new URL('..', import.meta.url));

const cli = runCli;

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'nerdloop-cli-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('nerdloop machines', () => {
  it('prints every machine as Mermaid, each after a %% line naming it', async () => {
    const { exitCode, stdout, stderr } = await cli(['machines']);
    expect({ exitCode, stderr }).toEqual({ exitCode: 0, stderr: '' });
    expect(stdout).toMatch(/^%% subAgent: One agent/);
    expect(stdout).toMatch(/\n%% spawner: The supervisor/);
    expect(stdout).toMatch(/\n%% loop: /);
    expect(stdout.match(/stateDiagram-v2/g)).toHaveLength(3);
    for (const state of ['idle', 'running', 'completed', 'failed']) {
      expect(stdout).toContain(`state "${state}" as subAgent_${state}`);
    }
    for (const state of ['supervising', 'shuttingDown', 'stopped', 'escalated']) {
      expect(stdout).toContain(`state "${state}" as spawner_${state}`);
    }
  });

  it('--machine picks one', async () => {
    const { exitCode, stdout } = await cli(['machines', '--machine', 'spawner']);
    expect(exitCode).toBe(0);
    expect(stdout).not.toContain('subAgent');
    expect(stdout.match(/stateDiagram-v2/g)).toHaveLength(1);
  });

  it('--format json gives every machine with its graph', async () => {
    const { exitCode, stdout } = await cli(['machines', '--format', 'json']);
    expect(exitCode).toBe(0);
    const json = JSON.parse(stdout) as MachinesJson;
    expect(json.machines.map((machine) => machine.name)).toEqual(['subAgent', 'spawner', 'loop']);
    for (const machine of json.machines) {
      expect(machine.description.length).toBeGreaterThan(0);
      expect(machine.graph.id).toBe(machine.name);
      expect(machine.graph.edges.length).toBeGreaterThan(0);
    }
    const states = json.machines[1]?.graph.nodes.map((node) => node.key);
    expect(states).toEqual(
      expect.arrayContaining(['supervising', 'shuttingDown', 'stopped', 'escalated']),
    );
  });

  it('an unknown --machine exits 2 naming the known ones', async () => {
    const { exitCode, stdout, stderr } = await cli(['machines', '--machine', 'nope']);
    expect(exitCode).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe('error: unknown machine "nope"; known machines: subAgent, spawner, loop\n');
  });

  it('an unknown --format is a usage error', async () => {
    const { exitCode, stderr } = await cli(['machines', '--format', 'xml']);
    expect(exitCode).toBe(2);
    expect(stderr).toContain('Allowed choices are mermaid, json');
  });

  it('an invalid manifest exits 2 with a message naming the field', async () => {
    const manifest = join(scratch, 'bad.json');
    await writeFile(
      manifest,
      JSON.stringify({ version: 1, machines: [{ name: 'x', file: 'x.ts', export: 'x' }] }),
    );
    const { exitCode, stderr } = await cli(['machines', '--manifest', manifest]);
    expect(exitCode).toBe(2);
    expect(stderr).toContain(`${manifest} is not a valid manifest`);
    expect(stderr).toContain('machines.0.description');
  });

  it('machine files are found relative to the manifest, and a missing one is named', async () => {
    const dir = join(scratch, 'manifest-dir');
    await mkdir(dir, { recursive: true });
    const entry = (file: string) => ({
      version: 1,
      machines: [{ name: 'agent', file, export: 'subAgentMachine', description: 'relative' }],
    });
    const good = join(dir, 'good.json');
    const machineFile = relative(dir, join(repo, 'machines/subagent.machine.ts'));
    await writeFile(good, JSON.stringify(entry(machineFile)));
    const ok = await cli(['machines', '--manifest', good]);
    expect(ok.exitCode).toBe(0);
    expect(ok.stdout).toMatch(/^%% agent: relative\nstateDiagram-v2\n/);

    const missing = join(dir, 'missing.json');
    await writeFile(missing, JSON.stringify(entry('machines/nowhere.ts')));
    const failed = await cli(['machines', '--manifest', missing]);
    expect(failed.exitCode).toBe(2);
    expect(failed.stderr).toContain(
      `cannot load machine "agent" from ${join(dir, 'machines/nowhere.ts')}`,
    );
  });
});

describe('nerdloop demo', () => {
  async function workspaceWithTodos(): Promise<string> {
    const dir = await mkdtemp(join(scratch, 'ws-'));
    await writeFile(join(dir, 'notes.md'), '# Notes\nTODO: first\nsome text\nTODO: second\n');
    await writeFile(join(dir, 'notes.test.ts'), "test('notes', () => {});\n");
    return dir;
  }

  it('--json prints only runtime events, one per line, and exits 0 (child process)', async () => {
    const dir = await workspaceWithTodos();
    const { code, stdout, stderr } = await new Promise<{
      code: number | null;
      stdout: string;
      stderr: string;
    }>((resolve) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', 'src/cli/main.ts', 'demo', '--json', '--workspace', dir],
        { cwd: repo, timeout: 25_000, killSignal: 'SIGKILL' },
        (error, out, err) =>
          resolve({ code: error ? (error.code as number | null) : 0, stdout: out, stderr: err }),
      );
    });
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });

    const lines = stdout.split('\n');
    expect(lines.pop()).toBe('');
    const events: RuntimeEvent[] = lines.map((line) => runtimeEventSchema.parse(JSON.parse(line)));

    const review = events.find(
      (event) => event.type === 'task.completed' && event.agentId === 'root/team/reviewer',
    );
    expect(review).toMatchObject({
      taskId: 'review',
      result: { todoLines: 2, summary: expect.stringContaining('2 TODO') },
    });
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'task.failed', agentId: 'root/flaky' }),
    );
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'agent.restarting', agentId: 'root/flaky', attempt: 1 }),
    );
    expect(
      events.filter((event) => event.type === 'task.completed').map((event) => event.agentId),
    ).toEqual(
      expect.arrayContaining([
        'root/team/reviewer',
        'root/team/tester',
        'root/team/researcher',
        'root/analyst',
        'root/flaky',
      ]),
    );
    // The run ends with a shutdown of the whole tree.
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'supervisor.stopped', agentId: 'root' }),
    );
  }, 30_000);

  it('prints progress lines and a summary table for people', async () => {
    const dir = await workspaceWithTodos();
    const { exitCode, stdout, stderr } = await cli(['demo', '--workspace', dir, '--agents', '4']);
    expect({ exitCode, stderr }).toEqual({ exitCode: 0, stderr: '' });
    expect(stdout).toMatch(/^nerdloop demo: 7 tasks on /);
    expect(stdout).toMatch(/\d+ms {2}root\/flaky +restarting in \d+ms \(restart 1\)/);
    expect(stdout).toMatch(/root\/team\/reviewer-2 +review-2 +completed/);
    expect(stdout).toMatch(/root\/analyst +survey-2 +completed .*1 earlier task in history/);
    expect(stdout).toMatch(/root\/flaky +retry-tests +completed after 1 planned failure +2 /);
    expect(stdout).toContain('7 of 7 tasks ended as planned.');
  });

  it('a workspace that is not a directory is a usage error', async () => {
    const { exitCode, stderr } = await cli(['demo', '--workspace', join(scratch, 'nope')]);
    expect(exitCode).toBe(2);
    expect(stderr).toContain('is not a directory');
  });

  it('--agents must be a whole number in range', async () => {
    const { exitCode, stderr } = await cli(['demo', '--agents', '0']);
    expect(exitCode).toBe(2);
    expect(stderr).toContain('Expected a whole number from 1 to 32');
  });

  it('an interrupted run ends every task and is not as planned', async () => {
    const dir = await workspaceWithTodos();
    const output: string[] = [];
    const report = await runDemo(
      { agents: 3, json: false, inspect: false, workspace: dir, signal: AbortSignal.abort() },
      { out: (text) => output.push(text), err: (text) => output.push(text) },
    );
    expect(report.interrupted).toBe(true);
    expect(report.asPlanned).toBe(false);
    expect(report.records.every((record) => record.status === 'failed')).toBe(true);
    expect(output.join('')).toContain('0 of 6 tasks ended as planned.');
  });
});
