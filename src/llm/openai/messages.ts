/** Port requests → the SDK's chat completion parameters. */
import type {
  ChatCompletionCreateParamsBase,
  ChatCompletionMessageParam,
  ChatCompletionTool,
  ChatCompletionToolChoiceOption,
} from 'openai/resources/chat/completions';
import {
  type ChatMessage,
  type CompletionRequest,
  type ToolChoice,
  type ToolDefinition,
  toolJsonSchema,
} from '../port.js';

export function toSdkMessage(message: ChatMessage): ChatCompletionMessageParam {
  switch (message.role) {
    case 'system':
    case 'user':
      return { role: message.role, content: message.content };
    case 'assistant': {
      const calls = message.toolCalls ?? [];
      return {
        role: 'assistant',
        content: message.content,
        // The API rejects an empty `tool_calls` array, so it is left out instead.
        ...(calls.length > 0
          ? {
              tool_calls: calls.map((call) => ({
                id: call.id,
                type: 'function' as const,
                // Sent back exactly as the model wrote them, even when they did not parse.
                function: { name: call.name, arguments: call.rawArguments },
              })),
            }
          : {}),
      };
    }
    case 'tool':
      return { role: 'tool', tool_call_id: message.toolCallId, content: message.content };
  }
}

/**
 * Generating a JSON Schema costs more than the rest of a call's conversion,
 * and an agent sends the same tools on every turn; zod schemas are immutable,
 * so each definition is converted once.
 */
const convertedTools = new WeakMap<ToolDefinition, ChatCompletionTool>();

export function toSdkTool(tool: ToolDefinition): ChatCompletionTool {
  let converted = convertedTools.get(tool);
  if (converted === undefined) {
    converted = {
      type: 'function',
      function: {
        name: tool.name,
        description: tool.description,
        parameters: toolJsonSchema(tool),
      },
    };
    convertedTools.set(tool, converted);
  }
  return converted;
}

export function toSdkToolChoice(choice: ToolChoice): ChatCompletionToolChoiceOption {
  return typeof choice === 'string'
    ? choice
    : { type: 'function', function: { name: choice.name } };
}

/** Everything but `stream`, which the caller adds. */
export type BaseParams = Omit<ChatCompletionCreateParamsBase, 'stream' | 'stream_options'> & {
  model: string;
};

export function toSdkParams(request: CompletionRequest, defaultModel: string): BaseParams {
  const tools = request.tools ?? [];
  return {
    model: request.model ?? defaultModel,
    messages: request.messages.map(toSdkMessage),
    ...(tools.length > 0 ? { tools: tools.map(toSdkTool) } : {}),
    ...(request.toolChoice === undefined
      ? {}
      : { tool_choice: toSdkToolChoice(request.toolChoice) }),
    ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
    // `max_tokens` is deprecated and refused by reasoning models.
    ...(request.maxTokens === undefined ? {} : { max_completion_tokens: request.maxTokens }),
  };
}
