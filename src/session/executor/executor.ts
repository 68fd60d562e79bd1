/**
 * The Executor: runs the loop machine for one task at a time with the real
 * stages, and keeps the conversation between tasks (a persistent agent).
 */
import { type Observable, Subject, Subscription } from 'rxjs';
import { createActor } from 'xstate';
import {
  type LoopLimitsInit,
  type LoopOutput,
  loopLimitsSchema,
} from '../../../machines/loop.contracts.js';
import { loopClockActions, loopMachine } from '../../../machines/loop.machine.js';
import {
  type Clock,
  deadline,
  describeUnknownError,
  type IdGenerator,
  randomIds,
  systemClock,
} from '../../core/index.js';
import { type InspectionObserver, inspectWith } from '../../events/index.js';
import type { ChatMessage } from '../../llm/index.js';
// Deep import, as history.ts does for the default: the floor a config's `historyBudget` has.
import { MIN_HISTORY_BUDGET } from '../../prompt/config/schema.js';
import { ExecutorBusyError, InvalidExecutorOptionsError, LoopCrashedError } from './errors.js';
import type { ExecutorEvent } from './events.js';
import {
  createHistoryCompressor,
  DEFAULT_HISTORY_BUDGET,
  HistoryCompressionTimeoutError,
  type HistoryCompressor,
  historyAfterRun,
} from './history.js';
import { type ExecutionResult, toExecutionResult } from './result.js';
import { createStageActors, type LoopParts, newRunState } from './stages.js';
import { DEFAULT_TOOL_CONCURRENCY } from './tools.js';

export type ExecutorOptions = LoopParts & {
  /** The machine's clock (timeout, stage durations); default: the system clock. */
  readonly clock?: Clock;
  /** Names each run's actor; default: random ids. */
  readonly ids?: IdGenerator;
  /**
   * The loop's limits. `timeoutMs`, `stuckRepeats` and `pollingTools` apply as
   * given; `maxTurns`, `maxToolCalls` and `tokenBudget` cap the AgentConfig's.
   */
  readonly limits?: LoopLimitsInit;
  /** Tool calls of one batch run at once, at most (default 4). */
  readonly toolConcurrency?: number;
  /**
   * What a persistent conversation keeps between runs, given the AgentConfig's
   * `historyBudget`; default: `createHistoryCompressor()` (the oldest turns
   * summarised by the model, or dropped offline). `keepWholeHistory` keeps all.
   * Each compression gets a signal that aborts with the run's signal or once
   * it has taken the run's `timeoutMs` (on `clock`); it should settle then.
   */
  readonly compressHistory?: HistoryCompressor;
  /** The conversation to continue, e.g. a restored agent's. */
  readonly history?: readonly ChatMessage[];
  /**
   * The budget (tokens) `history` is fitted to before the first run, when no
   * AgentConfig has been routed yet; default `DEFAULT_HISTORY_BUDGET`. Pass
   * the agent's persona's (`settingsFor(layers, persona).historyBudget`).
   * After each run the routed AgentConfig's `historyBudget` applies instead.
   * At least `MIN_HISTORY_BUDGET` (256), as in a config.
   */
  readonly historyBudget?: number;
  /**
   * Whether the history is compressed after each run (default true), ready
   * for the next `process`. False for an Executor that runs one task and is
   * dropped (`createLoopTaskFunction` makes one per task): the compression,
   * perhaps a summary call, would be thrown away. `history` is then the
   * whole conversation; a handed-in one is still fitted before the first run.
   */
  readonly compressAfterRun?: boolean;
  /**
   * Observers of each run's loop actor, as XState's `inspect` option takes
   * them: the Stately inspector's `inspect`, for one.
   */
  readonly inspect?: ReadonlyArray<InspectionObserver>;
  /**
   * The agent's own persona. Without it each task is routed by its verb (fix →
   * coder, review → reviewer); with it every task runs as this persona, so a
   * task's wording cannot widen what the agent may do.
   */
  readonly persona?: string;
};

/** The loop's own timeout for a run whose limits set none; it bounds each history compression too. */
const DEFAULT_RUN_TIMEOUT_MS = loopLimitsSchema.parse({}).timeoutMs;

export type ProcessOptions = {
  /** Aborting it sends CANCEL to the loop: the run ends `stopped` / `cancelled`. */
  readonly signal?: AbortSignal;
};

export class Executor {
  /** Loop and store events of every run, while the run lasts. */
  readonly events$: Observable<ExecutorEvent>;
  readonly #events = new Subject<ExecutorEvent>();
  readonly #options: ExecutorOptions;
  readonly #clock: Clock;
  readonly #ids: IdGenerator;
  readonly #compress: HistoryCompressor;
  readonly #toolConcurrency: number;
  readonly #historyBudget: number;
  #history: readonly ChatMessage[];
  /** The constructor's `history` has not been fitted to a budget yet. */
  #historyGiven: boolean;
  #running = false;

  constructor(options: ExecutorOptions) {
    const concurrency = options.toolConcurrency ?? DEFAULT_TOOL_CONCURRENCY;
    if (!Number.isInteger(concurrency) || concurrency < 1)
      throw new InvalidExecutorOptionsError(
        `toolConcurrency must be a positive integer, not ${concurrency}`,
      );
    const historyBudget = options.historyBudget ?? DEFAULT_HISTORY_BUDGET;
    if (!Number.isInteger(historyBudget) || historyBudget < MIN_HISTORY_BUDGET)
      throw new InvalidExecutorOptionsError(
        `historyBudget must be an integer of at least ${MIN_HISTORY_BUDGET}, not ${historyBudget}`,
      );
    this.#historyBudget = historyBudget;
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#ids = options.ids ?? randomIds;
    this.#compress = options.compressHistory ?? createHistoryCompressor();
    this.#toolConcurrency = concurrency;
    this.#history = options.history ?? [];
    this.#historyGiven = this.#history.length > 0;
    this.events$ = this.#events.asObservable();
  }

