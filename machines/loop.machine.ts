/**
 * Loop: one pass of nerdloop's universal loop for one task.
 *
 *   working ─────────────────────────────────────────────────────────────┐
 *   │ observing ─▶ orienting ─▶ compiling ─▶ thinking ⇄ acting            │
 *   │                                          └──▶ responding ─▶ done    │
 *   ├─ a stage's error ─────────────────────────────────────▶ failed      │
 *   ├─ a limit (turns, tool calls, tokens, stuck) ──────────▶ stopped     │
 *   └─ runTimeout / CANCEL, in any stage ───────────────────▶ stopped ────┘
 *
 * A pure definition: every stage is an invoked actor whose placeholder only
 * fails; the Executor (`src/session`) provides the real stages and, built on
 * its injected clock, the clock-stamping actions. Limits are guards on the
 * transitions out of `thinking` and `acting`, so the diagram shows them; they
 * stop the loop only when it would go on, so a final answer is always kept.
 */
import { assign, emit, enqueueActions, fromPromise, type ParameterizedObject, setup } from 'xstate';
import { canonicalJsonText, describeUnknownError, toolResultText } from '../src/core/index.js';
import type {
  CallModelInput,
  ChatMessage,
  Completion,
  ExecuteToolsInput,
  JitInput,
  JitOutput,
  LoopContext,
  LoopEmitted,
  LoopEvent,
  LoopInit,
  LoopLimits,
  LoopOutput,
  LoopStage,
  LoopToolResult,
  ObserveInput,
  ObserveOutput,
  OrientInput,
  OrientOutput,
  RecentCall,
  RespondInput,
  RespondOutput,
  StopReason,
  ToolCall,
} from './loop.contracts.js';
import { loopInputSchema } from './loop.contracts.js';

/**
 * Stamps stages with a clock. The machine uses the wall clock by default; the
 * Executor provides the same actions built on its injected clock.
 */
export const loopClockActions = (now: () => number) => ({
  stampStage: assign<LoopContext, LoopEvent, undefined, LoopEvent, never>(() => ({
    stageStartedAt: now(),
  })),
  finishStage: emit<LoopContext, LoopEvent, undefined, LoopEvent, LoopEmitted>(
    ({ context, event }) => {
      const stage = context.stage ?? 'observe';
      // Exit actions see the event that ends the stage: only its actor's done event is a success.
      const type: string = event.type;
      return {
        type: 'stage.finished',
        stage,
        ok: type === `xstate.done.actor.${stage}`,
        durationMs: context.stageStartedAt === null ? 0 : now() - context.stageStartedAt,
      };
    },
  ),
});

type LoopEnqueue<Params extends ParameterizedObject['params']> = typeof enqueueActions<
  LoopContext,
  LoopEvent,
  Params,
  LoopEvent,
  never,
  never,
  never,
  never,
  LoopEmitted
>;

/**
 * enqueueActions with this machine's types spelled out: inside `setup` it cannot
 * infer them for an action with params, and the action then fails to typecheck.
 */
const loopEnqueue = <Params extends ParameterizedObject['params']>(
  collect: Parameters<LoopEnqueue<Params>>[0],
) => {
  const typed: LoopEnqueue<Params> = enqueueActions;
  return typed(collect);
};

const notProvided = (stage: LoopStage) => async (): Promise<never> => {
  throw new Error(`no ${stage} implementation was provided`);
};

