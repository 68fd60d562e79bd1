/**
 * Python `def` blocks by indentation: a body is every following line indented
 * deeper than its `def`, with blank and comment-only lines carried along.
 * Multi-line strings that dedent are misread; the review is a heuristic.
 */

export type FunctionSpan = {
  readonly name: string;
  /** 1-based, inclusive. */
  readonly startLine: number;
  readonly endLine: number;
};

const DEF = /^(\s*)(?:async\s+)?def\s+([A-Za-z_]\w*)/;

export function pythonFunctions(text: string): FunctionSpan[] {
  const lines = text.split(/\r?\n/);
  const spans: FunctionSpan[] = [];
  lines.forEach((line, index) => {
    const match = DEF.exec(line);
    const indent = match?.[1];
    const name = match?.[2];
    if (indent === undefined || name === undefined) return;
    const bodyFrom = signatureEnd(lines, index) + 1;
    let end = bodyFrom - 1;
    for (let next = bodyFrom; next < lines.length; next += 1) {
      const body = lines[next] ?? '';
      const trimmed = body.trim();
      if (trimmed === '' || trimmed.startsWith('#')) continue;
      if (indentOf(body) <= indent.length) break;
      end = next;
    }
    spans.push({ name, startLine: index + 1, endLine: end + 1 });
  });
  return spans;
}

/** The line where a (possibly multi-line) signature closes its parentheses. */
function signatureEnd(lines: readonly string[], start: number): number {
  let depth = 0;
  for (let index = start; index < lines.length && index < start + 50; index += 1) {
    for (const char of lines[index] ?? '') {
      if (char === '(' || char === '[') depth += 1;
      else if (char === ')' || char === ']') depth -= 1;
    }
    if (depth <= 0) return index;
  }
  return start;
}

function indentOf(line: string): number {
  return (/^\s*/.exec(line)?.[0] ?? '').replace(/\t/g, '    ').length;
}
