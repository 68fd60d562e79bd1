/**
 * The ChatModel over the official `openai` SDK's chat completions. The SDK
 * does the HTTP and the SSE parsing; this adds our retries, timeouts,
 * cancellation and error types, and converts to and from the port.
 */
import OpenAI from 'openai';
import { Observable } from 'rxjs';
import { LlmCancelled } from '../errors.js';
import type { ChatModel, Completion, CompletionRequest, StreamDelta } from '../port.js';
import { openAttempt } from './attempt.js';
import { abortError, toLlmError } from './error-mapping.js';
import { type BaseParams, toSdkParams } from './messages.js';
import { type OpenAiModelOptions, resolveSettings, type Settings } from './options.js';
import { toCompletion } from './response.js';
import { type RetryLoop, withRetries } from './retry.js';
import { StreamAssembler } from './stream-assembly.js';

export function createOpenAiModel(options: OpenAiModelOptions = {}): ChatModel {
  const settings = resolveSettings(options);
  const client = new OpenAI(settings.client);
  const loop = (signal: AbortSignal, mayRetry?: () => boolean): RetryLoop => ({
    maxRetries: settings.maxRetries,
    retry: settings.retry,
    random: settings.random,
    sleep: settings.sleep,
    signal,
    ...(mayRetry ? { mayRetry } : {}),
  });

  return {
    id: `openai:${settings.model}`,

    async complete(request: CompletionRequest): Promise<Completion> {
      if (request.signal?.aborted)
        throw new LlmCancelled('the call was cancelled before it started');
      const params = toSdkParams(request, settings.model);
      const signal = request.signal ?? new AbortController().signal;
      return withRetries(() => completeOnce(client, settings, params, signal), loop(signal));
    },

    stream(request: CompletionRequest): Observable<StreamDelta> {
      return new Observable<StreamDelta>((subscriber) => {
        // Aborted by the caller's signal and by unsubscribing alike.
        const controller = new AbortController();
        const cancel = () => controller.abort();
        request.signal?.addEventListener('abort', cancel, { once: true });
        if (request.signal?.aborted) cancel();

        let emitted = false;
        const emit = (delta: StreamDelta) => {
          if (subscriber.closed) return;
          emitted = true;
          subscriber.next(delta);
        };
        const params = toSdkParams(request, settings.model);
        withRetries(
          () => streamOnce(client, settings, params, controller.signal, emit),
          // A retry after deltas went out would repeat them to the subscriber.
          loop(controller.signal, () => !emitted),
        ).then(
          () => subscriber.complete(),
          (error: unknown) => subscriber.error(error),
        );

        return () => {
          request.signal?.removeEventListener('abort', cancel);
          controller.abort();
        };
      });
    },
  };
}

async function completeOnce(
  client: OpenAI,
  settings: Settings,
  params: BaseParams,
  signal: AbortSignal,
): Promise<Completion> {
  const scope = openAttempt(signal, settings.timeoutMs, settings.clock);
  try {
    const body: unknown = await client.chat.completions.create(
      { ...params, stream: false },
      { signal: scope.signal },
    );
    return toCompletion(body, params.model);
  } catch (error) {
    throw toLlmError(error, failure(scope.cause, settings));
  } finally {
    scope.dispose();
  }
}

async function streamOnce(
  client: OpenAI,
  settings: Settings,
  params: BaseParams,
  signal: AbortSignal,
  emit: (delta: StreamDelta) => void,
): Promise<void> {
  const scope = openAttempt(signal, settings.timeoutMs, settings.clock);
  try {
    const chunks = await client.chat.completions.create(
      { ...params, stream: true, stream_options: { include_usage: true } },
      { signal: scope.signal },
    );
    const assembler = new StreamAssembler(params.model);
    for await (const chunk of chunks) {
      scope.touch();
      for (const delta of assembler.push(chunk)) emit(delta);
    }
    // The SDK ends an aborted stream quietly instead of throwing.
    if (scope.cause !== null) throw abortError(scope.cause, settings.timeoutMs);
    for (const delta of assembler.finish()) emit(delta);
  } catch (error) {
    throw toLlmError(error, failure(scope.cause, settings));
  } finally {
    scope.dispose();
  }
}

const failure = (cause: ReturnType<typeof openAttempt>['cause'], settings: Settings) => ({
  cause,
  timeoutMs: settings.timeoutMs,
  now: settings.clock.now(),
});
