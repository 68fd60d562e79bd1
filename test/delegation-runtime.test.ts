/**
 * The runtime's side of delegation, with task functions of our own (no model):
 * what a sub-agent inherits survives its restarts, a refused spawn leaves
 * nothing behind, and a delegator's supervisor killed mid-delegation is not a
 * crash.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RuntimeEvent } from '../src/events/index.js';
import {
  createRuntime,
  type Runtime,
  type TaskContext,
  type TaskFunction,
} from '../src/session/index.js';

let runtime: Runtime | undefined;
afterEach(async () => {
  await runtime?.shutdown();
  runtime = undefined;
});

const READ_ONLY = { sandbox: 'read-only', approval: 'never' } as const;

/** Resolves when the task's signal aborts. */
const untilAborted = (context: TaskContext) =>
  new Promise<void>((resolve) => context.signal.addEventListener('abort', () => resolve()));

describe('delegation in the runtime', () => {
  it('a restarted sub-agent keeps its delegator, its inherited mode and its depth', async () => {
    const seen: Array<Pick<TaskContext, 'inherited' | 'delegationDepth'>> = [];
    const runTask: TaskFunction = async ({ agentId }, context) => {
      if (agentId === 'a') {
        const outcome = await context.delegate(
          {
            persona: 'coder',
            kind: 'persistent',
            task: { id: 's1', prompt: 'sub' },
            judgedAs: { persona: 'reviewer', mode: READ_ONLY },
          },
          { signal: context.signal },
        );
        return { result: outcome.status };
      }
      seen.push({ inherited: context.inherited, delegationDepth: context.delegationDepth });
      // The first task crashes the persistent sub-agent: its supervisor restarts it.
      if (seen.length === 1) throw new Error('boom');
      return { result: 'ok' };
    };
    runtime = createRuntime({ runTask });
    const events: RuntimeEvent[] = [];
    runtime.events$.subscribe((event) => events.push(event));

    await runtime.run({ type: 'agent', id: 'a', task: { id: 't', prompt: 'x' } });
    await vi.waitFor(() =>
      expect(
        events.some(
          (event) =>
            event.type === 'agent.spawned' && event.agentId === 'root/a.1' && event.attempt > 0,
        ),
      ).toBe(true),
    );
    const next = runtime.waitForTask('root/a.1', 's2');
    runtime.startTask('root/a.1', { id: 's2', prompt: 'again' });

    expect(await next).toMatchObject({ status: 'completed' });
    const expected = {
      inherited: { mode: READ_ONLY, personas: ['reviewer'] },
      delegationDepth: 1,
    };
    expect(seen).toEqual([expected, expected]);
    for (const event of events.filter((event) => event.agentId === 'root/a.1'))
      expect(event).toMatchObject({ parentId: 'root/a', depth: 2 });
  });

  it('a refused spawn leaves no delegation behind for a later agent of that name', async () => {
    const depths: number[] = [];
    const runTask: TaskFunction = async ({ agentId }, context) => {
      if (agentId === 'a') {
        const outcome = await context.delegate(
          { persona: 'coder', task: { id: 's', prompt: 'sub' } },
          { signal: context.signal },
        );
        return { result: outcome };
      }
      depths.push(context.delegationDepth);
      return { result: 'ok' };
    };
    // Room for one agent and no queue: the sub-agent is refused while `a` runs.
    runtime = createRuntime({ runTask, supervisor: { maxConcurrent: 1, overflow: 'reject' } });
    const events: RuntimeEvent[] = [];
    runtime.events$.subscribe((event) => events.push(event));

    const refused = await runtime.run({ type: 'agent', id: 'a', task: { id: 't', prompt: 'x' } });
    expect(refused).toMatchObject({ status: 'completed' });
    expect(refused.status === 'completed' ? refused.result : null).toMatchObject({
      status: 'failed',
      agentId: 'root/a.1',
    });
    await vi.waitFor(() => expect(runtime?.agent('root/a')).toBeUndefined());
    const later = await runtime.run({ type: 'agent', id: 'a.1', task: { id: 'u', prompt: 'y' } });

    expect(later.status).toBe('completed');
    expect(depths).toEqual([0]);
    expect(
      events.find((event) => event.type === 'agent.spawned' && event.agentId === 'root/a.1'),
    ).toMatchObject({ parentId: 'root', depth: 1 });
  });

  it('killing the delegator’s supervisor mid-delegation stops everything and crashes nothing', async () => {
    const runTask: TaskFunction = async ({ agentId }, context) => {
      if (agentId === 'a') {
        const outcome = await context.delegate(
          { persona: 'coder', task: { id: 's', prompt: 'sub' } },
          { signal: context.signal },
        );
        return { result: outcome };
      }
      await untilAborted(context);
      return { result: 'stopped' };
    };
    runtime = createRuntime({ runTask });
    const uncaught = vi.fn();
    process.on('uncaughtException', uncaught);
    try {
      runtime.spawn({ type: 'supervisor', id: 'team' });
      const outcome = runtime.run(
        { type: 'agent', id: 'a', task: { id: 't', prompt: 'x' } },
        { under: 'root/team' },
      );
      await vi.waitFor(() => expect(runtime?.agent('root/team/a.1')).toBeDefined());

      runtime.kill('root/team', 'bye');

      expect(await outcome).toMatchObject({ status: 'failed' });
      await vi.waitFor(() => expect(runtime?.agent('root/team/a.1')).toBeUndefined());
      // Let the abort listeners run.
      await new Promise((resolve) => setImmediate(resolve));
      expect(uncaught).not.toHaveBeenCalled();
    } finally {
      process.off('uncaughtException', uncaught);
    }
  });
});
