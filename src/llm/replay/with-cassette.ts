/**
 * Record/replay for the LLM port: tests and benchmarks run against answers a
 * real model gave once, byte for byte, with no network and no cost.
 */
import { concatMap, defer, from, type Observable, of } from 'rxjs';
import { z } from 'zod';
import { canonicalDigest } from '../../core/index.js';
import { LlmBadResponse, LlmCassetteMiss } from '../errors.js';
import {
  type ChatModel,
  type Completion,
  type CompletionRequest,
  completionSchema,
  type StreamDelta,
} from '../port.js';
import { completionDeltas, describeRequest, throwIfAborted } from '../scripted/index.js';
import { canonicalRequest, type JsonValue } from './canonical.js';
import { type Cassette, openCassette } from './cassette.js';

/**
 * - `record`: always ask the inner model; the cassette is rewritten from this
 *   session's calls only, so re-recording never keeps stale answers.
 * - `replay`: never ask it; a request with no recorded answer is LlmCassetteMiss.
 * - `auto`: replay what is recorded, record (appending) what is not.
 */
export type CassetteMode = 'record' | 'replay' | 'auto';

export type CassetteOptions = {
  readonly mode: CassetteMode;
  readonly path: string;
};

export function withCassette(model: ChatModel, options: CassetteOptions): ChatModel {
  const { mode, path } = options;
  // Opened on first use so construction never throws; a bad file fails every call alike.
  let opening: Promise<Cassette> | undefined;
  const open = () => {
    opening ??= openCassette(path, mode === 'record' ? 'fresh' : 'existing');
    return opening;
  };

  function miss(request: CompletionRequest, key: string, cassette: Cassette): LlmCassetteMiss {
    const recorded = cassette.recorded(key);
    const why = !cassette.existed
      ? 'the cassette file does not exist'
      : recorded === 0
        ? 'nothing is recorded for it'
        : `only ${recorded} answer(s) are recorded for it and this is request ${cassette.served(key) + 1} like it`;
    return new LlmCassetteMiss(
      `cassette miss for request ${describeRequest(request)} (key ${key}) in ${path}: ${why}; record it with mode 'record' or 'auto'`,
      { details: { key, path, recorded } },
    );
  }

  function validated(completion: Completion): Completion {
    // Normalised through the schema so a recorded answer and its replay serialise identically.
    const parsed = completionSchema.safeParse(completion);
    if (parsed.success) return parsed.data;
    throw new LlmBadResponse(
      `model ${model.id} returned a completion the port does not allow, not recorded: ${z.prettifyError(parsed.error)}`,
    );
  }

  async function record(
    cassette: Cassette,
    keyed: Keyed,
    completion: Completion,
  ): Promise<Completion> {
    const valid = validated(completion);
    await cassette.record({ key: keyed.key, request: keyed.canonical, completion: valid });
    return valid;
  }

  /** The recorded answer, or null when this call must go to the inner model. */
  async function lookup(request: CompletionRequest, key: string): Promise<Completion | null> {
    throwIfAborted(request.signal);
    const cassette = await open();
    // The signal may have fired while the file loaded; a cancelled call must not use an answer.
    throwIfAborted(request.signal);
    if (mode === 'record') return null;
    const answer = cassette.take(key);
    if (answer !== undefined) return answer;
    if (mode === 'replay') throw miss(request, key, cassette);
    return null;
  }

  return {
    id: model.id,
    async complete(request) {
      const keyed = keyOf(request);
      const replayed = await lookup(request, keyed.key);
      if (replayed !== null) return replayed;
      const completion = await model.complete(request);
      return record(await open(), keyed, completion);
    },
    stream(request): Observable<StreamDelta> {
      return defer(() => {
        const keyed = keyOf(request);
        return from(lookup(request, keyed.key)).pipe(
          concatMap((replayed) =>
            replayed !== null ? from(completionDeltas(replayed)) : recordStream(request, keyed),
          ),
        );
      });
    },
  };

  function recordStream(request: CompletionRequest, keyed: Keyed): Observable<StreamDelta> {
    return model.stream(request).pipe(
      concatMap((delta) => {
        if (delta.type !== 'done') return of(delta);
        // `done` waits for the write, so a consumer that saw it can rely on the cassette holding it.
        return from(
          open()
            .then((cassette) => record(cassette, keyed, delta.completion))
            .then((completion): StreamDelta => ({ type: 'done', completion })),
        );
      }),
    );
  }
}

/** A request's canonical form and its key, computed once per call (tools' JSON Schemas are not free). */
type Keyed = { readonly canonical: JsonValue; readonly key: string };

function keyOf(request: CompletionRequest): Keyed {
  const canonical = canonicalRequest(request);
  return { canonical, key: canonicalDigest(canonical) };
}
