/**
 * A ChatModel that answers from a script, for tests of code that talks to the
 * LLM port: every answer is written down in the test, every request is kept,
 * and a script that is not used up is a failure the test can assert.
 */
import { concatMap, defer, from, type Observable } from 'rxjs';
import { raceAbort, throwIfAborted } from '../abort.js';
import { LlmScriptError } from '../errors.js';
import type { ChatModel, Completion, CompletionRequest, StreamDelta } from '../port.js';
import { completionDeltas } from './deltas.js';
import { describeRequest } from './describe.js';
import { replyToCompletion, type Script, type ScriptReply, type ScriptStep } from './script.js';

export type ScriptedModelOptions = {
  /** The ChatModel id; defaults to `scripted`. */
  readonly id?: string;
  /** The `model` of completions whose step and request name none; defaults to the id. */
  readonly model?: string;
};

export interface ScriptedModel extends ChatModel {
  /** Every request made, in order, including refused and cancelled ones. */
  readonly requests: readonly CompletionRequest[];
  /** How many steps are not used yet. */
  readonly remaining: number;
  /** Throws LlmScriptError when steps are left: the code under test asked less than expected. */
  assertComplete(): void;
}

export function createScriptedModel(
  script: Script,
  options: ScriptedModelOptions = {},
): ScriptedModel {
  const steps: readonly ScriptStep[] = [...script];
  const id = options.id ?? 'scripted';
  const defaultModel = options.model ?? id;
  const requests: CompletionRequest[] = [];
  let cursor = 0;
  let callIds = 0;
  const nextCallId = () => {
    callIds += 1;
    return `call_${callIds}`;
  };

  function pastEnd(request: CompletionRequest): LlmScriptError {
    return new LlmScriptError(
      `scripted model ${id}: request ${requests.length} asked past the end of its ${steps.length}-step script; its last user message was ${describeRequest(request)}`,
      { details: { request: requests.length, steps: steps.length } },
    );
  }

  async function answer(request: CompletionRequest): Promise<Completion> {
    requests.push(request);
    // A call cancelled before it starts never reaches the model, so it uses no step.
    throwIfAborted(request.signal);
    const step = steps[cursor];
    if (step === undefined) throw pastEnd(request);
    cursor += 1;
    const stepNumber = cursor;
    const reply = await replyOf(step, request);
    return replyToCompletion(reply, { request, stepNumber, defaultModel, nextCallId });
  }

  return {
    id,
    get requests() {
      return requests;
    },
    get remaining() {
      return steps.length - cursor;
    },
    assertComplete() {
      const left = steps.length - cursor;
      if (left === 0) return;
      throw new LlmScriptError(
        `scripted model ${id}: ${left} of ${steps.length} script steps were left unused (${requests.length} requests made)`,
        { details: { unused: left, steps: steps.length, requests: requests.length } },
      );
    },
    complete: answer,
    stream(request: CompletionRequest): Observable<StreamDelta> {
      // defer: the step is taken when someone subscribes, once per subscription.
      return defer(() => from(answer(request))).pipe(
        concatMap((completion) => from(completionDeltas(completion))),
      );
    },
  };
}

async function replyOf(step: ScriptStep, request: CompletionRequest): Promise<ScriptReply> {
  if (typeof step === 'function') {
    // A function step may be slow (a test holding the call open); the signal still wins.
    return raceAbort(
      Promise.resolve().then(() => step(request)),
      request.signal,
    );
  }
  if ('error' in step) throw step.error;
  return step;
}
