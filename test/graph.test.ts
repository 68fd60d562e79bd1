/**
 * The diagram exports: every edge of every state node appears exactly once,
 * eventless transitions included, on small inline machines and on every
 * machine of the manifest.
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type AnyStateMachine, createMachine } from 'xstate';
import {
  allTransitionKeys,
  loadMachine,
  loadManifest,
  type MachineGraphJson,
  toGraphJson,
  toMermaid,
} from '../src/stately/index.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** A compound state nested in a compound state, a root transition, `always`, `after`, finals. */
const nested = createMachine({
  id: 'm',
  initial: 'idle',
  on: { RESET: '.idle' },
  states: {
    idle: { on: { GO: 'busy' } },
    busy: {
      initial: 'outer',
      after: { 500: 'timedOut' },
      states: {
        outer: {
          initial: 'inner',
          states: {
            inner: {
              on: { NEXT: 'innerDone', ABORT: '#m.failed', PING: {} },
            },
            innerDone: { type: 'final' },
          },
          onDone: 'checking',
        },
        checking: {
          always: [{ guard: 'isOk', target: '#m.done' }, { target: '#m.failed' }],
        },
      },
    },
    timedOut: { type: 'final' },
    done: { type: 'final' },
    failed: { type: 'final' },
  },
});

const edgeSet = (graph: MachineGraphJson) =>
  graph.edges.map(
    (edge) =>
      `${edge.source} -${edge.event}${edge.guard ? `[${edge.guard}]` : ''}-> ${edge.target}`,
  );

const mermaidEdges = (text: string) =>
  text.split('\n').filter((line) => /^ {2}\w+ --> \w+:/.test(line));

describe('toGraphJson', () => {
  it('lists the edges of every state node exactly once, eventless ones included', () => {
    expect(edgeSet(toGraphJson(nested)).sort()).toEqual(
      [
        'm -RESET-> m.idle',
        'm.idle -GO-> m.busy',
        'm.busy -xstate.after.500.m.busy-> m.timedOut',
        'm.busy.outer -xstate.done.state.m.busy.outer-> m.busy.checking',
        'm.busy.outer.inner -NEXT-> m.busy.outer.innerDone',
        'm.busy.outer.inner -ABORT-> m.failed',
        // A transition without a target is a self-loop.
        'm.busy.outer.inner -PING-> m.busy.outer.inner',
        'm.busy.checking -always[isOk]-> m.done',
        'm.busy.checking -always-> m.failed',
      ].sort(),
    );
  });

  it('lists every state but the root, with its parent, type and initial child', () => {
    const graph = toGraphJson(nested);
    expect(graph.id).toBe('m');
    expect(graph.nodes.map((node) => node.id)).toEqual([
      'm.idle',
      'm.busy',
      'm.busy.outer',
      'm.busy.outer.inner',
      'm.busy.outer.innerDone',
      'm.busy.checking',
      'm.timedOut',
      'm.done',
      'm.failed',
    ]);
    expect(graph.nodes.find((node) => node.id === 'm.busy.outer')).toEqual({
      id: 'm.busy.outer',
      key: 'outer',
      parent: 'm.busy',
      type: 'compound',
      initial: 'inner',
      description: null,
    });
    expect(graph.nodes.find((node) => node.id === 'm.done')?.type).toBe('final');
  });
});

describe('toMermaid', () => {
  const text = toMermaid(nested);

  it('draws the edges of every state node exactly once, eventless ones included', () => {
    expect(mermaidEdges(text).sort()).toEqual(
      [
        '  m --> m_idle: RESET',
        '  m_idle --> m_busy: GO',
        '  m_busy --> m_timedOut: after 500',
        '  m_busy_outer --> m_busy_checking: xstate.done.state.m.busy.outer',
        '  m_busy_outer_inner --> m_busy_outer_innerDone: NEXT',
        '  m_busy_outer_inner --> m_failed: ABORT',
        '  m_busy_outer_inner --> m_busy_outer_inner: PING',
        '  m_busy_checking --> m_done: always [isOk]',
        '  m_busy_checking --> m_failed: always',
      ].sort(),
    );
  });

  it('nests compound states, and marks initial and final states', () => {
    expect(text).toContain(
      [
        '  state "busy" as m_busy {',
        '    state "outer" as m_busy_outer {',
        '      state "inner" as m_busy_outer_inner',
        '      state "innerDone" as m_busy_outer_innerDone',
        '      m_busy_outer_innerDone --> [*]',
        '      [*] --> m_busy_outer_inner',
        '    }',
        '    state "checking" as m_busy_checking',
        '    [*] --> m_busy_outer',
        '  }',
      ].join('\n'),
    );
    expect(text).toMatch(/^stateDiagram-v2\n/);
    expect(text).toContain('\n  [*] --> m_idle\n');
    for (const final of ['timedOut', 'done', 'failed']) {
      expect(text).toContain(`\n  m_${final} --> [*]\n`);
    }
  });
});

describe('the manifest machines', async () => {
  const manifest = await loadManifest(resolve(root, 'stately.config.json'));
  const machines: Array<[string, AnyStateMachine]> = [];
  for (const entry of manifest.machines)
    machines.push([entry.name, await loadMachine(entry, root)]);

  it.each(machines)(
    '%s: every transition definition is an edge, and no edge twice',
    (_, machine) => {
      const graph = toGraphJson(machine);
      const keys = [...allTransitionKeys(machine)];
      expect(keys.length).toBeGreaterThan(0);
      // `transitionKey` writes a transition without a target as `--> (self)`; the graph draws a self-loop.
      const edgeKeys = graph.edges.map((edge) => {
        const head = `${edge.source} --${edge.event}${edge.guard ? ` [${edge.guard}]` : ''}--> `;
        return keys.includes(`${head}${edge.target}`) ? `${head}${edge.target}` : `${head}(self)`;
      });
      expect(new Set(edgeKeys)).toEqual(new Set(keys));
      expect(edgeKeys).toHaveLength(new Set(edgeKeys).size);

      const drawn = mermaidEdges(toMermaid(machine));
      expect(drawn).toHaveLength(graph.edges.length);
      expect(new Set(drawn).size).toBe(drawn.length);
    },
  );
});