export const loopMachine = setup({
  types: {
    context: {} as LoopContext,
    input: {} as LoopInit,
    events: {} as LoopEvent,
    output: {} as LoopOutput,
    emitted: {} as LoopEmitted,
  },
  actors: {
    // Placeholders: the Executor always provides the real stages.
    observe: fromPromise<ObserveOutput, ObserveInput>(notProvided('observe')),
    orient: fromPromise<OrientOutput, OrientInput>(notProvided('orient')),
    jit: fromPromise<JitOutput, JitInput>(notProvided('jit')),
    callModel: fromPromise<Completion, CallModelInput>(notProvided('callModel')),
    executeTools: fromPromise<LoopToolResult[], ExecuteToolsInput>(notProvided('executeTools')),
    respond: fromPromise<RespondOutput, RespondInput>(notProvided('respond')),
  },
  delays: {
    runTimeout: ({ context }) => context.limits.timeoutMs,
  },
  guards: {
    // Guards run before the transition's actions: each counts the completion in itself.
    turnLimitReached: ({ context }, { completion }: { completion: Completion }) =>
      completion.toolCalls.length > 0 && context.turns + 1 >= context.limits.maxTurns,
    toolCallLimitReached: ({ context }, { completion }: { completion: Completion }) =>
      completion.toolCalls.length > 0 &&
      context.toolCallCount + completion.toolCalls.length > context.limits.maxToolCalls,
    tokenBudgetSpent: ({ context }, { completion }: { completion: Completion }) =>
      completion.toolCalls.length > 0 &&
      tokensUsed(addUsage(context.usage, completion)) >= context.limits.tokenBudget,
    hasToolCalls: (_, { completion }: { completion: Completion }) =>
      completion.toolCalls.length > 0,
    isStuck: ({ context }, { results }: { results: LoopToolResult[] }) =>
      stuckReason(answeredBatch(context, results).recentCalls, context.limits) !== null,
  },
  actions: {
    ...loopClockActions(() => Date.now()),
    enterStage: loopEnqueue<{ stage: LoopStage }>(({ enqueue }, { stage }) => {
      enqueue.assign({ stage });
      enqueue.emit({ type: 'stage.started', stage });
    }),
    recordIntent: assign((_, { intent }: { intent: unknown }) => ({ intent })),
    recordOrientation: assign((_, { orientation }: { orientation: unknown }) => ({
      orientation,
    })),
    applyJit: assign(({ context }, { jit }: { jit: JitOutput }) => ({
      systemPrompt: jit.systemPrompt,
      tools: jit.tools ?? [],
      limits: { ...context.limits, ...definedOnly(jit.limits ?? {}) },
      messages: [{ role: 'system' as const, content: jit.systemPrompt }, ...context.messages],
    })),
    recordCompletion: loopEnqueue<{ completion: Completion }>(
      ({ context, enqueue }, { completion }) => {
        const calls = completion.toolCalls;
        const message: ChatMessage =
          calls.length > 0
            ? {
                role: 'assistant',
                content: completion.text === '' ? null : completion.text,
                toolCalls: calls,
              }
            : { role: 'assistant', content: completion.text };
        enqueue.assign({
          turns: context.turns + 1,
          usage: addUsage(context.usage, completion),
          messages: [...context.messages, message],
          pendingCalls: calls,
        });
        enqueue.emit({ type: 'llm.usage', ...completion.usage });
      },
    ),
    dispatchToolCalls: assign(({ context }) => ({
      toolCallCount: context.toolCallCount + context.pendingCalls.length,
    })),
    recordToolResults: loopEnqueue<{ results: LoopToolResult[] }>(
      ({ context, enqueue }, { results }) => {
        const { answered, contents, recentCalls } = answeredBatch(context, results);
        enqueue.assign({
          messages: [
            ...context.messages,
            ...answered.map((result, index) => ({
              role: 'tool' as const,
              toolCallId: result.callId,
              content: contents[index] ?? '',
            })),
          ],
          recentCalls,
          pendingCalls: [],
        });
        enqueue.emit({
          type: 'tool.batch',
          tools: answered.map((result) => result.tool),
          failed: answered.filter((result) => !result.ok).length,
        });
      },
    ),
    recordResponse: assign((_, { response }: { response: string }) => ({ response })),
    failStage: assign(({ context }, { error }: { error: unknown }) => ({
      error: {
        stage: context.stage ?? 'observe',
        message: describeUnknownError(error) || 'failed without a message',
      },
    })),
    stopFor: assign(({ context, event }, { reason }: { reason: StopReason }) => ({
      stoppedBy: reason,
      stopMessage: stopMessage(context, reason, event.type === 'CANCEL' ? event.reason : undefined),
    })),
  },
}).createMachine({
  id: 'loop',
  context: ({ input }) => {
    const init = loopInputSchema.parse(input);
    return {
      task: init.task,
      intent: null,
      orientation: null,
      systemPrompt: null,
      tools: [],
      messages: [...init.history, { role: 'user', content: init.task }],
      pendingCalls: [],
      turns: 0,
      toolCallCount: 0,
      usage: { promptTokens: 0, completionTokens: 0 },
      limits: init.limits,
      recentCalls: [],
      response: null,
      stage: null,
      stageStartedAt: null,
      stoppedBy: null,
      stopMessage: null,
      error: null,
    };
  },
  initial: 'working',
  states: {
    working: {
      description:
        'The run: every stage, inside one wall-clock timeout. CANCEL or the timeout stops it in whichever stage is running.',
      after: {
        runTimeout: {
          target: 'stopped',
          actions: { type: 'stopFor', params: { reason: 'timeout' } },
        },
      },
      on: {
        CANCEL: {
          target: 'stopped',
          actions: { type: 'stopFor', params: { reason: 'cancelled' } },
        },
      },
      initial: 'observing',
      states: {
        observing: {
          description: 'OBSERVE: the transducer turns the task text into an intent.',
          entry: [{ type: 'enterStage', params: { stage: 'observe' } }, 'stampStage'],
          exit: 'finishStage',
          invoke: {
            id: 'observe',
            src: 'observe',
            input: ({ context }) => ({ task: context.task }),
            onDone: {
              target: 'orienting',
              actions: { type: 'recordIntent', params: ({ event }) => ({ intent: event.output }) },
            },
            onError: {
              target: '#loop.failed',
              actions: { type: 'failStage', params: ({ event }) => ({ error: event.error }) },
            },
          },
        },
        orienting: {
          description:
            'ORIENT: the logic kernel routes the intent: persona, tools, policy, config.',
          entry: [{ type: 'enterStage', params: { stage: 'orient' } }, 'stampStage'],
          exit: 'finishStage',
          invoke: {
            id: 'orient',
            src: 'orient',
            input: ({ context }) => ({ task: context.task, intent: context.intent }),
            onDone: {
              target: 'compiling',
              actions: {
                type: 'recordOrientation',
                params: ({ event }) => ({ orientation: event.output }),
              },
            },
            onError: {
              target: '#loop.failed',
              actions: { type: 'failStage', params: ({ event }) => ({ error: event.error }) },
            },
          },
        },
        compiling: {
          description:
            "JIT: the system prompt is compiled from prompt atoms; the AgentConfig's limits replace the input's.",
          entry: [{ type: 'enterStage', params: { stage: 'jit' } }, 'stampStage'],
          exit: 'finishStage',
          invoke: {
            id: 'jit',
            src: 'jit',
            input: ({ context }) => ({
              task: context.task,
              intent: context.intent,
              orientation: context.orientation,
            }),
            onDone: {
              target: 'thinking',
              actions: { type: 'applyJit', params: ({ event }) => ({ jit: event.output }) },
            },
            onError: {
              target: '#loop.failed',
              actions: { type: 'failStage', params: ({ event }) => ({ error: event.error }) },
            },
          },
        },
        thinking: {
          description:
            'LLM: one model call with the conversation so far. Tool calls go to acting unless a limit stops the run; an answer without tool calls goes to responding.',
          entry: [{ type: 'enterStage', params: { stage: 'callModel' } }, 'stampStage'],
          exit: 'finishStage',
          invoke: {
            id: 'callModel',
            src: 'callModel',
            input: ({ context }) => ({
              messages: context.messages,
              tools: context.tools,
              turn: context.turns + 1,
            }),
            onDone: [
              {
                guard: {
                  type: 'turnLimitReached',
                  params: ({ event }) => ({ completion: event.output }),
                },
                target: '#loop.stopped',
                actions: [
                  {
                    type: 'recordCompletion',
                    params: ({ event }) => ({ completion: event.output }),
                  },
                  { type: 'stopFor', params: { reason: 'max_turns' } },
                ],
              },
              {
                guard: {
                  type: 'toolCallLimitReached',
                  params: ({ event }) => ({ completion: event.output }),
                },
                target: '#loop.stopped',
                actions: [
                  {
                    type: 'recordCompletion',
                    params: ({ event }) => ({ completion: event.output }),
                  },
                  { type: 'stopFor', params: { reason: 'max_tool_calls' } },
                ],
              },
              {
                guard: {
                  type: 'tokenBudgetSpent',
                  params: ({ event }) => ({ completion: event.output }),
                },
                target: '#loop.stopped',
                actions: [
                  {
                    type: 'recordCompletion',
                    params: ({ event }) => ({ completion: event.output }),
                  },
                  { type: 'stopFor', params: { reason: 'token_budget' } },
                ],
              },
              {
                guard: {
                  type: 'hasToolCalls',
                  params: ({ event }) => ({ completion: event.output }),
                },
                target: 'acting',
                actions: [
                  {
                    type: 'recordCompletion',
                    params: ({ event }) => ({ completion: event.output }),
                  },
                  'dispatchToolCalls',
                ],
              },
              {
                target: 'responding',
                actions: {
                  type: 'recordCompletion',
                  params: ({ event }) => ({ completion: event.output }),
                },
              },
            ],
            onError: {
              target: '#loop.failed',
              actions: { type: 'failStage', params: ({ event }) => ({ error: event.error }) },
            },
          },
        },
        acting: {
          description:
            'EXECUTE: the tool calls run through the policy-gated store; their results go back to the model in call order, unless the loop is repeating itself.',
          entry: [{ type: 'enterStage', params: { stage: 'executeTools' } }, 'stampStage'],
          exit: 'finishStage',
          invoke: {
            id: 'executeTools',
            src: 'executeTools',
            input: ({ context }) => ({ calls: context.pendingCalls }),
            onDone: [
              {
                guard: { type: 'isStuck', params: ({ event }) => ({ results: event.output }) },
                target: '#loop.stopped',
                actions: [
                  { type: 'recordToolResults', params: ({ event }) => ({ results: event.output }) },
                  { type: 'stopFor', params: { reason: 'stuck' } },
                ],
              },
              {
                target: 'thinking',
                actions: {
                  type: 'recordToolResults',
                  params: ({ event }) => ({ results: event.output }),
                },
              },
            ],
            onError: {
              target: '#loop.failed',
              actions: { type: 'failStage', params: ({ event }) => ({ error: event.error }) },
            },
          },
        },
        responding: {
          description: "RESPOND: the model's answer becomes the final response.",
          entry: [{ type: 'enterStage', params: { stage: 'respond' } }, 'stampStage'],
          exit: 'finishStage',
          invoke: {
            id: 'respond',
            src: 'respond',
            input: ({ context }) => ({
              task: context.task,
              intent: context.intent,
              text: lastAssistantText(context.messages),
              messages: context.messages,
            }),
            onDone: {
              target: '#loop.done',
              actions: {
                type: 'recordResponse',
                params: ({ event }) => ({ response: event.output }),
              },
            },
            onError: {
              target: '#loop.failed',
              actions: { type: 'failStage', params: ({ event }) => ({ error: event.error }) },
            },
          },
        },
      },
    },
    done: { type: 'final', description: 'The model answered and the response is ready.' },
    failed: {
      type: 'final',
      description: 'A stage failed; the error names the stage.',
    },
    stopped: {
      type: 'final',
      description:
        'A limit ended the run (turns, tool calls, tokens, timeout, stuck) or it was cancelled.',
    },
  },
  output: ({ context }) => loopOutput(context),
});

