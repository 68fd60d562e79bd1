/**
 * OBSERVE → ORIENT → JIT for one task, outside any machine: the transducer's
 * intent, asserted with the world facts; the context read back from the
 * kernel; the AgentConfig and the compiled prompt. The loop runs the same
 * steps as stages; `nerdloop explain-prompt` and `nerdloop route` print them.
 */
import type { FactInput, Kernel, Proof } from '../kernel/index.js';
import { nameValue, stringValue } from '../kernel/index.js';
import {
  type Intent,
  intentToFact,
  type TransduceNote,
  type Transducer,
} from '../perception/index.js';
import type { CompilationContext, CompiledPrompt, PromptCompiler } from './compiler/index.js';
import type { AgentConfig, ConfigFactory } from './config/index.js';
import { buildCompilationContext } from './context/index.js';
import { replaceWorldFacts } from './world.js';

export type PreparedTask = {
  readonly intent: Intent;
  readonly notes: readonly TransduceNote[];
  /** Why the kernel chose this persona. */
  readonly routing: Proof | null;
  readonly config: AgentConfig;
  readonly prompt: CompiledPrompt;
};

export type PrepareParts = {
  readonly kernel: Kernel;
  readonly transducer: Transducer;
  readonly compiler: PromptCompiler;
  readonly configFactory: ConfigFactory;
};

export type OrientOptions = {
  /** The agent's own persona: asserted as `intent_persona`, so the rules route by it instead of by the verb. */
  readonly persona?: string;
  /**
   * Told each intent fact (`user_intent`, `intent_persona`) this call adds to
   * the kernel, as it adds it; not one the kernel already held. A caller that
   * takes its intent back afterwards (the Executor, when a run ends) retracts
   * exactly these, and learns of them even when routing then throws.
   */
  readonly onAsserted?: (fact: FactInput) => void;
};

/**
 * ORIENT: the intent and the world facts go into the kernel; the AgentConfig
 * and the compilation context are read back. The loop's orient stage and
 * `prepareTask` both run exactly this. The world replaces the one the last
 * ORIENT in this kernel asserted, so a file deleted since is no longer seen.
 * The intent facts stay: `prepareTask` leaves them for `explain`, and the
 * Executor retracts its run's (`onAsserted`) when the run ends.
 */
export function orientIntent(
  parts: Pick<PrepareParts, 'kernel' | 'configFactory'>,
  intent: Intent,
  task: string,
  world: readonly FactInput[],
  options: OrientOptions = {},
): { config: AgentConfig; context: CompilationContext } {
  const assert = (fact: FactInput) => {
    if (parts.kernel.assert(fact)) options.onAsserted?.(fact);
  };
  assert(intentToFact(intent));
  if (options.persona !== undefined)
    assert({
      predicate: 'intent_persona',
      args: [stringValue(intent.id), nameValue(`/${options.persona}`)],
    });
  replaceWorldFacts(parts.kernel, world);
  const config = parts.configFactory.configFor(intent.id);
  const context = buildCompilationContext(parts.kernel, intent, { task, model: config.model });
  return { config, context };
}

export async function prepareTask(
  parts: PrepareParts,
  task: string,
  options: { world?: readonly FactInput[]; signal?: AbortSignal } = {},
): Promise<PreparedTask> {
  const { intent, notes } = await parts.transducer.transduce(
    task,
    options.signal ? { signal: options.signal } : {},
  );
  const { config, context } = orientIntent(parts, intent, task, options.world ?? []);
  const prompt = parts.compiler.compile(context, { budget: config.promptBudget });
  const routing = parts.kernel.explain({
    predicate: 'persona',
    args: [stringValue(intent.id), { type: 'name', value: `/${config.persona}` }],
  });
  return { intent, notes, routing, config, prompt };
}
