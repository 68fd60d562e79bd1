/**
 * A tool call's `toolTimeoutMs` is the tool's time: it starts once the gate
 * has let the call through, so a person who takes long to answer an approval
 * question does not turn a "yes" into `loop_tool_timeout`. The run's own
 * signal reaches the call all along. Time is a SimulatedClock that moves only
 * when the test moves it; the real SDK talks to the local scripted server.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { configFileSchema } from '../src/prompt/index.js';
import type { ApprovalAnswer, ApprovalRequest } from '../src/store/index.js';
import { demoWorkspace, sdkModel, serve, startExecutor } from './support/loop-harness.js';
import { eventually, isRunning, writeSleeper } from './support/processes.js';
import { call, callError, sentMessages, toolMessages } from './support/wire.js';

const TOOL_TIMEOUT_MS = 5_000;

/** An approval hook whose questions stay open until the test answers them. */
function slowPerson() {
  const questions: Array<{ request: ApprovalRequest; answer(reply: ApprovalAnswer): void }> = [];
  return {
    questions,
    hook: (request: ApprovalRequest) =>
      new Promise<ApprovalAnswer>((resolve) => {
        questions.push({ request, answer: resolve });
      }),
    /** The question asked `index`-th, once it has been asked. */
    async asked(index = 0) {
      await eventually(() => questions.length > index, 'the approval question');
      const question = questions[index];
      if (!question) throw new Error('unreachable: eventually saw it');
      return question;
    },
  };
}

/** An Executor on `clock` whose every tool call is asked about, with a short toolTimeoutMs. */
async function askingExecutor(
  script: Parameters<typeof serve>[0],
  hook: (request: ApprovalRequest) => Promise<ApprovalAnswer>,
  clock: SimulatedClock,
  root?: string,
) {
  const server = await serve(script);
  const harness = await startExecutor({
    model: sdkModel(server),
    clock,
    ...(root ? { root } : {}),
    store: { mode: { approval: 'always' }, onApprovalRequest: hook },
    layers: [configFileSchema.parse({ defaults: { toolTimeoutMs: TOOL_TIMEOUT_MS } })],
  });
  return { server, ...harness };
}

describe('toolTimeoutMs and approval questions', () => {
  it('a yes that comes after toolTimeoutMs still lets the tool run and succeed', async () => {
    const person = slowPerson();
    const clock = new SimulatedClock();
    const { executor, server, root } = await askingExecutor(
      [
        { toolCalls: [call('write_file', { path: 'NOTES.md', content: 'late yes\n' }, 'call_w')] },
        { text: 'Written.' },
      ],
      person.hook,
      clock,
    );

    const running = executor.process('fix the volume discount boundary in src/pricing.js');
    const question = await person.asked();
    // The person reads the question for twice the tool's limit.
    clock.increment(2 * TOOL_TIMEOUT_MS);
    expect(question.request.signal.aborted).toBe(false);
    question.answer({ approved: true });
    const result = await running;

    expect(result).toMatchObject({ status: 'done', response: 'Written.', toolCalls: 1 });
    expect(await readFile(join(root, 'NOTES.md'), 'utf8')).toBe('late yes\n');
    const [answer] = toolMessages(sentMessages(server, 1));
    expect(answer?.content).not.toContain('loop_tool_timeout');
    expect(answer?.content).not.toContain('"error"');
  });

  it('the limit counts from the yes: a command that hangs after a slow yes times out toolTimeoutMs later', async () => {
    const person = slowPerson();
    const clock = new SimulatedClock();
    const root = await demoWorkspace();
    const sleeper = await writeSleeper(root);
    const { executor, server } = await askingExecutor(
      [
        { toolCalls: [call('run_command', { command: sleeper.command }, 'call_sleep')] },
        { text: 'The command hung; I stopped waiting.' },
      ],
      person.hook,
      clock,
      root,
    );

    const running = executor.process('run the tests');
    const question = await person.asked();
    clock.increment(2 * TOOL_TIMEOUT_MS);
    question.answer({ approved: true });
    const pid = await sleeper.started();
    clock.increment(TOOL_TIMEOUT_MS - 1);
    expect(isRunning(pid)).toBe(true);
    expect(server.requests).toHaveLength(1);
    clock.increment(1);
    const result = await running;

    expect(result).toMatchObject({ status: 'done', toolCalls: 1, turns: 2 });
    const timeout = callError(server, 1, 'call_sleep');
    expect(timeout.code).toBe('loop_tool_timeout');
    expect(timeout.message).toContain(`${TOOL_TIMEOUT_MS} ms`);
    await eventually(() => !isRunning(pid), `process ${pid} to end`);
  });

  it("the run's cancellation withdraws an open question, and a refused call is never timed", async () => {
    const person = slowPerson();
    const clock = new SimulatedClock();
    const { executor, server } = await askingExecutor(
      [
        { toolCalls: [call('write_file', { path: 'A.md', content: 'a\n' }, 'call_a')] },
        { toolCalls: [call('write_file', { path: 'B.md', content: 'b\n' }, 'call_b')] },
        { text: 'unreachable' },
      ],
      person.hook,
      clock,
    );
    const controller = new AbortController();

    const running = executor.process('fix the volume discount boundary in src/pricing.js', {
      signal: controller.signal,
    });
    const refused = await person.asked(0);
    refused.answer({ approved: false });
    const open = await person.asked(1);
    // No timer runs for the refused call, nor for the one being asked about.
    clock.increment(2 * TOOL_TIMEOUT_MS);
    expect(open.request.signal.aborted).toBe(false);
    expect(callError(server, 1, 'call_a').code).toBe('store_denied');
    controller.abort();
    expect(open.request.signal.aborted).toBe(true);
    open.answer({ approved: false });

    expect(await running).toMatchObject({ status: 'stopped', stoppedBy: 'cancelled' });
  });
});
