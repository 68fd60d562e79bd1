/**
 * Delegation end to end: supervised agents running the loop through the real
 * openai SDK against the local server, on a copy of the demo workspace. One
 * server plays every agent; each request is answered by the task it carries
 * (the first user message) and how many tool answers it already holds.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import type { RuntimeEvent } from '../src/events/index.js';
import type { OpenAiServer, OpenAiServerScriptStep } from '../src/llm/index.js';
import {
  configFileSchema,
  loadAtoms,
  loadConfigLayers,
  SHIPPED_ATOMS_DIR,
} from '../src/prompt/index.js';
import {
  createLoopTaskFunction,
  createRuntime,
  type LoopTaskOptions,
  type Runtime,
  type TaskOutcome,
} from '../src/session/index.js';
import { afterTest } from './support/cleanup.js';
import { demoWorkspace, sdkModel, serve } from './support/loop-harness.js';
import { eventually } from './support/processes.js';
import { call, taskOf, toolAnswers, toolNames } from './support/wire.js';

type ConfigFileInit = Parameters<typeof configFileSchema.parse>[0];

const delegate = (args: { task: string; persona?: string }): OpenAiServerScriptStep => ({
  toolCalls: [call('delegate', args)],
});

type Play = (task: string, answers: readonly string[]) => OpenAiServerScriptStep;

async function setup(
  play: Play,
  options: Partial<Pick<LoopTaskOptions, 'maxDelegationDepth' | 'rules'>> & {
    config?: ConfigFileInit;
  } = {},
): Promise<{ runtime: Runtime; server: OpenAiServer; events: RuntimeEvent[] }> {
  const workspace = await demoWorkspace();
  const server = await serve((request) => play(taskOf(request), toolAnswers(request)));
  const { atoms } = await loadAtoms([SHIPPED_ATOMS_DIR]);
  const runtime = createRuntime({
    runTask: createLoopTaskFunction({
      workspace,
      model: sdkModel(server),
      atoms,
      configLayers: [
        ...(await loadConfigLayers()),
        ...(options.config ? [configFileSchema.parse(options.config)] : []),
      ],
      ...(options.maxDelegationDepth === undefined
        ? {}
        : { maxDelegationDepth: options.maxDelegationDepth }),
      ...(options.rules ? { rules: options.rules } : {}),
    }),
  });
  afterTest(() => runtime.shutdown());
  const events: RuntimeEvent[] = [];
  runtime.events$.subscribe((event) => events.push(event));
  return { runtime, server, events };
}

const runAgent = (runtime: Runtime, id: string, persona: string, prompt: string) =>
  runtime.run({ type: 'agent', id, persona, task: { id: `${id}-task`, prompt } });

const FIX = 'fix the tier bug in src/pricing.js';
const RUN_TESTS = 'test src/pricing.js';
const REVIEW_CART = 'review src/cart.js';

describe('a parent agent delegating', () => {
  it('gets a sub-agent’s answer and a failing sub-agent’s reason, in call order, and answers', async () => {
    const { runtime, server, events } = await setup((task, answers) => {
      if (task === FIX)
        return answers.length === 0
          ? {
              toolCalls: [
                call('delegate', { task: REVIEW_CART }),
                call('delegate', { task: RUN_TESTS }),
              ],
            }
          : { text: `children said: ${answers.join(' | ')}` };
      if (task === REVIEW_CART) return { text: 'cart.js has a TODO on line 3' };
      // The tester's model endpoint refuses it: its loop fails at callModel.
      return { fault: 'http_error', status: 400, message: 'tester quota exhausted' };
    });

    const outcome = await runAgent(runtime, 'coder-1', 'coder', FIX);

    expect(outcome).toMatchObject({ status: 'completed', agentId: 'root/coder-1' });
    const answer = outcome.status === 'completed' ? String(outcome.result) : '';
    const [first, second] = answer.replace('children said: ', '').split(' | ');
    // The reviewer's answer comes back as the first call's result…
    expect(JSON.parse(first ?? 'null')).toMatchObject({
      agent: 'root/coder-1.1',
      persona: 'reviewer',
      answer: 'cart.js has a TODO on line 3',
    });
    // …and the tester's failure as the second call's error, naming it and why.
    const failure = z
      .object({ error: z.object({ code: z.string(), message: z.string() }) })
      .parse(JSON.parse(second ?? 'null')).error;
    expect(failure.code).toBe('delegate_failed');
    expect(failure.message).toContain('root/coder-1.2 (tester)');
    expect(failure.message).toContain('callModel');
    expect(failure.message).toContain('tester quota exhausted');
    expect(server.requests.map(taskOf)).toEqual(
      expect.arrayContaining([FIX, REVIEW_CART, RUN_TESTS]),
    );

    // Sub-agents' events carry their delegator as parent, one level below it.
    const spawned = events.filter((event) => event.type === 'agent.spawned');
    expect(spawned.map(({ agentId, parentId, depth }) => ({ agentId, parentId, depth }))).toEqual(
      expect.arrayContaining([
        { agentId: 'root/coder-1', parentId: 'root', depth: 1 },
        { agentId: 'root/coder-1.1', parentId: 'root/coder-1', depth: 2 },
        { agentId: 'root/coder-1.2', parentId: 'root/coder-1', depth: 2 },
      ]),
    );
    expect(
      events.find((event) => event.type === 'task.failed' && event.agentId === 'root/coder-1.2'),
    ).toMatchObject({ parentId: 'root/coder-1', depth: 2, error: { code: 'task_error' } });
    // The loop's own events reach the runtime's stream under each agent.
    const stagesOf = (agentId: string) =>
      events.flatMap((event) =>
        event.type === 'stage.started' && event.agentId === agentId ? [event.stage] : [],
      );
    expect(stagesOf('root/coder-1')).toEqual(expect.arrayContaining(['observe', 'executeTools']));
    expect(stagesOf('root/coder-1.1')).toContain('respond');
    expect(
      events.find((event) => event.type === 'tool.permitted' && event.tool === 'delegate'),
    ).toMatchObject({ agentId: 'root/coder-1', depth: 1 });
    // Every event of a sub-agent, its last state change after its exit included.
    const ofChild = events.filter((event) => event.agentId === 'root/coder-1.1');
    expect(ofChild.at(-1)?.type).toBe('agent.state_changed');
    for (const event of ofChild)
      expect(event).toMatchObject({ parentId: 'root/coder-1', depth: 2 });
  });

  it('a sub-agent can be no looser than its delegator: a read-only coder’s tester cannot write', async () => {
    const { runtime, server } = await setup(
      (task, answers) => {
        if (task === FIX)
          return answers.length === 0
            ? delegate({ task: RUN_TESTS, persona: 'tester' })
            : { text: `tester said: ${answers[0] ?? ''}` };
        return answers.length === 0
          ? { toolCalls: [call('write_file', { path: 'NOTES.md', content: 'x\n' })] }
          : { text: `write: ${answers[0] ?? ''}` };
      },
      { config: { personas: { coder: { sandbox: 'read-only' } } } },
    );

    const outcome = await runAgent(runtime, 'coder-1', 'coder', FIX);

    const answer = outcome.status === 'completed' ? String(outcome.result) : '';
    expect(answer).toContain('/sandbox_read_only');
    const childCalls = server.requests.filter((request) => taskOf(request) === RUN_TESTS);
    expect(childCalls).toHaveLength(2);
  });

  it('a rule that vetoes the delegator holds for its sub-agent: a tester cannot get a coder to write src/', async () => {
    const rules = join(await mkdtemp(join(tmpdir(), 'nerdloop-rules-')), 'local.mg');
    afterTest(() => rm(dirname(rules), { recursive: true, force: true }));
    await writeFile(
      rules,
      [
        'writes_tests(Id) :- pending_action(Id, _, Target, _, _), path_segment(Target, "test").',
        'denied(Id, /tester_outside_tests) :-',
        '  action_persona(Id, /tester),',
        '  pending_action(Id, Action, _, _, _),',
        '  action_class(Action, /write),',
        '  !writes_tests(Id).',
        '',
      ].join('\n'),
    );
    const { runtime, server } = await setup(
      (task, answers) => {
        if (task === RUN_TESTS)
          return answers.length === 0
            ? delegate({ task: FIX, persona: 'coder' })
            : { text: `coder said: ${answers[0] ?? ''}` };
        return answers.length === 0
          ? { toolCalls: [call('write_file', { path: 'src/notes.js', content: 'x\n' })] }
          : { text: `write: ${answers[0] ?? ''}` };
      },
      { rules: [rules] },
    );

    const outcome = await runAgent(runtime, 'tester-1', 'tester', RUN_TESTS);

    const answer = outcome.status === 'completed' ? String(outcome.result) : '';
    // The coder sub-agent ran, and its write was refused for the tester above it.
    expect(server.requests.filter((request) => taskOf(request) === FIX)).toHaveLength(2);
    expect(answer).toContain('/delegator_not_allowed');
    expect(answer).toContain('/tester_outside_tests');
  });

  it('the per-call tool timeout does not cut a sub-agent’s task short', async () => {
    const { runtime } = await setup(
      (task, answers) => {
        if (task === FIX)
          return answers.length === 0
            ? delegate({ task: REVIEW_CART })
            : { text: `child: ${answers[0] ?? ''}` };
        // Far longer than the 1 ms toolTimeoutMs below.
        return { fault: 'delay', ms: 200, step: { text: 'cart.js reviewed' } };
      },
      { config: { defaults: { toolTimeoutMs: 1 } } },
    );

    const outcome = await runAgent(runtime, 'coder-1', 'coder', FIX);

    const answer = outcome.status === 'completed' ? String(outcome.result) : '';
    expect(answer).toContain('cart.js reviewed');
    expect(answer).not.toContain('loop_tool_timeout');
  });

  it('a reviewer cannot get a coder to write for it: the call is denied and nothing is spawned', async () => {
    const { runtime, events } = await setup((_task, answers) =>
      answers.length === 0
        ? delegate({ task: FIX, persona: 'coder' })
        : { text: `denied: ${answers[0] ?? ''}` },
    );

    const outcome = await runAgent(runtime, 'reviewer-1', 'reviewer', 'review this project');

    expect(outcome.status).toBe('completed');
    const answer = outcome.status === 'completed' ? String(outcome.result) : '';
    expect(answer).toContain('store_denied');
    expect(answer).toContain('/delegation_escalates');
    expect(
      events.filter((event) => event.type === 'agent.spawned').map((event) => event.agentId),
    ).toEqual(['root/reviewer-1']);
  });

  it('a sub-agent keeps the persona it was given, whatever its task says', async () => {
    const { runtime, server } = await setup((task, answers) =>
      task === 'review this project' && answers.length === 0
        ? delegate({ task: FIX, persona: 'researcher' })
        : { text: `done: ${task} ${answers.join(' | ')}` },
    );

    const outcome = await runAgent(runtime, 'reviewer-1', 'reviewer', 'review this project');

    expect(outcome.status).toBe('completed');
    expect(outcome.status === 'completed' ? String(outcome.result) : '').toContain(
      '"persona":"researcher"',
    );
    // "fix …" would route to a coder; the researcher it was spawned as gets no write tools.
    const childTools = server.requests
      .filter((request) => taskOf(request) === FIX)
      .flatMap(toolNames);
    expect(childTools).toContain('read_file');
    expect(childTools).not.toContain('write_file');
    expect(childTools).not.toContain('run_command');
  });

  it('stops offering delegate at the depth limit', async () => {
    const { runtime, server } = await setup(
      (task, answers) =>
        task === FIX && answers.length === 0
          ? delegate({ task: REVIEW_CART })
          : { text: `done: ${task}` },
      { maxDelegationDepth: 1 },
    );

    const outcome = await runAgent(runtime, 'coder-1', 'coder', FIX);

    expect(outcome.status).toBe('completed');
    const offered = (task: string) =>
      server.requests.filter((request) => taskOf(request) === task).map(toolNames);
    expect(offered(FIX)[0]).toContain('delegate');
    expect(offered(REVIEW_CART)[0]).not.toContain('delegate');
    expect(offered(REVIEW_CART)[0]).toContain('read_file');
  });
});

describe('cancellation reaches sub-agents', () => {
  it('stopping the parent aborts the sub-agent’s model call and leaves no agent running', async () => {
    const { runtime, server, events } = await setup((task) =>
      task === FIX ? delegate({ task: REVIEW_CART }) : { fault: 'stall' },
    );

    const outcome: Promise<TaskOutcome> = runAgent(runtime, 'coder-1', 'coder', FIX);
    await eventually(
      () => server.requests.some((request) => taskOf(request) === REVIEW_CART),
      'the sub-agent’s model call',
    );
    runtime.stop('root/coder-1', 'the user changed their mind');

    expect(await outcome).toMatchObject({ status: 'failed', code: 'cancelled' });
    await server.waitForHangUps(1);
    expect(server.hangUps).toHaveLength(1);
    await vi.waitFor(
      () => {
        expect(
          events.find(
            (event) => event.type === 'task.failed' && event.agentId === 'root/coder-1.1',
          ),
        ).toMatchObject({ error: { code: 'cancelled' }, parentId: 'root/coder-1' });
        expect(runtime.agent('root/coder-1.1')).toBeUndefined();
        expect(runtime.agent('root/coder-1')).toBeUndefined();
      },
      { timeout: 20_000, interval: 20 },
    );
  });
});
