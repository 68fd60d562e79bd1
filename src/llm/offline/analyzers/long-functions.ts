/** Functions longer than a reader can hold in their head. */
import { extensionOf, sourceFamily } from '../paths.js';
import { braceBlocks } from './brace-blocks.js';
import type { Finding } from './findings.js';
import { functionName, headerBefore } from './function-headers.js';
import { type FunctionSpan, pythonFunctions } from './python-blocks.js';

// Elsewhere `'` opens a char literal or a Rust lifetime, not a string.
const SINGLE_QUOTED_STRINGS = new Set([
  'ts',
  'tsx',
  'mts',
  'cts',
  'js',
  'jsx',
  'mjs',
  'cjs',
  'php',
  'dart',
]);

/** Named functions and methods with their spans; brace languages and Python only. */
export function functionSpans(path: string, text: string): FunctionSpan[] {
  switch (sourceFamily(path)) {
    case 'python':
      return pythonFunctions(text);
    case 'brace':
      return braceFunctions(text, SINGLE_QUOTED_STRINGS.has(extensionOf(path)));
    case 'other':
      return [];
  }
}

export function findLongFunctions(path: string, text: string, maxLines: number): Finding[] {
  return functionSpans(path, text)
    .map((span) => ({ span, lines: span.endLine - span.startLine + 1 }))
    .filter(({ lines }) => lines > maxLines)
    .map(({ span, lines }) => ({
      kind: 'long-function',
      path,
      line: span.startLine,
      detail: `\`${span.name}\` is ${lines} lines long`,
    }));
}

function braceFunctions(text: string, singleQuotedStrings: boolean): FunctionSpan[] {
  const lines = text.split(/\r?\n/);
  const spans: FunctionSpan[] = [];
  for (const block of braceBlocks(text, singleQuotedStrings)) {
    const header = headerBefore(lines, block.openLine, block.openColumn);
    const name = header === null ? null : functionName(header.text);
    if (header === null || name === null) continue;
    spans.push({ name, startLine: header.startLine + 1, endLine: block.closeLine + 1 });
  }
  return spans;
}
