/**
 * `nerdloop run --approval on-request`: the terminal question itself (over
 * in-memory streams), then whole runs through the real openai SDK against the
 * local server, where a write in a read-only sandbox is asked about.
 */
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTerminalApproval } from '../src/cli/approval.js';
import { runTask } from '../src/cli/index.js';
import { type OpenAiServer, startOpenAiServer } from '../src/llm/index.js';
import type { ApprovalRequest } from '../src/store/index.js';

const DEMO = fileURLToPath(new URL('../examples/demo-workspace', import.meta.url));
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

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
  const workspace = await mkdtemp(join(tmpdir(), 'nerdloop-approval-'));
  await cp(DEMO, workspace, { recursive: true });
  cleanups.push(() => rm(workspace, { recursive: true, force: true }));
  const server = await startOpenAiServer({
    script: (recorded) => {
      const body = recorded.body as { messages: Array<{ role: string; content?: string | null }> };
      const answer = body.messages.find((message) => message.role === 'tool');
      return answer
        ? { text: `write result: ${answer.content ?? ''}` }
        : {
            toolCalls: [
              {
                name: 'write_file',
                arguments: JSON.stringify({ path: 'NOTES.md', content: 'written\n' }),
              },
            ],
          };
    },
  });
  cleanups.push(() => server.close());
  return { workspace, server };
}

const env = (server: OpenAiServer) => ({ OPENAI_BASE_URL: server.url, OPENAI_API_KEY: 'test' });
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
        env: env(server),
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
      { env: env(server), ask: () => ({ approved: false }) },
    );

    expect(result.response).toContain('store_denied');
    await expect(readFile(join(workspace, 'NOTES.md'), 'utf8')).rejects.toThrow();
  });

  it('with approval never, or nobody to ask, it is denied without a question', async () => {
    const { workspace, server } = await setup();
    const ask = vi.fn(() => ({ approved: true }));

    const never = await runTask(TASK, { workspace, mode: 'read-only' }, () => {}, {
      env: env(server),
      ask,
    });
    const nobody = await runTask(
      TASK,
      { workspace, mode: 'read-only', approval: 'on-request' },
      () => {},
      { env: env(server) },
    );

    expect(ask).not.toHaveBeenCalled();
    expect(never.response).toContain('/sandbox_read_only');
    expect(nobody.response).toContain('/approval_unavailable');
    await expect(readFile(join(workspace, 'NOTES.md'), 'utf8')).rejects.toThrow();
  });
});
