/**
 * `nerdloop run --approval on-request`: the terminal question itself (over
 * in-memory streams), then whole runs through the real openai SDK against the
 * local server, where a write in a read-only sandbox is asked about.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { createTerminalApproval } from '../src/cli/approval.js';
import { runTask } from '../src/cli/index.js';
import type { OpenAiServer } from '../src/llm/index.js';
import type { ApprovalRequest } from '../src/store/index.js';
import { demoWorkspace, sdkEnv, serve } from './support/loop-harness.js';
import { call, toolAnswers } from './support/wire.js';

const request = (tool: string, signal = new AbortController().signal): ApprovalRequest => ({
  callId: 'c1',
  tool,
  args: { path: 'NOTES.md' },
  reasons: ['/sandbox_read_only'],
  signal,
});

function terminal() {
  const input = new PassThrough();
  const output = new PassThrough();
  let shown = '';
  output.on('data', (chunk) => {
    shown += String(chunk);
  });
  return { input, output, shown: () => shown };
}

describe('the terminal question', () => {
  it('approves on y, refuses on anything else, and shows the call and why', async () => {
    const io = terminal();
    const ask = createTerminalApproval(io);

    const yes = ask(request('write_file'));
    io.input.write('y\n');
    expect(await yes).toMatchObject({ approved: true });
    const no = ask(request('write_file'));
    io.input.write('sure\n');
    expect(await no).toMatchObject({ approved: false });
    expect(io.shown()).toContain(
      'allow write_file {"path":"NOTES.md"}? (/sandbox_read_only) [y/N]',
    );
  });

  it('asks one question at a time', async () => {
    const io = terminal();
    const ask = createTerminalApproval(io);

    const first = ask(request('write_file'));
    const second = ask(request('run_command'));
    await vi.waitFor(() => expect(io.shown()).toContain('allow write_file'));
    expect(io.shown()).not.toContain('allow run_command');
    io.input.write('y\n');
    expect(await first).toMatchObject({ approved: true });
    await vi.waitFor(() => expect(io.shown()).toContain('allow run_command'));
    io.input.write('n\n');
    expect(await second).toMatchObject({ approved: false });
  });

  it('a run cancelled while asking is a refusal', async () => {
    const io = terminal();
    const controller = new AbortController();
    const answer = createTerminalApproval(io)(request('write_file', controller.signal));
    controller.abort();
    expect(await answer).toMatchObject({ approved: false, note: 'no answer' });
  });
});

async function setup(): Promise<{ workspace: string; server: OpenAiServer }> {
  const workspace = await demoWorkspace();
  const server = await serve((recorded) => {
    const [answer] = toolAnswers(recorded);
    return answer === undefined
      ? { toolCalls: [call('write_file', { path: 'NOTES.md', content: 'written\n' })] }
      : { text: `write result: ${answer}` };
  });
  return { workspace, server };
}

const TASK = 'fix the tier bug in src/pricing.js';

describe('nerdloop run --approval on-request', () => {
  it('asks before a write the read-only sandbox refuses, and writes when approved', async () => {
    const { workspace, server } = await setup();
    const asked: ApprovalRequest[] = [];

    const result = await runTask(
      TASK,
      { workspace, mode: 'read-only', approval: 'on-request' },
      () => {},
      {
        env: sdkEnv(server),
        ask: (question) => {
          asked.push(question);
          return { approved: true };
        },
      },
    );

    expect(result.status).toBe('done');
    expect(asked.map((question) => [question.tool, question.reasons])).toEqual([
      ['write_file', ['/sandbox_read_only']],
    ]);
    expect(await readFile(join(workspace, 'NOTES.md'), 'utf8')).toBe('written\n');
  });

  it('a refusal reaches the model as a denial and nothing is written', async () => {
    const { workspace, server } = await setup();

    const result = await runTask(
      TASK,
      { workspace, mode: 'read-only', approval: 'on-request' },
      () => {},
      { env: sdkEnv(server), ask: () => ({ approved: false }) },
    );

    expect(result.response).toContain('store_denied');
    await expect(readFile(join(workspace, 'NOTES.md'), 'utf8')).rejects.toThrow();
  });

  it('with approval never, or nobody to ask, it is denied without a question', async () => {
    const { workspace, server } = await setup();
    const ask = vi.fn(() => ({ approved: true }));

    const never = await runTask(TASK, { workspace, mode: 'read-only' }, () => {}, {
      env: sdkEnv(server),
      ask,
    });
    const nobody = await runTask(
      TASK,
      { workspace, mode: 'read-only', approval: 'on-request' },
      () => {},
      { env: sdkEnv(server) },
    );

    expect(ask).not.toHaveBeenCalled();
    expect(never.response).toContain('/sandbox_read_only');
    expect(nobody.response).toContain('/approval_unavailable');
    await expect(readFile(join(workspace, 'NOTES.md'), 'utf8')).rejects.toThrow();
  });
});
