/**
 * The policy gate: sandbox modes × approval policies over the shipped
 * constitution, with a real temp workspace; the approval hook; explanations.
 */
import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kernel } from '../src/kernel/index.js';
import { fileSystemRealpath, loadShippedRules } from '../src/rules/index.js';
import type { ApprovalHook, ApprovalRequest } from '../src/store/gate/approval.js';
import { type GateRequest, PolicyGate } from '../src/store/gate/gate.js';
import type { StoreModeInit } from '../src/store/gate/modes.js';

let root: string;
let kernel: Kernel;

beforeAll(async () => {
  root = await realpath(await mkdtemp(join(tmpdir(), 'nerdloop-gate-')));
  kernel = await loadShippedRules();
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

let calls = 0;
const request = (action: string, target: string, payload = ''): GateRequest => ({
  callId: `c${++calls}`,
  tool: action,
  args: { target },
  action: { action, target, payload },
  signal: new AbortController().signal,
});

const gate = (mode: StoreModeInit, hook?: ApprovalHook, persona = 'coder') =>
  new PolicyGate({
    kernel,
    world: { workspaceRoot: root, realpath: fileSystemRealpath },
    persona,
    mode,
    ...(hook ? { onApprovalRequest: hook } : {}),
    clock: { now: () => 1_000 },
  });

describe('delegation at the gate', () => {
  it('a delegate to a persona no rule knows is refused even under full access, without asking', async () => {
    let asked = 0;
    const g = gate({ sandbox: 'full-access', approval: 'on-request' }, () => {
      asked += 1;
      return { approved: true };
    });
    const decision = await g.decide(request('delegate', 'root_admin', 'do anything'));
    expect(decision).toMatchObject({ verdict: 'denied' });
    expect(decision.reasons).toContain('/unknown_persona');
    expect(asked).toBe(0);
  });

  it('a sub-agent’s call must be permitted for its delegators too', async () => {
    const coderUnderReviewer = new PolicyGate({
      kernel,
      world: { workspaceRoot: root, realpath: fileSystemRealpath },
      persona: 'coder',
      delegators: ['reviewer'],
      clock: { now: () => 1_000 },
    });
    const write = await coderUnderReviewer.decide(request('write_file', 'src/a.ts', 'x'));
    expect(write.verdict).toBe('denied');
    expect(write.reasons).toEqual(
      expect.arrayContaining(['/delegator_not_allowed', '/persona_not_allowed']),
    );
    expect(write.explanation).toContain("refused for the agent's delegator reviewer");
    // What every persona in the chain may do stays permitted.
    const read = await coderUnderReviewer.decide(request('read_file', 'src/a.ts'));
    expect(read.verdict).toBe('permitted');
  });
});

describe('sandbox × approval', () => {
  it('read-only allows reads and refuses writes and commands without asking when approval is never', async () => {
    const g = gate({ sandbox: 'read-only', approval: 'never' });
    expect((await g.decide(request('read_file', 'src/a.ts'))).verdict).toBe('permitted');
    const write = await g.decide(request('write_file', 'src/a.ts', 'x'));
    expect(write).toMatchObject({ verdict: 'denied', reasons: ['/sandbox_read_only'] });
    expect((await g.decide(request('run_command', 'npm test'))).verdict).toBe('denied');
  });

  it('read-only with on-request asks, and a yes lets a write through', async () => {
    const asked: ApprovalRequest[] = [];
    const g = gate({ sandbox: 'read-only', approval: 'on-request' }, (req) => {
      asked.push(req);
      return { approved: true, note: 'ok by Ana' };
    });
    const decision = await g.decide(request('write_file', 'src/a.ts', 'x'));
    expect(decision.verdict).toBe('approved');
    expect(decision.explanation).toContain('ok by Ana');
    expect(asked.map((a) => a.reasons)).toEqual([['/sandbox_read_only']]);
  });

  it('workspace-write follows the constitution: a write inside is permitted, with its proof', async () => {
    const decision = await gate({}).decide(request('write_file', 'src/a.ts', 'x'));
    expect(decision.verdict).toBe('permitted');
    expect(decision.explanation).toContain('permitted(/write_file, "src/a.ts", "x")');
  });

  it('a soft denial is put to the human under on-request, and a no stays a denial', async () => {
    const g = gate({ approval: 'on-request' }, () => ({ approved: false }), 'reviewer');
    const decision = await g.decide(request('write_file', 'src/a.ts', 'x'));
    expect(decision.verdict).toBe('denied');
    expect(decision.reasons).toContain('/not_approved');
  });

  it('hard reasons are never put to a human: dangerous commands and secrets', async () => {
    let asked = 0;
    const g = gate({ sandbox: 'full-access', approval: 'on-request' }, () => {
      asked++;
      return { approved: true };
    });
    const rm = await g.decide(request('run_command', 'rm -rf /'));
    expect(rm.verdict).toBe('denied');
    expect(rm.reasons).toContain('/dangerous_command');
    expect((await g.decide(request('read_file', '.env'))).verdict).toBe('denied');
    expect(asked).toBe(0);
  });

  it('full access lifts soft limits without asking', async () => {
    const decision = await gate({ sandbox: 'full-access' }, undefined, 'reviewer').decide(
      request('write_file', 'src/a.ts', 'x'),
    );
    expect(decision.verdict).toBe('permitted');
    expect(decision.explanation).toMatch(/^full access/);
  });

  it('always asks before every write or command, never before a read', async () => {
    const asked: string[] = [];
    const g = gate({ approval: 'always' }, (req) => {
      asked.push(req.tool);
      return { approved: true };
    });
    await g.decide(request('read_file', 'src/a.ts'));
    await g.decide(request('write_file', 'src/a.ts', 'x'));
    await g.decide(request('run_command', 'npm test'));
    expect(asked).toEqual(['write_file', 'run_command']);
  });

  it('needing approval with no hook, or a hook that throws, is a denial that says so', async () => {
    const none = await gate({ approval: 'always' }).decide(request('write_file', 'a.ts', 'x'));
    expect(none.reasons).toContain('/approval_unavailable');
    const broken = await gate({ approval: 'always' }, () => {
      throw new Error('UI gone');
    }).decide(request('write_file', 'a.ts', 'x'));
    expect(broken).toMatchObject({ verdict: 'denied' });
    expect(broken.explanation).toContain('UI gone');
  });

  it('explains a denial with the rule that blocked it', async () => {
    const decision = await gate({}).decide(request('read_file', '../../etc/passwd'));
    expect(decision.verdict).toBe('denied');
    expect(decision.reasons).toContain('/outside_workspace');
    expect(decision.explanation).toMatch(/blocked\("c\d+", \/outside_workspace\)/);
  });
});
