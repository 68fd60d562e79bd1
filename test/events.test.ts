/** The event stream: typed, schema-valid, filterable, and gone with the runtime. */
import { describe, expect, it } from 'vitest';
import { forAgent, ofType, type RuntimeEvent, runtimeEventSchema } from '../src/events/index.js';
import type { TaskFunction } from '../src/session/index.js';
import { flush } from './support/agents.js';
import { startRuntime } from './support/runtime.js';

const mixed: TaskFunction = async ({ task }) => {
  if (task.prompt === 'fail') throw new Error('nope');
  return { result: { answer: task.prompt }, tokens: 1, turns: 1 };
};

describe('RuntimeEvent stream', () => {
  it('every event of a busy run matches the published schema, in causal order per agent', async () => {
    const { runtime, events, advance } = startRuntime({
      runTask: mixed,
      supervisor: { maxConcurrent: 2 },
    });
    runtime.spawn({ type: 'supervisor', id: 'team' });
    runtime.spawn(
      { type: 'agent', id: 'a', task: { id: 't', prompt: 'ok' } },
      { under: 'root/team' },
    );
    runtime.spawn(
      { type: 'agent', id: 'b', restart: 'transient', task: { id: 't', prompt: 'fail' } },
      { under: 'root/team' },
    );
    runtime.spawn({ type: 'agent', id: 'c', task: { id: 't', prompt: 'ok' } });
    runtime.spawn({ type: 'agent', id: 'd', task: { id: 't', prompt: 'ok' } });
    runtime.spawn({ type: 'agent', id: 'c' });
    await flush();
    await advance(200);
    await runtime.shutdown();

    const problems = events
      .map((event) => runtimeEventSchema.safeParse(event))
      .filter((result) => !result.success);
    expect(problems).toEqual([]);
    const types = new Set(events.map((event) => event.type));
    for (const type of [
      'agent.spawned',
      'agent.state_changed',
      'task.started',
      'task.completed',
      'task.failed',
      'agent.exited',
      'agent.restarting',
      'spawn.queued',
      'spawn.rejected',
      'supervisor.stopped',
    ] as const) {
      expect(types, type).toContain(type);
    }
    const a = events.filter((event) => event.agentId === 'root/team/a').map((event) => event.type);
    expect(a.indexOf('agent.spawned')).toBeLessThan(a.indexOf('task.started'));
    expect(a.indexOf('task.started')).toBeLessThan(a.indexOf('task.completed'));
    expect(a.indexOf('task.completed')).toBeLessThan(a.indexOf('agent.exited'));
    expect(
      events.find((event) => event.type === 'task.completed' && event.agentId === 'root/team/a'),
    ).toMatchObject({
      parentId: 'root/team',
      depth: 2,
      result: { answer: 'ok' },
    });
  });

  it('ofType and forAgent pick events by type and by agent or subtree', async () => {
    const { runtime, advance } = startRuntime({ runTask: mixed });
    const completed: RuntimeEvent[] = [];
    const teamOnly: RuntimeEvent[] = [];
    const subtree: RuntimeEvent[] = [];
    runtime.events$.pipe(ofType('task.completed')).subscribe((event) => completed.push(event));
    runtime.events$.pipe(forAgent('root/team')).subscribe((event) => teamOnly.push(event));
    runtime.events$
      .pipe(forAgent('root/team', { subtree: true }))
      .subscribe((event) => subtree.push(event));
    runtime.spawn({ type: 'supervisor', id: 'team' });
    runtime.spawn(
      { type: 'agent', id: 'x', task: { id: 't1', prompt: 'ok' } },
      { under: 'root/team' },
    );
    runtime.spawn({ type: 'agent', id: 'y', task: { id: 't2', prompt: 'ok' } });
    await advance(5);
    expect(completed.map((event) => event.agentId)).toEqual(['root/team/x', 'root/y']);
    expect(new Set(teamOnly.map((event) => event.agentId))).toEqual(new Set(['root/team']));
    expect(new Set(subtree.map((event) => event.agentId))).toEqual(
      new Set(['root/team', 'root/team/x']),
    );
    await runtime.shutdown();
  });

  it('no subscription outlives a stopped runtime', async () => {
    const { runtime } = startRuntime({ runTask: mixed });
    let completed = false;
    const subscription = runtime.events$.subscribe({ complete: () => (completed = true) });
    const filtered = runtime.events$.pipe(ofType('task.failed')).subscribe();
    await runtime.shutdown();
    expect(completed).toBe(true);
    expect(subscription.closed).toBe(true);
    expect(filtered.closed).toBe(true);
    const late = runtime.events$.subscribe();
    expect(late.closed).toBe(true);
  });

  it('a state change of the root supervisor is reported under its own path', async () => {
    const { runtime, of } = startRuntime({ runTask: mixed });
    runtime.spawn({ type: 'agent', id: 'a', task: { id: 't', prompt: 'ok' } });
    await runtime.shutdown();
    // The root entered `supervising` while the runtime was constructed, before this subscriber.
    expect(of('agent.state_changed', 'root').map((event) => [event.from, event.to])).toEqual([
      ['supervising', 'shuttingDown'],
      ['shuttingDown', 'stopped'],
    ]);
    expect(of('agent.state_changed').every((event) => event.agentId.startsWith('root'))).toBe(true);
  });
});
