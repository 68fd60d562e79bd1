/**
 * `nerdloop run`: the main job on copies of the demo workspace — the real
 * loop, the real store and rules, the offline model or the real SDK against
 * the local scripted server.
 */
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { RunInterruptedError } from '../src/cli/errors.js';
import { exitCodeOf, runTask } from '../src/cli/index.js';
import { runCli } from './support/cli.js';
import { demoWorkspace, sdkEnv, serve } from './support/loop-harness.js';
import { eventually } from './support/processes.js';
import { call, errorCode, taskOf, toolAnswers } from './support/wire.js';

/** Whether a server can listen on `port` of 127.0.0.1 now (nothing else holds it). */
async function canListen(port: number): Promise<boolean> {
  const server = createServer();
  const listening = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => resolve(true));
  });
  if (listening) await new Promise((resolve) => server.close(resolve));
  return listening;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Reads a Server-Sent Events stream until `done` holds for what arrived, then hangs up. */
async function readEvents(url: string, done: (text: string) => boolean): Promise<string> {
  const controller = new AbortController();
  const response = await fetch(url, { signal: controller.signal });
  const reader = response.body?.getReader();
  if (!reader) throw new Error('no body');
  const decoder = new TextDecoder();
  let text = '';
  while (!done(text)) {
    const { value, done: ended } = await reader.read();
    if (ended) break;
    text += decoder.decode(value, { stream: true });
  }
  controller.abort();
  return text;
}

/** The first message a WebSocket client gets that matches `pattern`. */
function firstMessage(url: string, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.on('message', (data) => {
      const message = String(data);
      if (pattern.test(message)) {
        socket.close();
        resolve(message);
      }
    });
    socket.on('error', reject);
  });
}

let workspace: string;

beforeEach(async () => {
  workspace = await demoWorkspace();
});
afterEach(() => {
  vi.unstubAllEnvs();
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

  it('--inspect serves the run live: the page streams its events and the Stately bridge relays its actors', async () => {
    let seen: { page: string; stately: string } | undefined;
    const result = await runTask('review this project', { workspace, inspect: true }, () => {}, {
      env: {},
      statelyPort: await freePort(),
      holdInspection: async ({ pageUrl, statelyUrl }) => {
        const html = await (await fetch(pageUrl)).text();
        expect(html).toContain('<html');
        seen = {
          page: await readEvents(`${pageUrl}events`, (text) => text.includes('task.completed')),
          // A loop stage's actor: the loop machine's own actors reach the Stately
          // inspector, not only the supervisor's.
          stately: await firstMessage(
            statelyUrl,
            /^(?=.*"type":"@xstate\.actor")(?=.*"name":"(observe|orient|jit|callModel|executeTools|respond)")/,
          ),
        };
      },
    });
    expect(result.status).toBe('done');
    expect(seen?.page).toContain('"type":"stage.started"');
    expect(seen?.page).toContain('"agentId":"root/task"');
    expect(seen?.stately).toContain('"rootId"');
  });

  it('shows a sub-agent’s work indented under the agent that delegated to it', async () => {
    const server = await serve((request) => {
      const task = taskOf(request);
      const answered = toolAnswers(request).length > 0;
      if (task === 'review src/cart.js') return { text: 'cart.js looks fine' };
      return answered
        ? { text: 'the reviewer is happy' }
        : { toolCalls: [call('delegate', { task: 'review src/cart.js' })] };
    });
    const lines: string[] = [];
    const result = await runTask(
      'fix the tier bug in src/pricing.js',
      { workspace },
      (text) => lines.push(text),
      { env: sdkEnv(server) },
    );
    const out = lines.join('');
    expect(result).toMatchObject({ status: 'done', response: 'the reviewer is happy' });
    expect(out).toContain('delegate ✓ permitted');
    expect(out).toMatch(/ {2}\[task\.1\] started/);
    expect(out).toMatch(/ {2}\[task\.1\] ▸ callModel/);
    expect(out).toMatch(/ {2}\[task\.1\] ✓ answered/);
  });

  it('read-only mode refuses the model its write and leaves the workspace untouched, and a missing workspace exits 2', async () => {
    const server = await serve((request) => {
      const [answer] = toolAnswers(request);
      return answer === undefined
        ? { toolCalls: [call('write_file', { path: 'src/pricing.js', content: 'overwritten\n' })] }
        : { text: `write result: ${answer}` };
    });
    const before = await readFile(join(workspace, 'src', 'pricing.js'), 'utf8');

    // A fix routes to a coder, who may write under the default workspace-write.
    const result = await runTask(
      'fix the tier bug in src/pricing.js',
      { workspace, mode: 'read-only' },
      () => {},
      { env: sdkEnv(server) },
    );

    expect(result).toMatchObject({ status: 'done', persona: 'coder' });
    const [answer] = toolAnswers(server.requests[1] ?? expect.fail('the model was not told'));
    expect(errorCode(answer)).toBe('store_denied');
    expect(answer).toContain('/sandbox_read_only');
    expect(await readFile(join(workspace, 'src', 'pricing.js'), 'utf8')).toBe(before);
    const { exitCode, stderr } = await runCli(['run', 'x', '--workspace', join(workspace, 'nope')]);
    expect(exitCode).toBe(2);
    expect(stderr).toMatch(/not a directory/);
  });
});