export type LoopMachine = typeof loopMachine;

// ------------------------------------------------------------------- helpers

function loopOutput(context: LoopContext): LoopOutput {
  const totals = {
    turns: context.turns,
    toolCalls: context.toolCallCount,
    usage: context.usage,
    messages: context.messages,
  };
  if (context.error)
    return {
      status: 'failed',
      stage: context.error.stage,
      message: context.error.message,
      ...totals,
    };
  if (context.stoppedBy)
    return {
      status: 'stopped',
      stoppedBy: context.stoppedBy,
      message: context.stopMessage ?? context.stoppedBy,
      stage: context.stage,
      ...totals,
    };
  return { status: 'done', response: context.response ?? '', ...totals };
}

function addUsage(usage: LoopContext['usage'], completion: Completion): LoopContext['usage'] {
  return {
    promptTokens: usage.promptTokens + completion.usage.promptTokens,
    completionTokens: usage.completionTokens + completion.usage.completionTokens,
  };
}

const tokensUsed = (usage: LoopContext['usage']): number =>
  usage.promptTokens + usage.completionTokens;

function definedOnly<T extends Record<string, unknown>>(value: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(value).filter(([, item]) => item !== undefined),
  ) as Partial<T>;
}

function lastAssistantText(messages: readonly ChatMessage[]): string {
  for (let index = messages.length - 1; index >= 0; index -= 1) {
    const message = messages[index];
    if (message?.role === 'assistant') return message.content ?? '';
  }
  return '';
}