  /** The conversation so far, without system prompts. */
  get history(): readonly ChatMessage[] {
    return this.#history;
  }

  /** Runs one task to its end. Rejects only when the loop itself breaks or a run is already going. */
  async process(task: string, options: ProcessOptions = {}): Promise<ExecutionResult> {
    if (this.#running)
      throw new ExecutorBusyError('this Executor is already processing a task; await it first');
    this.#running = true;
    const opts = this.#options;
    if (this.#historyGiven) {
      // A conversation handed in (a restored or long-lived agent's) can be over
      // budget before any run here; no config is routed yet, so the Executor's budget.
      this.#historyGiven = false;
      try {
        this.#history = await this.#fitHistory(this.#history, this.#historyBudget, options.signal);
      } catch (error) {
        this.#running = false;
        throw error;
      }
    }
    const run = newRunState();
    const limits = opts.limits ?? {};
    const logic = loopMachine.provide({
      actors: createStageActors({ ...opts, limits, toolConcurrency: this.#toolConcurrency }, run),
      actions: loopClockActions(() => this.#clock.now()),
    });
    const inspectors = opts.inspect ?? [];
    const actor = createActor(logic, {
      id: this.#ids('run'),
      clock: this.#clock,
      input: { task, history: [...this.#history], limits },
      ...(inspectors.length > 0 ? { inspect: inspectWith(inspectors) } : {}),
    });
    const started = this.#clock.now();
    const subscriptions = new Subscription();
    subscriptions.add(opts.store.events$.subscribe((event) => this.#events.next(event)));
    const emitted = actor.on('*', (event) => this.#events.next(event));
    subscriptions.add(() => emitted.unsubscribe());
    const { signal } = options;
    const cancel = () =>
      actor.send({ type: 'CANCEL', reason: describeUnknownError(signal?.reason) });
    try {
      const output = await new Promise<LoopOutput>((resolve, reject) => {
        // An error observer is required: without one a root actor's error kills the process.
        const observer = actor.subscribe({
          complete: () => {
            const { output: result } = actor.getSnapshot();
            if (result) resolve(result);
            else reject(new LoopCrashedError('the loop ended without an output'));
          },
          error: (error) =>
            reject(
              new LoopCrashedError(`the loop crashed: ${describeUnknownError(error)}`, {
                cause: error,
              }),
            ),
        });
        subscriptions.add(() => observer.unsubscribe());
        actor.start();
        if (signal?.aborted) cancel();
        else signal?.addEventListener('abort', cancel, { once: true });
      });
      // The run's duration is the loop's: like the summary call's tokens (an
      // `llm.usage` event, not in `usage`), fitting the history is not in it.
      const durationMs = this.#clock.now() - started;
      const carried = historyAfterRun(output.messages);
      // Before the result is returned, so the next `process` (refused until
      // then) starts from the compressed history. The default compressor never
      // throws: a failed or timed-out summary call becomes a truncation note.
      this.#history =
        opts.compressAfterRun === false
          ? carried
          : await this.#fitHistory(
              carried,
              // No orientation: the run ended before ORIENT, so no config named a budget.
              run.orientation?.config.historyBudget ?? this.#historyBudget,
              signal,
            );
      return toExecutionResult(output, {
        intent: run.intent,
        persona: run.orientation?.config.persona ?? null,
        durationMs,
      });
    } finally {
      signal?.removeEventListener('abort', cancel);
      subscriptions.unsubscribe();
      // Stopped first: a stage still running then has an aborted signal, and
      // ORIENT asserts nothing more once its signal has aborted.
      actor.stop();
      try {
        // The run's intent is no use once it has ended; left in, a long-lived
        // agent's kernel would grow with every task and route ever slower.
        opts.kernel.retractAll(run.intentFacts);
      } finally {
        this.#running = false;
      }
    }
  }

  /**
   * Fits `history` to `budgetTokens` with the compressor, bounded like a run:
   * its signal aborts with `signal` or once the run's `timeoutMs` (the loop's
   * default when the limits set none) has passed on the Executor's clock.
   */
  async #fitHistory(
    history: readonly ChatMessage[],
    budgetTokens: number,
    signal: AbortSignal | undefined,
  ): Promise<readonly ChatMessage[]> {
    const timeoutMs = this.#options.limits?.timeoutMs ?? DEFAULT_RUN_TIMEOUT_MS;
    const bounded = deadline({
      parent: signal,
      ms: timeoutMs,
      clock: this.#clock,
      reason: () =>
        new HistoryCompressionTimeoutError(
          `compressing the history took longer than the run's ${timeoutMs} ms timeout`,
          { details: { timeoutMs } },
        ),
    });
    bounded.start();
    try {
      return await this.#compress(history, {
        budgetTokens,
        model: this.#options.model,
        signal: bounded.signal,
        onUsage: (usage) => this.#events.next({ type: 'llm.usage', ...usage }),
      });
    } finally {
      bounded.dispose();
    }
  }

  /** Completes `events$`; the Executor must not be used afterwards. */
  close(): void {
    this.#events.complete();
  }
}

export const createExecutor = (options: ExecutorOptions): Executor => new Executor(options);
