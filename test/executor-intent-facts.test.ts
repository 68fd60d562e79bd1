/**
 * Each run of an Executor asserts its intent (`user_intent`, and with the
 * agent's own persona `intent_persona`) and takes back exactly those facts
 * when it ends, however it ends: a long-lived agent's kernel does not grow
 * with every task, and a fact that was there before the run stays.
 */
import { describe, expect, it } from 'vitest';
import { sequentialIds } from '../src/core/index.js';
import { type Kernel, show, stringValue } from '../src/kernel/index.js';
import { type ChatModel, createScriptedModel, LlmUnavailable } from '../src/llm/index.js';
import { createTransducer, intentToFact } from '../src/perception/index.js';
import {
  type ConfigFactory,
  createConfigFactory,
  createPromptCompiler,
  loadAtoms,
  loadConfigLayers,
  SHIPPED_ATOMS_DIR,
  UnroutedIntentError,
} from '../src/prompt/index.js';
import { loadShippedRules } from '../src/rules/index.js';
import { createExecutor, type ExecutorOptions } from '../src/session/executor/index.js';
import { newRunState, orientRun } from '../src/session/executor/stages.js';
import { createVirtualStore } from '../src/store/index.js';
import { afterTest } from './support/cleanup.js';
import { demoWorkspace } from './support/loop-harness.js';

const FIX = 'fix the failing test in src/pricing.js';
const REVIEW = 'review this project';

/** An Executor over the shipped rules, atoms and config, with the Executor's own `persona` if given. */
async function executorOver(
  model: ChatModel,
  options: Pick<ExecutorOptions, 'persona' | 'limits'> & {
    readonly wrapConfig?: (factory: ConfigFactory) => ConfigFactory;
  } = {},
) {
  const { wrapConfig = (factory) => factory, ...rest } = options;
  const kernel = await loadShippedRules();
  const store = await createVirtualStore({ root: await demoWorkspace(), persona: 'coder', kernel });
  const { atoms } = await loadAtoms([SHIPPED_ATOMS_DIR]);
  const executor = createExecutor({
    ...rest,
    kernel,
    store,
    model,
    transducer: createTransducer({ ids: sequentialIds() }),
    compiler: createPromptCompiler({ atoms }),
    configFactory: wrapConfig(createConfigFactory(kernel, await loadConfigLayers())),
    ids: sequentialIds(),
  });
  afterTest(() => {
    executor.close();
    store.close();
  });
  return { executor, kernel };
}

/** The kernel's intent facts, as text, sorted. */
const intentFacts = (kernel: Kernel): string[] =>
  ['user_intent', 'intent_persona']
    .flatMap((predicate) =>
      kernel.facts(predicate).map((args) => `${predicate}(${args.map(show).join(', ')})`),
    )
    .sort();

