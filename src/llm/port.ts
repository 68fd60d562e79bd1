/**
 * The LLM port: the one small interface the loop talks to. Adapters (the
 * openai SDK, the scripted and offline models, record/replay) implement it;
 * everything that crosses it is described by a zod schema.
 */
import type { Observable } from 'rxjs';
import { z } from 'zod';

export const toolCallSchema = z.object({
  /** The id the model gave the call; a `tool` message answers it by this id. */
  id: z.string(),
  name: z.string(),
  /** The arguments as the model sent them, unparsed. */
  rawArguments: z.string(),
  /** Parsed JSON arguments, or `undefined` when `parseError` is set. */
  arguments: z.unknown().optional(),
  /**
   * Why the arguments are not usable JSON. Not an exception: the loop returns
   * it to the model as the tool's answer so the model can correct itself.
   */
  parseError: z.string().optional(),
});
export type ToolCall = z.infer<typeof toolCallSchema>;

export const chatMessageSchema = z.discriminatedUnion('role', [
  z.object({ role: z.literal('system'), content: z.string() }),
  z.object({ role: z.literal('user'), content: z.string() }),
  z.object({
    role: z.literal('assistant'),
    content: z.string().nullable(),
    toolCalls: z.array(toolCallSchema).optional(),
  }),
  z.object({ role: z.literal('tool'), toolCallId: z.string(), content: z.string() }),
]);
export type ChatMessage = z.infer<typeof chatMessageSchema>;

export const usageSchema = z.object({
  promptTokens: z.number().int().nonnegative(),
  completionTokens: z.number().int().nonnegative(),
});
export type Usage = z.infer<typeof usageSchema>;

export const finishReasonSchema = z.enum([
  'stop',
  'tool_calls',
  'length',
  'content_filter',
  'other',
]);
export type FinishReason = z.infer<typeof finishReasonSchema>;

export const completionSchema = z.object({
  text: z.string(),
  toolCalls: z.array(toolCallSchema),
  finishReason: finishReasonSchema,
  usage: usageSchema,
  /** The model that answered, as the server named it. */
  model: z.string(),
});
export type Completion = z.infer<typeof completionSchema>;

/** A tool the model may call, declared once: its arguments are a zod schema. */
export type ToolDefinition<Args = unknown> = {
  readonly name: string;
  readonly description: string;
  readonly parameters: z.ZodType<Args>;
};

export function defineTool<Args>(tool: ToolDefinition<Args>): ToolDefinition<Args> {
  return tool;
}

/** The JSON Schema a tool is sent as (`z.toJSONSchema`). */
export function toolJsonSchema(tool: ToolDefinition): Record<string, unknown> {
  // The model writes the input: a field with a default is optional to it.
  return z.toJSONSchema(tool.parameters, { target: 'draft-7', io: 'input' }) as Record<
    string,
    unknown
  >;
}

export type ToolChoice = 'auto' | 'none' | 'required' | { readonly name: string };

export type CompletionRequest = {
  readonly messages: readonly ChatMessage[];
  readonly tools?: readonly ToolDefinition[];
  readonly toolChoice?: ToolChoice;
  /** Overrides the model's configured model name for this call. */
  readonly model?: string;
  readonly temperature?: number;
  readonly maxTokens?: number;
  /** Aborting it aborts the call, including its HTTP request. */
  readonly signal?: AbortSignal;
};

/** What a stream yields, in order: text and tool-call pieces, then `usage`, then `done`. */
export type StreamDelta =
  | { readonly type: 'text'; readonly text: string }
  /** A piece of a tool call's arguments, as it arrives. */
  | {
      readonly type: 'tool_call_delta';
      readonly index: number;
      readonly id?: string;
      readonly name?: string;
      readonly argumentsDelta: string;
    }
  /** A tool call once all its pieces arrived, parsed like `complete` parses it. */
  | { readonly type: 'tool_call'; readonly call: ToolCall }
  | { readonly type: 'usage'; readonly usage: Usage }
  /** Last: the whole completion, the same value `complete` would have returned. */
  | { readonly type: 'done'; readonly completion: Completion };

export interface ChatModel {
  /** For events and cassettes: which model this is (`openai:gpt-4o-mini`, `offline`). */
  readonly id: string;
  complete(request: CompletionRequest): Promise<Completion>;
  /** Cold: each subscription makes one call; unsubscribing aborts it. */
  stream(request: CompletionRequest): Observable<StreamDelta>;
}

/** Parses a tool call's raw arguments; malformed JSON becomes `parseError`, never a throw. */
export function parseToolCall(id: string, name: string, rawArguments: string): ToolCall {
  const text = rawArguments.trim() === '' ? '{}' : rawArguments;
  try {
    return { id, name, rawArguments, arguments: JSON.parse(text) as unknown };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return {
      id,
      name,
      rawArguments,
      arguments: undefined,
      parseError: `arguments of ${name} are not valid JSON: ${reason}`,
    };
  }
}
