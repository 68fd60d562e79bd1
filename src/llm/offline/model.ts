/** The offline ChatModel: one planning step per call, as a completion or a stream. */
import { Observable } from 'rxjs';
import { describeUnknownError } from '../../core/index.js';
import { cancelledError, throwIfAborted } from '../abort.js';
import {
  type ChatMessage,
  type ChatModel,
  type Completion,
  type CompletionRequest,
  chatMessageSchema,
  parseToolCall,
  type StreamDelta,
} from '../port.js';
import { completionDeltas, splitEvery } from '../scripted/deltas.js';
import { readBrief } from './brief.js';
import { createPlanContext, type Step } from './context.js';
import { formatAnswer } from './format.js';
import { type OfflineModelOptions, type OfflineSettings, readOfflineOptions } from './options.js';
import { planStep } from './planners/plan.js';
import { readTurn, type Turn } from './turn.js';
import { usageOf } from './usage.js';

/** Characters per streamed delta: a long answer arrives in pieces, as from a server. */
const STREAM_CHUNK_CHARS = 64;

export const OFFLINE_MODEL_ID = 'offline';

export function createOfflineModel(options: OfflineModelOptions = {}): ChatModel {
  const settings = readOfflineOptions(options);

  function respond(request: CompletionRequest): Completion {
    const { messages, invalid } = validMessages(request.messages);
    const turn = readTurn(messages, settings.maxToolResultChars);
    const ctx = createPlanContext(readBrief(messages), settings, turn, offeredTools(request));
    if (invalid > 0) {
      ctx.note(`${invalid} messages of the request were not valid chat messages and were ignored.`);
    }
    let step: Step;
    try {
      step = planStep(ctx);
    } catch (error) {
      // A bug in a heuristic must end the turn with an answer, not take the loop down.
      step = {
        kind: 'answer',
        body: `The offline model failed while planning: ${describeUnknownError(error)}`,
      };
    }
    return toCompletion(step, ctx.notes(), turn, { ...request, messages }, settings);
  }

  return {
    id: OFFLINE_MODEL_ID,
    async complete(request) {
      throwIfAborted(request.signal);
      return respond(request);
    },
    stream(request) {
      return new Observable<StreamDelta>((subscriber) => {
        let deltas: StreamDelta[];
        try {
          throwIfAborted(request.signal);
          deltas = completionDeltas(respond(request), (text) =>
            splitEvery(text, STREAM_CHUNK_CHARS),
          );
        } catch (error) {
          subscriber.error(error);
          return;
        }
        for (const delta of deltas) {
          if (subscriber.closed) return;
          if (request.signal?.aborted) {
            subscriber.error(cancelledError(request.signal));
            return;
          }
          subscriber.next(delta);
        }
        subscriber.complete();
      });
    },
  };
}

/** `request` carries only the messages that validated: usage counts what was read. */
function toCompletion(
  step: Step,
  notes: readonly string[],
  turn: Turn,
  request: CompletionRequest,
  settings: OfflineSettings,
): Completion {
  // Ids count the conversation's assistant messages, so they are unique in it and the same on every run.
  const callIds = `offline_${turn.assistantMessages + 1}`;
  const toolCalls =
    step.kind === 'calls'
      ? step.calls.map((call, index) =>
          parseToolCall(`${callIds}_${index + 1}`, call.name, JSON.stringify(call.args)),
        )
      : [];
  const text = step.kind === 'calls' ? step.text : formatAnswer(step.body, notes);
  return {
    text,
    toolCalls,
    finishReason: step.kind === 'calls' ? 'tool_calls' : 'stop',
    usage: usageOf(request, text, toolCalls),
    model: settings.model,
  };
}

/** Tools the model may call now: `none` allows none, a named choice only that one. */
function offeredTools(request: CompletionRequest): Set<string> {
  const names = new Set((request.tools ?? []).map((tool) => tool.name));
  const choice = request.toolChoice;
  if (choice === 'none') return new Set();
  if (typeof choice === 'object') return new Set(names.has(choice.name) ? [choice.name] : []);
  return names;
}

function validMessages(messages: readonly unknown[]): { messages: ChatMessage[]; invalid: number } {
  const valid: ChatMessage[] = [];
  for (const message of messages) {
    const parsed = chatMessageSchema.safeParse(message);
    if (parsed.success) valid.push(parsed.data);
  }
  return { messages: valid, invalid: messages.length - valid.length };
}
