import { describe, expect, it } from 'vitest';
import { TaskFailedError } from '../src/session/index.js';
import { deferred, flush, startSubAgent } from './support/agents.js';

const task = (id = 't1', prompt = 'fix the failing test') => ({ id, prompt });

describe('SubAgent', () => {
  it('runs one task and completes when ephemeral, with result, history and metrics', async () => {
    const { actor, emitted, clock } = startSubAgent(
      { id: 'a', name: 'a', kind: 'ephemeral', persona: 'coder' },
      async ({ task: t, persona }) => {
        clock.increment(40);
        return { result: `${persona} did ${t.prompt}`, tokens: 12, turns: 3 };
      },
    );
    actor.send({ type: 'START', task: task() });
    expect(actor.getSnapshot().value).toEqual({ running: 'working' });
    await flush();
    const snapshot = actor.getSnapshot();
    expect(snapshot.value).toBe('completed');
    expect(snapshot.output).toEqual({
      status: 'completed',
      taskId: 't1',
      result: 'coder did fix the failing test',
    });
    expect(snapshot.context.turns).toBe(3);
    expect(snapshot.context.metrics).toEqual({
      startedAt: 0,
      endedAt: 40,
      tokens: 12,
      tasksCompleted: 1,
    });
    expect(snapshot.context.history).toEqual([
      { role: 'user', content: 'fix the failing test' },
      { role: 'assistant', content: 'coder did fix the failing test' },
    ]);
    expect(emitted.map((e) => e.type)).toEqual(['task.started', 'task.completed']);
  });

  it.each(['persistent', 'system'] as const)(
    'returns to idle after a task when %s, keeping history',
    async (kind) => {
      const { actor } = startSubAgent(
        { id: 'p', name: 'p', kind, persona: 'tester' },
        async ({ task: t, history }) => ({
          result: `${t.id} after ${history.length} messages`,
        }),
      );
      actor.send({ type: 'START', task: task('t1') });
      await flush();
      expect(actor.getSnapshot().value).toBe('idle');
      actor.send({ type: 'START', task: task('t2', 'second') });
      await flush();
      expect(actor.getSnapshot().value).toBe('idle');
      expect(actor.getSnapshot().context.history.map((m) => m.content)).toEqual([
        'fix the failing test',
        't1 after 0 messages',
        'second',
        't2 after 2 messages',
      ]);
      expect(actor.getSnapshot().context.task).toBeNull();
    },
  );

  it('fails with task_error when the task throws, naming the error', async () => {
    const { actor, emitted } = startSubAgent(
      { id: 'a', name: 'a', kind: 'ephemeral', persona: 'coder' },
      async () => {
        throw new TypeError('tool exploded');
      },
    );
    actor.send({ type: 'START', task: task() });
    await flush();
    expect(actor.getSnapshot().output).toEqual({
      status: 'failed',
      error: { code: 'task_error', message: 'TypeError: tool exploded', taskId: 't1' },
    });
    expect(emitted.at(-1)).toMatchObject({
      type: 'task.failed',
      taskId: 't1',
      error: { code: 'task_error' },
    });
  });

  it('keeps a task-chosen failure code', async () => {
    const { actor } = startSubAgent(
      { id: 'a', name: 'a', kind: 'ephemeral', persona: 'coder' },
      async () => {
        throw new TaskFailedError('limit hit', 'max_turns');
      },
    );
    actor.send({ type: 'START', task: task() });
    await flush();
    expect(actor.getSnapshot().output).toMatchObject({
      status: 'failed',
      error: { code: 'max_turns', message: 'limit hit' },
    });
  });

  it('rejects a malformed task output with invalid_output', async () => {
    const { actor } = startSubAgent(
      { id: 'a', name: 'a', kind: 'ephemeral', persona: 'coder' },
      async () => ({ result: 'x', tokens: -4 }) as never,
    );
    actor.send({ type: 'START', task: task() });
    await flush();
    const output = actor.getSnapshot().output;
    expect(output).toMatchObject({ status: 'failed', error: { code: 'invalid_output' } });
    expect(output?.status === 'failed' && output.error.message).toContain('tokens');
  });

  it('fails with timeout when the task outlives timeoutMs, and aborts the task', async () => {
    let signal: AbortSignal | undefined;
    const { actor, clock } = startSubAgent(
      { id: 'a', name: 'a', kind: 'ephemeral', persona: 'coder', timeoutMs: 1_000 },
      (_input, context) => {
        signal = context.signal;
        return new Promise(() => {});
      },
    );
    actor.send({ type: 'START', task: task() });
    await flush();
    clock.increment(999);
    expect(actor.getSnapshot().value).toEqual({ running: 'working' });
    clock.increment(1);
    expect(actor.getSnapshot().output).toMatchObject({
      status: 'failed',
      error: { code: 'timeout', taskId: 't1' },
    });
    expect(signal?.aborted).toBe(true);
  });

  it('cancels cooperatively: aborts the task, waits for it to settle, then fails with cancelled', async () => {
    const settle = deferred<{ result: unknown }>();
    let signal: AbortSignal | undefined;
    const { actor } = startSubAgent(
      { id: 'a', name: 'a', kind: 'persistent', persona: 'coder' },
      (_input, context) => {
        signal = context.signal;
        return settle.promise;
      },
    );
    actor.send({ type: 'START', task: task() });
    await flush();
    actor.send({ type: 'CANCEL', reason: 'user pressed stop' });
    expect(signal?.aborted).toBe(true);
    expect(signal?.reason).toBe('user pressed stop');
    expect(actor.getSnapshot().value).toEqual({ running: 'cancelling' });
    settle.resolve({ result: 'late' });
    await flush();
    expect(actor.getSnapshot().output).toEqual({
      status: 'failed',
      error: { code: 'cancelled', message: 'user pressed stop', taskId: 't1' },
    });
  });

  it('fails with max_turns instead of starting a task past its turn budget', async () => {
    const { actor } = startSubAgent(
      { id: 'p', name: 'p', kind: 'persistent', persona: 'coder', maxTurns: 4 },
      async () => ({
        result: 'ok',
        turns: 2,
      }),
    );
    actor.send({ type: 'START', task: task('t1') });
    await flush();
    actor.send({ type: 'START', task: task('t2') });
    await flush();
    expect(actor.getSnapshot().value).toBe('idle');
    actor.send({ type: 'START', task: task('t3') });
    expect(actor.getSnapshot().output).toEqual({
      status: 'failed',
      error: { code: 'max_turns', message: 'agent used 4 of 4 turns', taskId: 't3' },
    });
  });

  it('a result that arrives after the agent moved on is dropped, not applied to the next task', async () => {
    const first = deferred<{ result: unknown }>();
    const calls: string[] = [];
    const { actor, clock } = startSubAgent(
      { id: 'p', name: 'p', kind: 'ephemeral', persona: 'coder', timeoutMs: 10 },
      ({ task: t }) => {
        calls.push(t.id);
        return first.promise;
      },
    );
    actor.send({ type: 'START', task: task('t1') });
    await flush();
    clock.increment(10);
    first.resolve({ result: 'stale' });
    await flush();
    expect(actor.getSnapshot().output).toMatchObject({
      status: 'failed',
      error: { code: 'timeout' },
    });
    expect(actor.getSnapshot().context.result).toBeUndefined();
    expect(calls).toEqual(['t1']);
  });
});
