/**
 * The VirtualStore end to end: real temp workspace, real tools, the shipped
 * constitution, events and audit for every call, and every failure returned to
 * the model as a tool error.
 */
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { sequentialIds } from '../src/core/index.js';
import { runtimeEventSchema } from '../src/events/index.js';
import { toSdkTool } from '../src/llm/openai/messages.js';
import { type ToolDefinition, toolJsonSchema } from '../src/llm/port.js';
import { loadShippedRules } from '../src/rules/index.js';
import {
  type AnyStoreTool,
  type AuditEntry,
  createVirtualStore,
  jsonLinesAuditSink,
  type StoreEvent,
  toolOutcomeContent,
  type VirtualStore,
} from '../src/store/index.js';

let root: string;
let store: VirtualStore;
let events: StoreEvent[];
let audit: AuditEntry[];

async function open(options: Partial<Parameters<typeof createVirtualStore>[0]> = {}) {
  store = await createVirtualStore({
    root,
    persona: 'coder',
    ids: sequentialIds(),
    clock: { now: () => 5_000 },
    ...options,
  });
  events = [];
  audit = [];
  store.events$.subscribe((event) => events.push(event));
  store.audit$.subscribe((entry) => audit.push(entry));
  return store;
}

beforeEach(async () => {
  root = await realpath(await mkdtemp(join(tmpdir(), 'nerdloop-store-')));
  await writeFile(join(root, 'a.ts'), 'export const a = 1;\n');
  await writeFile(join(root, '.env'), 'SECRET=1\n');
});
afterEach(async () => {
  store?.close();
  await rm(root, { recursive: true, force: true });
});