/**
 * One result per call, in call order, matched by call id. A call the executor
 * did not answer still gets an answer: the model must see one for every call.
 */
export function answerCalls(
  calls: readonly ToolCall[],
  results: readonly LoopToolResult[],
): LoopToolResult[] {
  const byId = new Map<string, LoopToolResult>();
  for (const result of results) if (!byId.has(result.callId)) byId.set(result.callId, result);
  return calls.map(
    (call) =>
      byId.get(call.id) ?? {
        callId: call.id,
        tool: call.name,
        ok: false,
        error: {
          code: 'loop_missing_result',
          message: `executeTools returned no result for call ${call.id} (${call.name})`,
        },
      },
  );
}

type AnsweredBatch = {
  /** What it was made from besides the results: the context's own (immutable) values. */
  readonly made: Pick<LoopContext, 'pendingCalls' | 'recentCalls' | 'limits'>;
  readonly answered: readonly LoopToolResult[];
  /** Each result's text: both the model's tool message and the stuck check's key. */
  readonly contents: readonly string[];
  readonly recentCalls: RecentCall[];
};

/**
 * Per batch of results: the isStuck guard and the recordToolResults action
 * both need it, for the same done event, and the texts and digests of large
 * results are not free.
 */
const answeredBatches = new WeakMap<readonly LoopToolResult[], AnsweredBatch>();

