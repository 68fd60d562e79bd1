/**
 * The six stage actors the loop machine invokes, built per run. Each one
 * parses what it resolves with through `loopStageOutputSchemas`, so a bad
 * output fails that stage (the machine trusts its actors). Every actor hands
 * XState's `signal` on, so a timeout or CANCEL aborts model requests and kills
 * commands instead of leaving them running. The routed AgentConfig steers the
 * rest of the run: the model call's temperature, and each tool call's persona,
 * policy and timeout.
 */
import { fromPromise } from 'xstate';
import type { z } from 'zod';
import {
  type CallModelInput,
  type Completion,
  type ExecuteToolsInput,
  type JitInput,
  type JitOutput,
  type LoopLimitsInit,
  type LoopStage,
  type LoopToolResult,
  loopStageOutputSchemas,
  type ObserveInput,
  type OrientInput,
  type RespondInput,
} from '../../../machines/loop.contracts.js';
import { type Clock, describeIssues, systemClock } from '../../core/index.js';
import type { FactInput, Kernel } from '../../kernel/index.js';
import type { ChatModel } from '../../llm/index.js';
import { type Intent, intentSchema, type Transducer } from '../../perception/index.js';
import {
  type AgentConfig,
  type CompilationContext,
  type ConfigFactory,
  orientIntent,
  type PromptCompiler,
  workspaceFacts,
} from '../../prompt/index.js';
import type { VirtualStore } from '../../store/index.js';
import { StageInputError, StageOutputError } from './errors.js';
import { runToolBatch } from './tools.js';

/** The real parts behind the loop's stages: OBSERVE, ORIENT, JIT, the model and the tools. */
export type LoopParts = {
  readonly kernel: Kernel;
  readonly store: VirtualStore;
  readonly model: ChatModel;
  readonly transducer: Transducer;
  readonly compiler: PromptCompiler;
  readonly configFactory: ConfigFactory;
};

export type StageParts = LoopParts & {
  /** The caller's own limits: each caps the AgentConfig's. */
  readonly limits: LoopLimitsInit;
  readonly toolConcurrency: number;
  /** Times each tool call's `toolTimeoutMs`; default: the system clock. */
  readonly clock?: Clock;
  /** The agent's own persona: every task is routed as this persona instead of by its verb. */
  readonly persona?: string;
};

/** What one run learned along the way, for its result and for later stages. */
export type RunState = {
  intent: Intent | null;
  orientation: Orientation | null;
  offered: ReadonlySet<string>;
  /** The intent facts this run's ORIENT added to the kernel: the Executor retracts them when the run ends. */
  readonly intentFacts: FactInput[];
};

export const newRunState = (): RunState => ({
  intent: null,
  orientation: null,
  offered: new Set(),
  intentFacts: [],
});

/**
 * ORIENT's output. A class so JIT can tell its own run's orientation from any
 * other value the machine might hand it, without a cast.
 */
export class Orientation {
  constructor(
    readonly intent: Intent,
    readonly config: AgentConfig,
    readonly context: CompilationContext,
  ) {}
}

const schemas = loopStageOutputSchemas;

function checked<Schema extends z.ZodType>(
  stage: LoopStage,
  schema: Schema,
  value: unknown,
): z.output<Schema> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = describeIssues(parsed.error.issues, '(output)');
  throw new StageOutputError(`${stage} returned an invalid output: ${problems}`, {
    details: { stage, issues: parsed.error.issues },
  });
}

/** This run's AgentConfig; the stages after ORIENT cannot run without it. */
function routedConfig(run: RunState, stage: LoopStage): AgentConfig {
  if (run.orientation === null)
    throw new StageInputError(`${stage} ran before this run's orient stage routed the task`);
  return run.orientation.config;
}

/** The caller's cap wins when it is tighter than the config's. */
const capped = (fromConfig: number, cap: number | undefined): number =>
  cap === undefined ? fromConfig : Math.min(fromConfig, cap);

/**
 * ORIENT, `prepareTask`'s steps split at the stage boundary: it asserts and
 * reads back the kernel (orientIntent), JIT compiles. The intent facts it
 * adds go into `run.intentFacts`, for the Executor to retract when the run
 * ends; once `signal` has aborted (the run is over) it asserts nothing.
 */
export async function orientRun(
  parts: StageParts,
  run: RunState,
  input: OrientInput,
  signal: AbortSignal,
): Promise<Orientation> {
  const intent = intentSchema.parse(input.intent);
  const world = await workspaceFacts(parts.store.workspace, { signal });
  // A run stopped while the workspace was read has ended, and retracted its
  // intent facts: asserting them now would leave them in the kernel for good.
  signal.throwIfAborted();
  const { config, context } = orientIntent(parts, intent, input.task, world, {
    ...(parts.persona === undefined ? {} : { persona: parts.persona }),
    onAsserted: (fact) => run.intentFacts.push(fact),
  });
  const orientation = new Orientation(intent, config, context);
  run.orientation = orientation;
  return orientation;
}

export function createStageActors(parts: StageParts, run: RunState) {
  return {
    observe: fromPromise<unknown, ObserveInput>(async ({ input, signal }) => {
      const { intent } = await parts.transducer.transduce(input.task, { signal });
      run.intent = intent;
      return checked('observe', schemas.observe, intent);
    }),

    orient: fromPromise<unknown, OrientInput>(async ({ input, signal }) =>
      checked('orient', schemas.orient, await orientRun(parts, run, input, signal)),
    ),

    jit: fromPromise<JitOutput, JitInput>(async ({ input }) => {
      const orientation = input.orientation;
      if (!(orientation instanceof Orientation))
        throw new StageInputError('jit got no orientation from this run');
      const { config, context } = orientation;
      const prompt = parts.compiler.compile(context, { budget: config.promptBudget });
      const output = checked('jit', schemas.jit, {
        systemPrompt: prompt.prompt,
        tools: config.tools,
        limits: {
          maxTurns: capped(config.maxTurns, parts.limits.maxTurns),
          maxToolCalls: capped(config.maxToolCalls, parts.limits.maxToolCalls),
          tokenBudget: capped(config.tokenBudget, parts.limits.tokenBudget),
        },
      });
      run.offered = new Set(output.tools);
      return output;
    }),

    callModel: fromPromise<Completion, CallModelInput>(async ({ input, signal }) => {
      const config = routedConfig(run, 'callModel');
      const offered = new Set(input.tools);
      const tools = parts.store.definitions().filter((tool) => offered.has(tool.name));
      // Not `config.model`: the shipped defaults always name one, and sending it
      // would override the model the ChatModel was built for (NERDLOOP_MODEL, --model).
      const completion = await parts.model.complete({
        messages: input.messages,
        tools,
        temperature: config.temperature,
        signal,
      });
      return checked('callModel', schemas.callModel, completion);
    }),

    executeTools: fromPromise<LoopToolResult[], ExecuteToolsInput>(async ({ input, signal }) => {
      const results = await runToolBatch(input.calls, {
        store: parts.store,
        offered: run.offered,
        config: routedConfig(run, 'executeTools'),
        clock: parts.clock ?? systemClock,
        concurrency: parts.toolConcurrency,
        signal,
      });
      return checked('executeTools', schemas.executeTools, results);
    }),

    respond: fromPromise<string, RespondInput>(async ({ input }) =>
      checked('respond', schemas.respond, input.text),
    ),
  };
}
