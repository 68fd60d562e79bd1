/**
 * OBSERVE → ORIENT → JIT for one task, outside any machine: the transducer's
 * intent, asserted with the world facts; the context read back from the
 * kernel; the AgentConfig and the compiled prompt. The loop runs the same
 * steps as stages; `nerdloop explain-prompt` and `nerdloop route` print them.
 */
import type { FactInput, Kernel, Proof } from '../kernel/index.js';
import { stringValue } from '../kernel/index.js';
import {
  type Intent,
  intentToFact,
  type TransduceNote,
  type Transducer,
} from '../perception/index.js';
import type { CompiledPrompt, PromptCompiler } from './compiler/index.js';
import type { AgentConfig, ConfigFactory } from './config/index.js';
import { buildCompilationContext } from './context/index.js';

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

export async function prepareTask(
  parts: PrepareParts,
  task: string,
  options: { world?: readonly FactInput[]; signal?: AbortSignal } = {},
): Promise<PreparedTask> {
  const { intent, notes } = await parts.transducer.transduce(
    task,
    options.signal ? { signal: options.signal } : {},
  );
  parts.kernel.assert(intentToFact(intent));
  for (const fact of options.world ?? []) parts.kernel.assert(fact);
  const config = parts.configFactory.configFor(intent.id);
  const context = buildCompilationContext(parts.kernel, intent, { task, model: config.model });
  const prompt = parts.compiler.compile(context, { budget: config.promptBudget });
  const routing = parts.kernel.explain({
    predicate: 'persona',
    args: [stringValue(intent.id), { type: 'name', value: `/${config.persona}` }],
  });
  return { intent, notes, routing, config, prompt };
}