function answeredBatch(context: LoopContext, results: readonly LoopToolResult[]): AnsweredBatch {
  const known = answeredBatches.get(results);
  // Keyed by the results alone, so checked against the context it was made for.
  if (
    known !== undefined &&
    known.made.pendingCalls === context.pendingCalls &&
    known.made.recentCalls === context.recentCalls &&
    known.made.limits === context.limits
  )
    return known;
  const answered = answerCalls(context.pendingCalls, results);
  const contents = answered.map(toolResultContent);
  const batch = {
    made: {
      pendingCalls: context.pendingCalls,
      recentCalls: context.recentCalls,
      limits: context.limits,
    },
    answered,
    contents,
    recentCalls: recentCallsAfter(context, contents),
  };
  answeredBatches.set(results, batch);
  return batch;
}

/** The tool message's content: the same text the VirtualStore's `toolOutcomeContent` writes. */
export const toolResultContent: (result: LoopToolResult) => string = toolResultText;

/**
 * The stuck check's history after this batch, given each call's result text in
 * call order: only as long as the check looks back.
 */
function recentCallsAfter(context: LoopContext, contents: readonly string[]): RecentCall[] {
  const batch = context.pendingCalls.map((call, index) => ({
    tool: call.name,
    // Malformed arguments are compared as sent: the same typo twice is the same call.
    args: digest(
      call.parseError === undefined ? canonicalJsonText(call.arguments) : call.rawArguments,
    ),
    result: digest(contents[index] ?? ''),
  }));
  return [...context.recentCalls, ...batch].slice(-2 * context.limits.stuckRepeats);
}

/**
 * Why the last calls show a loop going nowhere, or null: the same call (tool
 * and canonical arguments) with the same result `stuckRepeats` times in a row,
 * or two such calls alternating for twice that many. A polling tool in the
 * window means waiting, not a loop.
 */
export function stuckReason(
  recent: readonly RecentCall[],
  limits: Pick<LoopLimits, 'stuckRepeats' | 'pollingTools'>,
): string | null {
  const repeats = limits.stuckRepeats;
  const polling = new Set(limits.pollingTools);
  const key = (call: RecentCall) => `${call.tool}\u0000${call.args}\u0000${call.result}`;
  const window = (size: number) => {
    const calls = recent.slice(-size);
    return calls.length === size && calls.every((call) => !polling.has(call.tool)) ? calls : null;
  };

  const run = window(repeats);
  const first = run?.[0];
  if (run && first && run.every((call) => key(call) === key(first)))
    return `${first.tool} was called ${repeats} times in a row with the same arguments and the same result`;

  const pingPong = window(2 * repeats);
  const [a, b] = pingPong ?? [];
  if (
    pingPong &&
    a &&
    b &&
    key(a) !== key(b) &&
    pingPong.every((call, index) => key(call) === key(index % 2 === 0 ? a : b))
  )
    return `${a.tool} and ${b.tool} alternated ${repeats} times each with the same arguments and the same results`;
  return null;
}

function stopMessage(context: LoopContext, reason: StopReason, cancelReason?: string): string {
  const { limits } = context;
  switch (reason) {
    case 'max_turns':
      return `the model asked for tools after its last allowed call (${context.turns} of ${limits.maxTurns} turns)`;
    case 'max_tool_calls':
      return `the model asked for ${context.pendingCalls.length} tool calls with ${context.toolCallCount} of ${limits.maxToolCalls} used`;
    case 'token_budget':
      return `${tokensUsed(context.usage)} of ${limits.tokenBudget} tokens used`;
    case 'timeout':
      return `the run exceeded its ${limits.timeoutMs} ms timeout during ${context.stage ?? 'observe'}`;
    case 'stuck':
      return stuckReason(context.recentCalls, limits) ?? 'the loop repeated itself';
    case 'cancelled':
      return `cancelled during ${context.stage ?? 'observe'}${cancelReason ? `: ${cancelReason}` : ''}`;
  }
}

/** A short, stable, non-cryptographic digest (cyrb53): enough to tell calls apart. */
function digest(text: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    h1 = Math.imul(h1 ^ code, 2654435761);
    h2 = Math.imul(h2 ^ code, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(16);
}
