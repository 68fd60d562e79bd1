/**
 * SubAgents that run the universal loop: a TaskFunction that gives each task
 * to an Executor over the agent's own VirtualStore (judged by the agent's
 * persona) and carries the agent's history in and the new exchange out. With
 * it, `runtime.run(...)` supervises real agent work: restarts, kills and
 * cancellation reach the model call and the tools through the task's signal,
 * the loop's events go on the runtime's stream under the agent's path, and the
 * agent may hand sub-tasks to sub-agents with the `delegate` tool.
 */

import type { AgentKind, Task } from '../../../machines/contracts.js';
import type { Clock } from '../../core/index.js';
import type { InspectionObserver } from '../../events/index.js';
import { type BoundsMode, formatPosition, type Kernel } from '../../kernel/index.js';
import type { ChatMessage, ChatModel } from '../../llm/index.js';
import { createTransducer, type Intent, intentToFact } from '../../perception/index.js';
import {
  type ConfigFactory,
  type ConfigFile,
  createConfigFactory,
  createPromptCompiler,
  type PromptAtom,
  type PromptCompiler,
  settingsFor,
} from '../../prompt/index.js';
import { loadShippedRules } from '../../rules/index.js';
import {
  type ApprovalHook,
  createVirtualStore,
  type StoreModeInit,
  storeModeSchema,
  tightenMode,
} from '../../store/index.js';
import { createDelegateTool, DEFAULT_MAX_DELEGATION_DEPTH } from '../delegate/index.js';
import { createExecutor, type ExecutionResult } from '../executor/index.js';
import type { Runtime, TaskOutcome } from '../runtime.js';
import { TaskFailedError, type TaskFunction } from '../task-runner.js';

export type LoopTaskOptions = {
  /** The workspace every agent works in. */
  readonly workspace: string;
  readonly model: ChatModel;
  readonly atoms: readonly PromptAtom[];
  readonly configLayers: readonly ConfigFile[];
  /** Extra rule files loaded with the shipped ones. */
  readonly rules?: readonly string[];
  /**
   * What a fact or derived tuple outside its declared `bound` does in those
   * rules (default `enforce`: an error). With `warn`, each one is a
   * `kernel.warning` event on the runtime's stream under the agent's path.
   */
  readonly bounds?: BoundsMode;
  /** Every agent's store mode (sub-agents' too); each persona's config can only tighten it. */
  readonly mode?: StoreModeInit;
  /** Asked when the approval policy wants a human (see VirtualStoreOptions.onApprovalRequest). */
  readonly onApprovalRequest?: ApprovalHook;
  /**
   * How many levels of sub-agents may be made with the `delegate` tool
   * (default 2: an agent's sub-agent may delegate once more; 0: no delegation).
   */
  readonly maxDelegationDepth?: number;
  /** Observers of every loop actor (see ExecutorOptions.inspect). */
  readonly inspect?: readonly InspectionObserver[];
  /** Told how each agent's run ended, before the task settles: the whole result, not only the answer. */
  readonly onExecution?: (agentPath: string, result: ExecutionResult) => void;
  readonly clock?: Clock;
};

