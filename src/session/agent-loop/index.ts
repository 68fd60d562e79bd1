/**
 * SubAgents that run the universal loop: a TaskFunction that gives each task
 * to an Executor over the agent's own VirtualStore (judged by the agent's
 * persona) and carries the agent's history in and the new exchange out. With
 * it, `runtime.run(...)` supervises real agent work: restarts, kills and
 * cancellation reach the model call and the tools through the task's signal.
 */

import type { AgentKind, Task } from '../../../machines/contracts.js';
import type { ChatModel } from '../../llm/index.js';
import type { ChatMessage } from '../../llm/port.js';
import { createTransducer, type Intent, intentToFact } from '../../perception/index.js';
import {
  type ConfigFile,
  createConfigFactory,
  createPromptCompiler,
  type PromptAtom,
  type PromptCompiler,
} from '../../prompt/index.js';
import { loadShippedRules } from '../../rules/index.js';
import { createVirtualStore } from '../../store/index.js';
import { createExecutor } from '../executor/index.js';
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
};

/** A TaskFunction whose tasks run through the loop; a run that does not end `done` fails the task. */
export function createLoopTaskFunction(options: LoopTaskOptions): TaskFunction {
  // One compiler for every task: its atom table and prompt cache are shared;
  // made on first use so bad atoms still fail the task that meets them.
  let compiler: PromptCompiler | undefined;
  return async ({ task, persona, history }, { signal }) => {
    compiler ??= createPromptCompiler({ atoms: options.atoms });
    // Each task gets its own kernel: routing facts of one agent's intents must
    // not leak into another's decisions.
    const kernel = await loadShippedRules([...(options.rules ?? [])]);
    const store = await createVirtualStore({ root: options.workspace, persona, kernel });
    const executor = createExecutor({
      kernel,
      store,
      model: options.model,
      transducer: createTransducer(),
      compiler,
      configFactory: createConfigFactory(kernel, options.configLayers),
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
    try {
      const result = await executor.process(task.prompt, { signal });
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
      executor.close();
      store.close();
    }
  };
}

/**
 * Routes an intent with the shipped rules (plus `rules`) and runs its task in
 * a new SubAgent of that persona; resolves with how the task ended.
 */
export async function spawnForIntent(
  runtime: Runtime,
  intent: Intent,
  task: Task,
  options: {
    kind?: AgentKind;
    id?: string;
    under?: string;
    rules?: readonly string[];
    configLayers: readonly ConfigFile[];
  },
): Promise<TaskOutcome> {
  const kernel = await loadShippedRules([...(options.rules ?? [])]);
  kernel.assert(intentToFact(intent));
  const { persona } = createConfigFactory(kernel, options.configLayers).configFor(intent.id);
  return runtime.run(
    {
      type: 'agent',
      id: options.id ?? intent.id,
      persona,
      kind: options.kind ?? 'ephemeral',
      task,
    },
    options.under ? { under: options.under } : {},
  );
}
