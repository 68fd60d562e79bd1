/**
 * Where in a YAML file a validation issue points. zod reports a path through
 * the parsed value (`['selectors', 'personas', 0]`); this walks the same path
 * through the YAML node tree to find an offset, so an error can say
 * `file:line:column` instead of only naming the field.
 */
import { isMap, isNode, isScalar, isSeq, type LineCounter, type Node } from 'yaml';

export type NodeLocation = {
  offset: number;
  /** False when the path does not exist (a missing field): the offset is then the nearest ancestor's. */
  found: boolean;
};

function startOf(node: Node | null | undefined, fallback: number): number {
  return node?.range?.[0] ?? fallback;
}

/**
 * The offset of the node at `path` under `root`. With `at: 'key'` the last
 * segment's key is located instead of its value (unknown keys are best shown
 * at the key). An empty value (`content:` with nothing after it) is shown at
 * its key, since it has no position of its own.
 */
export function locate(
  root: Node,
  path: readonly PropertyKey[],
  at: 'key' | 'value' = 'value',
): NodeLocation {
  let node: Node = root;
  let offset = startOf(root, 0);
  for (const [index, segment] of path.entries()) {
    const last = index === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find(
        (item) => isScalar(item.key) && String(item.key.value) === String(segment),
      );
      if (!pair) return { offset, found: false };
      const keyOffset = isScalar(pair.key) ? startOf(pair.key, offset) : offset;
      if (last && at === 'key') return { offset: keyOffset, found: true };
      if (!isNode(pair.value) || isEmptyScalar(pair.value))
        return { offset: keyOffset, found: last };
      node = pair.value;
      offset = startOf(node, keyOffset);
    } else if (isSeq(node)) {
      const item: unknown = node.items[Number(segment)];
      if (!isNode(item)) return { offset, found: false };
      node = item;
      offset = startOf(node, offset);
    } else {
      return { offset, found: false };
    }
  }
  return { offset, found: true };
}

/** `key:` with nothing after it: a null scalar that occupies no text. */
function isEmptyScalar(node: Node): boolean {
  return isScalar(node) && node.value === null && node.range?.[0] === node.range?.[1];
}

export type LineColumn = { line: number; column: number };

export function lineColumn(lineCounter: LineCounter, offset: number): LineColumn {
  const { line, col } = lineCounter.linePos(offset);
  // linePos reports line 0 for an offset before the first newline it saw
  // (a one-line file without a trailing newline): that is still line 1.
  return { line: Math.max(line, 1), column: Math.max(col, 1) };
}

/** `['selectors', 'personas', 0]` → `selectors.personas[0]`, the way a person reads YAML. */
export function fieldName(path: readonly PropertyKey[]): string | null {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? String(segment) : `.${String(segment)}`;
  }
  return out === '' ? null : out;
}
