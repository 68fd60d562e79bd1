/**
 * Reading what the local OpenAI-compatible server was sent: its recorded
 * request bodies, as the SDK wrote them (snake_case), checked by zod.
 */
import { z } from 'zod';
import type { OpenAiServer, RecordedRequest, ScriptedToolCall } from '../../src/llm/index.js';

export const wireRequestSchema = z.object({
  model: z.string(),
  temperature: z.number().optional(),
  messages: z.array(
    z.object({
      role: z.string(),
      content: z.string().nullish(),
      tool_call_id: z.string().optional(),
    }),
  ),
  tools: z.array(z.object({ function: z.object({ name: z.string() }) })).optional(),
});
export type WireRequest = z.infer<typeof wireRequestSchema>;
export type WireMessage = WireRequest['messages'][number];

/** A recorded request's body. */
export const wireRequest = (request: RecordedRequest): WireRequest =>
  wireRequestSchema.parse(request.body);

/** The server's `index`th request body, as the SDK sent it. */
export const sentRequest = (server: OpenAiServer, index: number): WireRequest =>
  wireRequestSchema.parse(server.requests[index]?.body);

export const sentMessages = (server: OpenAiServer, index: number): WireMessage[] =>
  sentRequest(server, index).messages;

export const toolMessages = (messages: readonly WireMessage[]): WireMessage[] =>
  messages.filter((message) => message.role === 'tool');

/** The task a request carries: its first user message. */
export const taskOf = (request: RecordedRequest): string =>
  wireRequest(request).messages.find((message) => message.role === 'user')?.content ?? '';

/** The contents of a request's tool messages, in order. */
export const toolAnswers = (request: RecordedRequest): string[] =>
  toolMessages(wireRequest(request).messages).map((message) => message.content ?? '');

/** The names of the tools a request offered. */
export const toolNames = (request: RecordedRequest): string[] =>
  (wireRequest(request).tools ?? []).map((tool) => tool.function.name);

const toolErrorSchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

/** The error a failed tool result carries. */
export const toolError = (content: string | null | undefined) =>
  toolErrorSchema.parse(JSON.parse(content ?? 'null')).error;

/** The error code a failed tool result carries. */
export const errorCode = (content: string | null | undefined): string => toolError(content).code;

/** The error the tool message answering `callId` carries, in request `index`. */
export const callError = (server: OpenAiServer, index: number, callId: string) =>
  toolError(
    sentMessages(server, index).find(
      (message) => message.role === 'tool' && message.tool_call_id === callId,
    )?.content,
  );

/** A scripted tool call of `name` with `args` as its JSON arguments. */
export const call = (name: string, args: unknown, id?: string): ScriptedToolCall => ({
  name,
  arguments: JSON.stringify(args),
  ...(id ? { id } : {}),
});
