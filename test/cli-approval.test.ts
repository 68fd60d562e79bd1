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
import { afterTest } from './support/cleanup.js';
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
  const approval = createTerminalApproval({ input, output });
  afterTest(() => approval.close());
  return {
    input,
    ask: approval.ask,
    close: approval.close,
    shown: () => shown,
    /** Waits until the terminal shows `text`, as the person would before typing. */
    sees: (text: string) => vi.waitFor(() => expect(shown).toContain(text)),
  };
}

describe('the terminal question', () => {
  it('approves on y, refuses on anything else, and shows the call and why', async () => {
    const io = terminal();

    const yes = io.ask(request('write_file'));
    await io.sees('allow write_file {"path":"NOTES.md"}? (/sandbox_read_only) [y/N]');
    io.input.write('y\n');
    expect(await yes).toMatchObject({ approved: true });
    const no = io.ask(request('run_command'));
    await io.sees('allow run_command');
    io.input.write('sure\n');
    expect(await no).toMatchObject({ approved: false });
  });

  it('asks one question at a time', async () => {
    const io = terminal();

    const first = io.ask(request('write_file'));
    const second = io.ask(request('run_command'));
    await io.sees('allow write_file');
    expect(io.shown()).not.toContain('allow run_command');
    io.input.write('y\n');
    expect(await first).toMatchObject({ approved: true });
    await io.sees('allow run_command');
    io.input.write('n\n');
    expect(await second).toMatchObject({ approved: false });
  });

  it('a run cancelled before its question is shown is a refusal, and nothing is shown', async () => {
    const io = terminal();
    const controller = new AbortController();
    const answer = io.ask(request('write_file', controller.signal));
    controller.abort();
    expect(await answer).toMatchObject({ approved: false, note: 'no answer' });
    expect(io.shown()).toBe('');
  });

  it('a question withdrawn while shown says so, and a late "y" does not approve the next question', async () => {
    const io = terminal();
    const controller = new AbortController();

    const withdrawn = io.ask(request('write_file', controller.signal));
    await io.sees('allow write_file');
    controller.abort('interrupted');
    expect(await withdrawn).toMatchObject({ approved: false, note: 'no answer' });
    expect(io.shown()).toContain('withdrawn');
    // The person answers the question they saw, too late: no question is open.
    io.input.write('y\n');
    // Read off the input (and dropped) before the next question is asked.
    await vi.waitFor(() => expect(io.input.readableLength).toBe(0));
    const next = io.ask({ ...request('run_command'), args: { command: 'rm -r build' } });
    await io.sees('allow run_command {"command":"rm -r build"}');
    io.input.write('n\n');
    expect(await next).toMatchObject({ approved: false });
  });

  it('a line typed while no question is open answers nothing', async () => {
    const io = terminal();
    io.input.write('yes\n');
    await vi.waitFor(() => expect(io.input.readableLength).toBe(0));

    const asked = io.ask(request('write_file'));
    await io.sees('allow write_file');
    io.input.write('no\n');
    expect(await asked).toMatchObject({ approved: false });
  });

  it('when the input ends (Ctrl-D), the open question and every later one are refused', async () => {
    const io = terminal();

    const open = io.ask(request('write_file'));
    await io.sees('allow write_file');
    io.input.end();

    expect(await open).toMatchObject({ approved: false, note: 'no answer: the input is closed' });
    expect(io.shown()).toContain('no more input');
    expect(await io.ask(request('run_command'))).toMatchObject({
      approved: false,
      note: 'no answer: the input is closed',
    });
    expect(io.shown()).not.toContain('allow run_command');
  });

  it('close() refuses the open question and every later one', async () => {
    const io = terminal();

    const open = io.ask(request('write_file'));
    await io.sees('allow write_file');
    io.close();

    expect(await open).toMatchObject({ approved: false });
    expect(await io.ask(request('run_command'))).toMatchObject({ approved: false });
    // The input is no longer read: it would keep the process alive.
    expect(io.input.isPaused()).toBe(true);
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