/** A TaskFunction whose tasks run through the loop; a run that does not end `done` fails the task. */
export function createLoopTaskFunction(options: LoopTaskOptions): TaskFunction {
  // One compiler for every task: its atom table and prompt cache are shared;
  // made on first use so bad atoms still fail the task that meets them.
  let compiler: PromptCompiler | undefined;
  const maxDepth = options.maxDelegationDepth ?? DEFAULT_MAX_DELEGATION_DEPTH;
  return async ({ task, persona, history, agentPath }, services) => {
    compiler ??= createPromptCompiler({ atoms: options.atoms });
    // Each task gets its own kernel: routing facts of one agent's intents must
    // not leak into another's decisions.
    const kernel = await loadShippedRules(
      [...(options.rules ?? [])],
      options.bounds ? { bounds: options.bounds } : {},
    );
    const transducer = createTransducer();
    const configFactory = createConfigFactory(kernel, options.configLayers);
    let delegated = 0;
    const delegateTool =
      services.delegationDepth < maxDepth
        ? createDelegateTool({
            route: (text) => routePersona(kernel, configFactory, transducer.transduceSync(text)),
            delegate: services.delegate,
            nextTaskId: () => `${task.id}.${++delegated}`,
          })
        : null;
    const store = await createVirtualStore({
      root: options.workspace,
      persona,
      kernel,
      mode: tightenMode(storeModeSchema.parse(options.mode ?? {}), services.inherited?.mode),
      ...(services.inherited ? { delegators: services.inherited.personas } : {}),
      ...(options.onApprovalRequest ? { onApprovalRequest: options.onApprovalRequest } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
      ...(delegateTool ? { extraTools: [delegateTool] } : {}),
    });
    const executor = createExecutor({
      kernel,
      store,
      model: options.model,
      transducer,
      compiler,
      configFactory,
      // The agent's persona was chosen when it was spawned (by routing, or by a
      // delegator the constitution judged): its tasks run as that persona.
      persona,
      // The agent's history is fitted to its persona's budget before the run;
      // a compression after it would be thrown away with this Executor.
      historyBudget: settingsFor(options.configLayers, persona).historyBudget,
      compressAfterRun: false,
      ...(options.inspect ? { inspect: options.inspect } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
      history: history.flatMap((entry): ChatMessage[] =>
        entry.role === 'user' || entry.role === 'assistant'
          ? [
              entry.role === 'user'
                ? { role: 'user', content: entry.content }
                : { role: 'assistant', content: entry.content },
            ]
          : [],
      ),
    });
    const reporting = executor.events$.subscribe((event) => services.publish(event));
    // warnings$ replays what loading raised, so none is lost before this subscribes.
    const warnings = kernel.warnings$.subscribe((warning) =>
      services.publish({
        type: 'kernel.warning',
        code: warning.code,
        message: warning.message,
        predicate: warning.predicate,
        source: warning.at ? formatPosition(warning.at) : null,
      }),
    );

    try {
      const result = await executor.process(task.prompt, { signal: services.signal });
      options.onExecution?.(agentPath, result);
      if (result.status !== 'done' || result.response === null) {
        const why =
          result.stoppedBy ??
          (result.error ? `${result.error.stage}: ${result.error.message}` : result.status);
        throw new TaskFailedError(
          `the loop ended ${result.status} (${why})`,
          result.stoppedBy === 'cancelled'
            ? 'cancelled'
            : result.stoppedBy === 'max_turns'
              ? 'max_turns'
              : 'task_error',
        );
      }
      return {
        result: result.response,
        tokens: result.usage.promptTokens + result.usage.completionTokens,
        turns: result.turns,
        messages: [{ role: 'assistant', content: result.response }],
      };
    } finally {
      warnings.unsubscribe();
      reporting.unsubscribe();
      executor.close();
      store.close();
    }
  };
}

/** The persona the rules route an intent to; the kernel is left as it was. */
function routePersona(kernel: Kernel, configFactory: ConfigFactory, intent: Intent): string {
  return kernel.withFacts([intentToFact(intent)], () => configFactory.configFor(intent.id).persona);
}

export type SpawnForIntentOptions = {
  kind?: AgentKind;
  /** The agent's id; default: the intent's id. */
  id?: string;
  /** A nested supervisor's path to spawn under; default: the root. */
  under?: string;
};

/** Routes intents with the rules and runs each one's task in a new SubAgent of the routed persona. */
export type IntentSpawner = {
  spawnForIntent(intent: Intent, task: Task, options?: SpawnForIntentOptions): Promise<TaskOutcome>;
};

/**
 * A spawner over `runtime` that loads the shipped rules (plus `rules`) once
 * and routes each intent with them; the kernel is left as it was after each.
 */
export async function createIntentSpawner(
  runtime: Runtime,
  options: { rules?: readonly string[]; configLayers: readonly ConfigFile[] },
): Promise<IntentSpawner> {
  const kernel = await loadShippedRules([...(options.rules ?? [])]);
  const configFactory = createConfigFactory(kernel, options.configLayers);
  return {
    spawnForIntent(intent, task, spawn = {}) {
      const persona = routePersona(kernel, configFactory, intent);
      return runtime.run(
        {
          type: 'agent',
          id: spawn.id ?? intent.id,
          persona,
          kind: spawn.kind ?? 'ephemeral',
          task,
        },
        spawn.under ? { under: spawn.under } : {},
      );
    },
  };
}

/**
 * One intent, without keeping a spawner: routes it with the shipped rules
 * (plus `rules`) and runs its task in a new SubAgent of that persona;
 * resolves with how the task ended.
 */
export async function spawnForIntent(
  runtime: Runtime,
  intent: Intent,
  task: Task,
  options: SpawnForIntentOptions & {
    rules?: readonly string[];
    configLayers: readonly ConfigFile[];
  },
): Promise<TaskOutcome> {
  const { rules, configLayers, ...spawn } = options;
  const spawner = await createIntentSpawner(runtime, {
    configLayers,
    ...(rules ? { rules } : {}),
  });
  return spawner.spawnForIntent(intent, task, spawn);
}
