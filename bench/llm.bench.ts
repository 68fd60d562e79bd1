/**
 * LLM adapter benchmarks, against the local OpenAI-compatible server so the
 * network is loopback and the answer is fixed. Each figure is printed beside a
 * baseline measured in the same run on the same machine:
 *   - complete(): calls/s through the adapter vs a bare `openai` SDK call
 *   - stream(): calls/s to `done` vs a bare SDK stream iterated to its end
 * The two sides alternate in batches (see `interleaved`).
 * The bare calls get the request already converted, so the gap is everything
 * the adapter adds: message and tool-schema conversion, retry and timeout
 * bookkeeping, response parsing, stream assembly and the Observable.
 */
import OpenAI from 'openai';
import { lastValueFrom } from 'rxjs';
import { z } from 'zod';
import { createOpenAiModel } from '../src/llm/openai/index.js';
import { toSdkParams } from '../src/llm/openai/messages.js';
import { type ChatMessage, type CompletionRequest, defineTool } from '../src/llm/port.js';
import { startOpenAiServer } from '../src/llm/testing/openai-server.js';
import type { BenchRow } from './support.js';

const tools = [
  defineTool({
    name: 'read_file',
    description: 'Reads a file of the workspace.',
    parameters: z.object({ path: z.string(), maxBytes: z.number().int().optional() }),
  }),
  defineTool({
    name: 'search',
    description: 'Searches the workspace.',
    parameters: z.object({ query: z.string(), limit: z.number().int().default(20) }),
  }),
];

/** A mid-sized agent turn: a system prompt, a few tool round trips, a question. */
function history(): ChatMessage[] {
  const messages: ChatMessage[] = [{ role: 'system', content: 'You are a careful coding agent.' }];
  for (let i = 0; i < 4; i++) {
    messages.push({ role: 'user', content: `Step ${i}: look at module ${i}.` });
    messages.push({
      role: 'assistant',
      content: null,
      toolCalls: [
        {
          id: `call_h${i}`,
          name: 'read_file',
          rawArguments: `{"path":"src/m${i}.ts"}`,
          arguments: { path: `src/m${i}.ts` },
        },
      ],
    });
    messages.push({
      role: 'tool',
      toolCallId: `call_h${i}`,
      content: 'export const x = 1;\n'.repeat(20),
    });
  }
  messages.push({ role: 'user', content: 'Summarise what you found.' });
  return messages;
}

/**
 * Calls/s of each side, run in alternating batches: on a shared machine the
 * load drifts within seconds, and back-to-back runs (as `measure` does) let
 * that drift decide the ratio.
 */
async function interleaved(
  calls: number,
  sides: ReadonlyArray<() => Promise<unknown>>,
  batches = 10,
): Promise<number[]> {
  const spent = sides.map(() => 0);
  const perBatch = Math.ceil(calls / batches);
  for (let batch = 0; batch < batches; batch++) {
    for (const [side, call] of sides.entries()) {
      const started = performance.now();
      for (let i = 0; i < perBatch; i++) await call();
      spent[side] = (spent[side] ?? 0) + performance.now() - started;
    }
  }
  return spent.map((ms) => (perBatch * batches) / (ms / 1000));
}

export async function llmBench(options: {
  quick: boolean;
  report: (row: BenchRow) => void;
}): Promise<void> {
  const server = await startOpenAiServer({
    chunkSize: 8,
    script: () => ({
      text: 'Module 0 exports x; so do modules 1 to 3. Nothing else is exported.',
      toolCalls: [{ name: 'search', arguments: '{"query":"export const","limit":5}' }],
    }),
  });
  try {
    const model = createOpenAiModel({
      baseURL: server.url,
      apiKey: 'sk-bench',
      model: 'gpt-bench',
    });
    const client = new OpenAI({ baseURL: server.url, apiKey: 'sk-bench', maxRetries: 0 });
    const request: CompletionRequest = { messages: history(), tools };
    const params = toSdkParams(request, 'gpt-bench');
    const calls = options.quick ? 300 : 2_000;
    const bareComplete = () => client.chat.completions.create(params);
    const bareStream = async () => {
      const chunks = await client.chat.completions.create({
        ...params,
        stream: true,
        stream_options: { include_usage: true },
      });
      for await (const _ of chunks);
    };
    // Both sides share undici, the SDK and the server; warm them all first so
    // neither side pays for the JIT of code the other also runs.
    for (let i = 0; i < calls; i++) {
      await model.complete(request);
      await bareComplete();
      await lastValueFrom(model.stream(request));
      await bareStream();
    }

    const [adapter = 0, bare = 0] = await interleaved(calls, [
      () => model.complete(request),
      bareComplete,
    ]);
    options.report({
      name: 'complete(): 14-message turn with 2 tools, loopback server',
      unit: 'calls/s',
      value: adapter,
      baselines: [
        { name: 'bare openai SDK chat.completions.create, request pre-converted', value: bare },
      ],
    });

    const [adapterStream = 0, bareStreamed = 0] = await interleaved(calls, [
      () => lastValueFrom(model.stream(request)),
      bareStream,
    ]);
    options.report({
      name: 'stream() to done: same turn, 17 SSE chunks',
      unit: 'calls/s',
      value: adapterStream,
      baselines: [
        {
          name: 'bare openai SDK stream (include_usage), iterated to its end',
          value: bareStreamed,
        },
      ],
    });
  } finally {
    await server.close();
  }
}