describe('nerdloop run, interrupted before its agent is spawned', () => {
  /** A model that would write if it were ever asked. */
  const eagerModel = () =>
    serve(() => ({
      toolCalls: [call('write_file', { path: 'src/pricing.js', content: 'overwritten\n' })],
    }));

  it('an interrupt that came before the call: nothing runs, and the CLI would exit 130', async () => {
    const server = await eagerModel();
    const controller = new AbortController();
    controller.abort('interrupted (Ctrl-C)');
    const lines: string[] = [];

    const error = await runTask(
      'fix the tier bug in src/pricing.js',
      { workspace },
      (text) => lines.push(text),
      { env: sdkEnv(server), signal: controller.signal },
    ).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(RunInterruptedError);
    expect(error).toMatchObject({ code: 'run_interrupted' });
    expect(exitCodeOf(error as RunInterruptedError)).toBe(130);
    expect(server.requests).toHaveLength(0);
    expect(lines).toEqual([]);
  });

  it('an interrupt during setup (here while the inspection pages open): nothing runs, and every server started is closed', async () => {
    const server = await eagerModel();
    const controller = new AbortController();
    const statelyPort = await freePort();
    let pageUrl = '';
    const before = await readFile(join(workspace, 'src', 'pricing.js'), 'utf8');

    const running = runTask(
      'fix the tier bug in src/pricing.js',
      { workspace, inspect: true },
      () => {},
      {
        env: sdkEnv(server),
        signal: controller.signal,
        statelyPort,
        onInspection: (inspection) => {
          pageUrl = inspection.pageUrl;
          controller.abort('interrupted (Ctrl-C)');
        },
      },
    );

    await expect(running).rejects.toBeInstanceOf(RunInterruptedError);
    expect(server.requests).toHaveLength(0);
    expect(await readFile(join(workspace, 'src', 'pricing.js'), 'utf8')).toBe(before);
    expect(pageUrl).not.toBe('');
    await expect(fetch(pageUrl)).rejects.toThrow();
    await eventually(
      () => canListen(statelyPort),
      `the Stately bridge to free port ${statelyPort}`,
    );
  });

  it('a failure while the inspection pages open closes them, the bridge and the runtime', async () => {
    const server = await eagerModel();
    const statelyPort = await freePort();
    let pageUrl = '';

    const running = runTask(
      'fix the tier bug in src/pricing.js',
      { workspace, inspect: true },
      () => {},
      {
        env: sdkEnv(server),
        statelyPort,
        onInspection: (inspection) => {
          pageUrl = inspection.pageUrl;
          throw new Error('the caller could not show the addresses');
        },
      },
    );

    await expect(running).rejects.toThrow('the caller could not show the addresses');
    expect(server.requests).toHaveLength(0);
    await expect(fetch(pageUrl)).rejects.toThrow();
    await eventually(
      () => canListen(statelyPort),
      `the Stately bridge to free port ${statelyPort}`,
    );
  });
});
