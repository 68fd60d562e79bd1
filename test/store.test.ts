/**
 * The VirtualStore end to end: real temp workspace, real tools, the shipped
 * constitution, events and audit for every call, and every failure returned to
 * the model as a tool error.
 */
import { mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sequentialIds } from '../src/core/index.js';
import { toolJsonSchema } from '../src/llm/port.js';
import {
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
});
