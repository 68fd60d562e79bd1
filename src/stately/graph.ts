/** Machine diagrams for docs and tooling: Mermaid `stateDiagram-v2` and plain JSON. */
import { type DirectedGraphNode, toDirectedGraph } from '@xstate/graph';
import type { AnyStateMachine } from 'xstate';

export type MachineGraphJson = {
  id: string;
  nodes: Array<{
    id: string;
    key: string;
    parent: string | null;
    type: string;
    initial: string | null;
    description: string | null;
  }>;
  edges: Array<{ source: string; target: string; event: string; guard: string | null }>;
};

export function toGraphJson(machine: AnyStateMachine): MachineGraphJson {
  const root = toDirectedGraph(machine);
  const nodes: MachineGraphJson['nodes'] = [];
  walk(root, null, (node, parent) => {
    // The root is the machine itself, not a state; its edges are still listed below.
    if (parent === null) return;
    const initial = node.stateNode.config.initial;
    nodes.push({
      id: node.id,
      key: node.stateNode.key,
      parent,
      type: node.stateNode.type,
      initial: typeof initial === 'string' ? initial : null,
      description: node.stateNode.description ?? null,
    });
  });
  const edges = collectEdges(root).map((edge) => ({
    source: edge.source,
    target: edge.target,
    event: edge.event,
    guard: edge.guard,
  }));
  return { id: machine.id, nodes, edges };
}

export function toMermaid(machine: AnyStateMachine): string {
  const root = toDirectedGraph(machine);
  const lines = ['stateDiagram-v2'];
  const render = (node: DirectedGraphNode, indent: string) => {
    const initial = node.stateNode.config.initial;
    for (const child of node.children) {
      if (child.children.length > 0) {
        lines.push(`${indent}state "${child.stateNode.key}" as ${mermaidId(child.id)} {`);
        render(child, `${indent}  `);
        lines.push(`${indent}}`);
      } else {
        lines.push(`${indent}state "${child.stateNode.key}" as ${mermaidId(child.id)}`);
      }
      if (child.stateNode.description) {
        lines.push(
          `${indent}note right of ${mermaidId(child.id)}: ${oneLine(child.stateNode.description)}`,
        );
      }
      if (child.stateNode.type === 'final') lines.push(`${indent}${mermaidId(child.id)} --> [*]`);
    }
    if (typeof initial === 'string') {
      const first = node.children.find((child) => child.stateNode.key === initial);
      if (first) lines.push(`${indent}[*] --> ${mermaidId(first.id)}`);
    }
  };
  render(root, '  ');
  // Edges come after every state block: Mermaid resolves their ids across blocks,
  // and an edge that leaves a compound state belongs to no single block.
  for (const edge of collectEdges(root)) {
    const label = `${eventLabel(edge.event)}${edge.guard ? ` [${edge.guard}]` : ''}`;
    lines.push(`  ${mermaidId(edge.source)} --> ${mermaidId(edge.target)}: ${label}`);
  }
  return `${lines.join('\n')}\n`;
}

type Edge = { source: string; target: string; event: string; guard: string | null };

type TransitionLike = {
  readonly eventType: string;
  readonly target?: ReadonlyArray<{ readonly id: string }> | undefined;
  readonly guard?: unknown;
};

/**
 * One edge per transition and target, for every state node of the graph, in
 * document order. A transition without a target is drawn as a self-loop, as
 * `toDirectedGraph` does.
 */
function collectEdges(root: DirectedGraphNode): Edge[] {
  const edges: Edge[] = [];
  walk(root, null, (node) => {
    for (const edge of node.edges) {
      edges.push({
        source: edge.source.id,
        target: edge.target.id,
        event: edge.label.text,
        guard: guardName(edge.transition),
      });
    }
    // @xstate/graph 3.0.4 builds edges from `stateNode.transitions` only, which
    // leaves out eventless (`always`) transitions. Skipping the ones it did draw
    // keeps a later version that adds them from drawing them twice.
    const drawn = new Set<unknown>(node.edges.map((edge) => edge.transition));
    const always: readonly TransitionLike[] = node.stateNode.always ?? [];
    for (const transition of always) {
      if (drawn.has(transition)) continue;
      for (const target of transition.target ?? [node.stateNode]) {
        edges.push({
          source: node.id,
          target: target.id,
          event: 'always',
          guard: guardName(transition),
        });
      }
    }
  });
  return edges;
}

/** Visits every node of the graph once, parents before children. */
function walk(
  node: DirectedGraphNode,
  parent: string | null,
  visit: (node: DirectedGraphNode, parent: string | null) => void,
): void {
  visit(node, parent);
  for (const child of node.children) walk(child, node.id, visit);
}

function guardName(transition: TransitionLike): string | null {
  const guard = transition.guard as { type?: unknown } | string | undefined;
  if (!guard) return null;
  if (typeof guard === 'string') return guard;
  return typeof guard.type === 'string' ? guard.type : 'guard';
}

function eventLabel(event: string): string {
  const after = /^xstate\.after\.([^.]+)\./.exec(event);
  if (after) return `after ${after[1]}`;
  return event
    .replace(/^xstate\.done\.actor\./, 'done ')
    .replace(/^xstate\.error\.actor\./, 'error ');
}

const mermaidId = (id: string): string => id.replace(/[^A-Za-z0-9_]/g, '_');
const oneLine = (text: string): string => text.replace(/\s+/g, ' ').replace(/[:;]/g, ',').trim();