describe("an Executor's runs and the kernel's intent facts", () => {
  it('are asserted for the run, retracted after it, and routing still works run after run', async () => {
    const during: string[][] = [];
    let kernelOf: Kernel | undefined;
    const answer = (text: string) => () => {
      if (kernelOf) during.push(intentFacts(kernelOf));
      return { text };
    };
    const model = createScriptedModel([answer('one'), answer('two'), answer('three')]);
    const { executor, kernel } = await executorOver(model);
    kernelOf = kernel;
    // The first run's intent, asserted before it by someone else: it must stay.
    const first = createTransducer({ ids: sequentialIds() }).transduceSync(FIX);
    kernel.assert(intentToFact(first));
    const before = intentFacts(kernel);

    const results = [
      await executor.process(FIX),
      await executor.process(REVIEW),
      await executor.process(FIX),
    ];

    expect(results.map((result) => [result.status, result.persona])).toEqual([
      ['done', 'coder'],
      ['done', 'reviewer'],
      ['done', 'coder'],
    ]);
    expect(results[0]?.intent?.id).toBe(first.id);
    // During each run the kernel held that run's intent (the first's was there already).
    expect(during.map((facts) => facts.length - before.length)).toEqual([0, 1, 1]);
    expect(intentFacts(kernel)).toEqual(before);
  });

  it("with the agent's own persona, takes back intent_persona too", async () => {
    const during: string[][] = [];
    let kernelOf: Kernel | undefined;
    const answer = (text: string) => () => {
      if (kernelOf)
        during.push(kernelOf.facts('intent_persona').map((args) => args.map(show).join(', ')));
      return { text };
    };
    const model = createScriptedModel([answer('one'), answer('two'), answer('three')]);
    const { executor, kernel } = await executorOver(model, { persona: 'reviewer' });
    kernelOf = kernel;
    const before = intentFacts(kernel);

    const results = [
      await executor.process(FIX),
      await executor.process(REVIEW),
      await executor.process(FIX),
    ];

    // Every task ran as the agent's persona, a fix task too: intent_persona routed it.
    expect(results.map((result) => [result.status, result.persona])).toEqual([
      ['done', 'reviewer'],
      ['done', 'reviewer'],
      ['done', 'reviewer'],
    ]);
    expect(during).toEqual(
      results.map((result) => [`${show(stringValue(result.intent?.id ?? ''))}, /reviewer`]),
    );
    expect(intentFacts(kernel)).toEqual(before);
  });

  it('are retracted when a run is stopped or fails, and a later run still routes', async () => {
    const model = createScriptedModel([
      // Stopped: a tool call on the last turn allowed.
      { toolCalls: [{ name: 'read_file', arguments: { path: 'src/pricing.js' } }] },
      // Failed at the model call.
      { error: new LlmUnavailable('the model is down') },
      { text: 'reviewed' },
    ]);
    let refuse = false;
    const { executor, kernel } = await executorOver(model, {
      persona: 'tester',
      limits: { maxTurns: 1 },
      // Failed at ORIENT, after the intent was asserted: routing throws.
      wrapConfig: (shipped) => ({
        configFor: (intentId) => {
          if (refuse) throw new UnroutedIntentError(`no persona for ${intentId}`);
          return shipped.configFor(intentId);
        },
      }),
    });
    const before = intentFacts(kernel);

    const stopped = await executor.process(FIX);
    expect(stopped).toMatchObject({ status: 'stopped', stoppedBy: 'max_turns' });
    expect(intentFacts(kernel)).toEqual(before);

    const failed = await executor.process(FIX);
    expect(failed).toMatchObject({ status: 'failed', error: { stage: 'callModel' } });
    expect(intentFacts(kernel)).toEqual(before);

    refuse = true;
    const unrouted = await executor.process(FIX);
    refuse = false;
    expect(unrouted).toMatchObject({ status: 'failed', error: { stage: 'orient' } });
    expect(intentFacts(kernel)).toEqual(before);

    const later = await executor.process(REVIEW);
    expect(later).toMatchObject({ status: 'done', persona: 'tester', response: 'reviewed' });
    expect(intentFacts(kernel)).toEqual(before);
  });
});

describe('ORIENT of a run stopped while it reads the workspace', () => {
  it('asserts no intent facts: the run has ended and will not take them back', async () => {
    const kernel = await loadShippedRules();
    const store = await createVirtualStore({
      root: await demoWorkspace(),
      persona: 'coder',
      kernel,
    });
    afterTest(() => store.close());
    const { atoms } = await loadAtoms([SHIPPED_ATOMS_DIR]);
    const parts = {
      kernel,
      store,
      model: createScriptedModel([]),
      transducer: createTransducer({ ids: sequentialIds() }),
      compiler: createPromptCompiler({ atoms }),
      configFactory: createConfigFactory(kernel, await loadConfigLayers()),
      limits: {},
      toolConcurrency: 1,
      persona: 'reviewer',
    };
    const intent = createTransducer({ ids: sequentialIds() }).transduceSync(FIX);
    const run = newRunState();
    const controller = new AbortController();
    const before = intentFacts(kernel);

    // Aborted while the workspace is read, as when the run times out or is cancelled then.
    const orienting = orientRun(parts, run, { task: FIX, intent }, controller.signal);
    controller.abort('the run ended');

    await expect(
      orienting.then(
        () => 'oriented',
        () => 'refused',
      ),
    ).resolves.toBe('refused');
    expect(run.intentFacts).toEqual([]);
    expect(intentFacts(kernel)).toEqual(before);
  });
});