describe('VirtualStore', () => {
  it('offers every tool to the model as JSON Schema', async () => {
    await open();
    const names = store.definitions().map((tool) => tool.name);
    expect(names.sort()).toEqual(
      ['edit_file', 'list_files', 'read_file', 'run_command', 'search', 'write_file'].sort(),
    );
    for (const tool of store.definitions())
      expect(toolJsonSchema(tool)).toHaveProperty('type', 'object');
    // The same objects on every turn, so the LLM port converts each to JSON Schema once.
    const [first] = store.definitions();
    expect(first && toSdkTool(first)).toBe(toSdkTool(store.definitions()[0] as ToolDefinition));
  });

  it('runs a permitted call and reports requested → permitted → finished, and audits it', async () => {
    await open();
    const outcome = await store.call('read_file', { path: 'a.ts' });
    expect(outcome).toMatchObject({ ok: true, callId: 'call-1' });
    expect(events.map((event) => event.type)).toEqual([
      'tool.requested',
      'tool.permitted',
      'tool.finished',
    ]);
    expect(audit).toEqual([
      expect.objectContaining({
        tool: 'read_file',
        verdict: 'permitted',
        ok: true,
        errorCode: null,
      }),
    ]);
  });

  it('returns a denial to the model with the reason and the proof, and runs nothing', async () => {
    await open({ persona: 'reviewer' });
    const outcome = await store.call('write_file', { path: 'a.ts', content: 'changed' });
    expect(outcome).toMatchObject({ ok: false, error: { code: 'store_denied' } });
    expect(await readFile(join(root, 'a.ts'), 'utf8')).toBe('export const a = 1;\n');
    const denied = events.find((event) => event.type === 'tool.denied');
    expect(denied).toMatchObject({ reasons: expect.arrayContaining(['/persona_not_allowed']) });
    expect(audit[0]).toMatchObject({ verdict: 'denied', ok: false, errorCode: 'store_denied' });
  });

  it('calls onPermitted once a call is let through, after any approval and before the tool runs; never for a denial', async () => {
    const order: string[] = [];
    await open({
      mode: { sandbox: 'read-only', approval: 'on-request' },
      onApprovalRequest: () => {
        order.push('approved');
        return { approved: true };
      },
    });
    const onPermitted = () =>
      order.push(`permitted, a.ts still ${readFileSync(join(root, 'a.ts'), 'utf8').trim()}`);
    await store.call('write_file', { path: 'a.ts', content: 'changed\n' }, { onPermitted });
    expect(order).toEqual(['approved', 'permitted, a.ts still export const a = 1;']);
    expect(await readFile(join(root, 'a.ts'), 'utf8')).toBe('changed\n');
    order.length = 0;
    const denied = await store.call('read_file', { path: '.env' }, { onPermitted });
    expect(denied).toMatchObject({ ok: false, error: { code: 'store_denied' } });
    expect(order).toEqual([]);
    // A callback that throws fails the call as a tool error; the tool does not run.
    const thrown = await store.call(
      'write_file',
      { path: 'a.ts', content: 'again\n' },
      {
        onPermitted: () => {
          throw new Error('callback broke');
        },
      },
    );
    expect(thrown).toMatchObject({
      ok: false,
      error: { code: 'store_tool_failed', message: 'callback broke' },
    });
    expect(await readFile(join(root, 'a.ts'), 'utf8')).toBe('changed\n');
  });

  it('secrets are refused by the policy before the sandbox is even reached', async () => {
    await open();
    const outcome = await store.call('read_file', { path: '.env' });
    expect(outcome).toMatchObject({ ok: false, error: { code: 'store_denied' } });
    expect(toolOutcomeContent(outcome)).not.toContain('SECRET=1');
  });

  it('unknown tools and invalid arguments are tool errors, not exceptions', async () => {
    await open();
    expect(await store.call('format_disk', {})).toMatchObject({
      ok: false,
      error: { code: 'store_unknown_tool' },
    });
    const invalid = await store.call('read_file', { path: 42 });
    expect(invalid).toMatchObject({ ok: false, error: { code: 'store_invalid_arguments' } });
    expect(audit.map((entry) => entry.verdict)).toEqual(['invalid', 'invalid']);
  });

  it('a tool failure is a typed tool error with its code', async () => {
    await open();
    const outcome = await store.call('edit_file', { path: 'a.ts', oldText: 'nope', newText: 'x' });
    expect(outcome).toMatchObject({ ok: false, error: { code: 'store_edit_no_match' } });
  });

  it('the sandbox still refuses what a permissive policy would let through', async () => {
    await open({ mode: { sandbox: 'full-access' } });
    const outcome = await store.call('read_file', { path: '../../etc/passwd' });
    expect(outcome.ok).toBe(false);
  });

  it('runs a command end to end and writes the audit as JSON lines', async () => {
    const log = join(root, '..', `${root.split('/').pop()}-audit.jsonl`);
    await open({ audit: [jsonLinesAuditSink(log)] });
    // Inline code (`node -e`) cannot be analysed, so the constitution refuses it; a script can run.
    await writeFile(join(root, 'answer.js'), 'console.log(6 * 7);\n');
    const outcome = await store.call('run_command', { command: ['node', 'answer.js'] });
    expect(outcome, JSON.stringify(outcome)).toMatchObject({
      ok: true,
      result: { exitCode: 0, stdout: '42\n' },
    });
    const lines = (await readFile(log, 'utf8')).trim().split('\n');
    expect(lines.map((line) => JSON.parse(line).tool)).toEqual(['run_command']);
    await rm(log, { force: true });
  });

  it('read-only mode refuses a write with a tool error', async () => {
    await open({ mode: { sandbox: 'read-only' } });
    const outcome = await store.call('write_file', { path: 'b.ts', content: 'x' });
    expect(outcome).toMatchObject({ ok: false, error: { code: 'store_denied' } });
    expect(outcome.ok ? '' : outcome.error.message).toContain('/sandbox_read_only');
  });

  it('a read-only sandbox approval never lifts a hard reason the constitution found', async () => {
    const asked: string[][] = [];
    await open({
      mode: { sandbox: 'read-only', approval: 'on-request' },
      onApprovalRequest: (request) => {
        asked.push([...request.reasons]);
        return { approved: true };
      },
    });
    const outcome = await store.call('run_command', { command: 'rm -rf / && echo RAN' });
    expect(outcome).toMatchObject({ ok: false, error: { code: 'store_denied' } });
    expect(asked).toEqual([]);
  });

  it('a failing audit sink neither fails the call nor stops later entries', async () => {
    const missing = join(root, 'no-such-dir', 'audit.jsonl');
    await open({ audit: [jsonLinesAuditSink(missing)] });
    const first = await store.call('write_file', { path: 'b.ts', content: 'x' });
    expect(first.ok).toBe(true);
    expect(events.filter((event) => event.type === 'audit.failed')).toHaveLength(1);
    await mkdir(join(root, 'no-such-dir'));
    await store.call('read_file', { path: 'b.ts' });
    expect((await readFile(missing, 'utf8')).trim().split('\n')).toHaveLength(1);
  });

  it('a tool whose result does not fit its schema, or is not JSON, is a tool error', async () => {
    const odd = (name: string, value: unknown): AnyStoreTool => ({
      name,
      description: 'returns something odd',
      parameters: z.object({}),
      result: z.unknown(),
      action: () => ({ action: 'read_file', target: '.', payload: '' }),
      run: async () => value,
    });
    const strict: AnyStoreTool = {
      ...odd('strict_tool', { n: 'x' }),
      result: z.object({ n: z.number() }),
    };
    await open({ extraTools: [strict, odd('bigint_tool', { n: 1n })] });
    expect(await store.call('strict_tool', {})).toMatchObject({
      ok: false,
      error: { code: 'store_invalid_result' },
    });
    const big = await store.call('bigint_tool', {});
    expect(JSON.parse(toolOutcomeContent(big))).toMatchObject({
      error: { code: 'store_unserializable_result' },
    });
  });

  it('refuses tool and persona names the policy could not read', async () => {
    await expect(createVirtualStore({ root, persona: 'Coder' })).rejects.toMatchObject({
      code: 'store_invalid_persona',
    });
    const bad: AnyStoreTool = {
      name: 'countLines',
      description: 'x',
      parameters: z.object({}),
      result: z.unknown(),
      action: () => ({ action: 'read_file', target: '.', payload: '' }),
      run: async () => null,
    };
    await expect(
      createVirtualStore({ root, persona: 'coder', extraTools: [bad] }),
    ).rejects.toMatchObject({
      code: 'store_invalid_tool',
    });
  });

  it("classifies a user's tool by its action_class fact", async () => {
    const kernel = await loadShippedRules();
    kernel.assert('action_class(/count_lines, /read).');
    const countLines: AnyStoreTool = {
      name: 'count_lines',
      description: 'counts lines',
      parameters: z.object({ path: z.string() }),
      result: z.object({ lines: z.number() }),
      action: (args) => ({
        action: 'count_lines',
        target: (args as { path: string }).path,
        payload: '',
      }),
      run: async () => ({ lines: 1 }),
    };
    await open({ kernel, mode: { sandbox: 'read-only' }, extraTools: [countLines] });
    expect(await store.call('count_lines', { path: 'a.ts' })).toMatchObject({ ok: true });
  });

  it("its events fit the runtime's event schema once the agent's origin is added", async () => {
    await open({ persona: 'reviewer' });
    await store.call('read_file', { path: 'a.ts' });
    await store.call('write_file', { path: 'a.ts', content: 'x' });
    const origin = { agentId: 'root/a', parentId: 'root', depth: 1 };
    for (const event of events) {
      expect(runtimeEventSchema.safeParse({ ...event, ...origin }).success, event.type).toBe(true);
    }
    expect(events.map((event) => event.type)).toContain('tool.denied');
  });
});
