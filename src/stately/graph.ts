/** Machine diagrams for docs and tooling: Mermaid `stateDiagram-v2` and plain JSON. */
import { type DirectedGraphEdge, type DirectedGraphNode, toDirectedGraph } from '@xstate/graph';
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
  const edges: MachineGraphJson['edges'] = [];
  walk(root, null, (node, parent) => {
    const initial = node.stateNode.config.initial;
    nodes.push({
      id: node.id,
      key: node.stateNode.key,
      parent,
      type: node.stateNode.type,
      initial: typeof initial === 'string' ? initial : null,
      description: node.stateNode.description ?? null,
    });
    for (const edge of node.edges) {
      edges.push({
        source: edge.source.id,
        target: edge.target.id,
        event: edge.label.text,
        guard: guardName(edge),
      });
    }
  });
  return { id: machine.id, nodes, edges };
}

export function toMermaid(machine: AnyStateMachine): string {
  const root = toDirectedGraph(machine);
  const lines = ['stateDiagram-v2'];
  const edges: DirectedGraphEdge[] = [];
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
    edges.push(...node.edges);
  };
  render(root, '  ');
  for (const edge of edges) {
    const guard = guardName(edge);
    const label = `${eventLabel(edge.label.text)}${guard ? ` [${guard}]` : ''}`;
    lines.push(`  ${mermaidId(edge.source.id)} --> ${mermaidId(edge.target.id)}: ${label}`);
  }
  return `${lines.join('\n')}\n`;
}

function walk(
  node: DirectedGraphNode,
  parent: string | null,
  visit: (node: DirectedGraphNode, parent: string | null) => void,
): void {
  if (parent !== null) visit(node, parent);
  for (const child of node.children) walk(child, node.id, visit);
}

function guardName(edge: DirectedGraphEdge): string | null {
  const guard = edge.transition.guard as { type?: unknown } | string | undefined;
  if (!guard) return null;
  if (typeof guard === 'string') return guard;
  return typeof guard.type === 'string' ? guard.type : 'guard';
}

function eventLabel(event: string): string {
  const after = /^xstate\.after\.([^.]+)\./.exec(event);
  if (after) return `after ${after[1]}`;
  if (event === '') return 'always';
  return event
    .replace(/^xstate\.done\.actor\./, 'done ')
    .replace(/^xstate\.error\.actor\./, 'error ');
}

const mermaidId = (id: string): string => id.replace(/[^A-Za-z0-9_]/g, '_');
const oneLine = (text: string): string => text.replace(/\s+/g, ' ').replace(/[:;]/g, ',').trim();
