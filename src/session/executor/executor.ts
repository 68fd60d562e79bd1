/**
 * The Executor: runs the loop machine for one task at a time with the real
 * stages, and keeps the conversation between tasks (a persistent agent).
 */
import { type Observable, Subject, Subscription } from 'rxjs';
import { createActor } from 'xstate';
import type { LoopLimitsInit, LoopOutput } from '../../../machines/loop.contracts.js';
import { loopClockActions, loopMachine } from '../../../machines/loop.machine.js';
import {
  type Clock,
  describeUnknownError,
  type IdGenerator,
  randomIds,
  systemClock,
} from '../../core/index.js';
import { type InspectionObserver, inspectWith } from '../../events/index.js';
import type { ChatMessage } from '../../llm/index.js';
import { ExecutorBusyError, InvalidExecutorOptionsError, LoopCrashedError } from './errors.js';
import type { ExecutorEvent } from './events.js';
import {
  createHistoryCompressor,
  DEFAULT_HISTORY_BUDGET,
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
   */
  readonly compressHistory?: HistoryCompressor;
  /** The conversation to continue, e.g. a restored agent's. */
  readonly history?: readonly ChatMessage[];
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
      // budget before any run here; no config is routed yet, so the default budget.
      this.#historyGiven = false;
      try {
        this.#history = await this.#compress(this.#history, {
          budgetTokens: DEFAULT_HISTORY_BUDGET,
          model: opts.model,
          signal: options.signal,
          onUsage: (usage) => this.#events.next({ type: 'llm.usage', ...usage }),
        });
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
      // Before the result is returned, so the next `process` (refused until
      // then) starts from the compressed history. The default compressor never
      // throws: a failed summary call becomes a truncation note.
      this.#history = await this.#compress(historyAfterRun(output.messages), {
        // No orientation: the run ended before ORIENT, so no config named a budget.
        budgetTokens: run.orientation?.config.historyBudget ?? DEFAULT_HISTORY_BUDGET,
        model: opts.model,
        signal,
        onUsage: (usage) => this.#events.next({ type: 'llm.usage', ...usage }),
      });
      return toExecutionResult(output, {
        intent: run.intent,
        persona: run.orientation?.config.persona ?? null,
        durationMs: this.#clock.now() - started,
      });
    } finally {
      signal?.removeEventListener('abort', cancel);
      subscriptions.unsubscribe();
      actor.stop();
      this.#running = false;
    }
  }

  /** Completes `events$`; the Executor must not be used afterwards. */
  close(): void {
    this.#events.complete();
  }
}

export const createExecutor = (options: ExecutorOptions): Executor => new Executor(options);
