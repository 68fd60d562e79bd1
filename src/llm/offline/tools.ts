/**
 * The workspace tools the offline model calls, by name, and the calls it
 * plans, with arguments the store's tools accept (`src/store/tools/*.ts`,
 * `src/store/command/tool.ts`). A call's key (name + canonical arguments) is
 * how a later step recognises that it already asked for something.
 */
import { canonicalJsonText } from '../../core/index.js';
export const TOOL = {
  listFiles: 'list_files',
  readFile: 'read_file',
  search: 'search',
  runCommand: 'run_command',
} as const;

export type ToolName = (typeof TOOL)[keyof typeof TOOL];

export type PlannedCall = {
  readonly name: ToolName;
  readonly args: Readonly<Record<string, string | number | boolean>>;
};

export const listFiles = (path: string, recursive: boolean): PlannedCall => ({
  name: TOOL.listFiles,
  args: { path, recursive },
});

export const readFile = (path: string): PlannedCall => ({ name: TOOL.readFile, args: { path } });

/**
 * A search for `text` as written: `search` takes a JavaScript regular
 * expression, so the text is escaped. The rules read only the matching lines,
 * so no context lines are asked for.
 */
export const searchFor = (text: string): PlannedCall => ({
  name: TOOL.search,
  args: { pattern: escapeRegExp(text), contextLines: 0 },
});

export const runCommand = (command: string): PlannedCall => ({
  name: TOOL.runCommand,
  args: { command },
});

/** `a.b(c` → `a\.b\(c`: a pattern that matches exactly the text. */
export function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
}

export function plannedKey(call: PlannedCall): string {
  return callKey(call.name, call.args);
}

/** Stable across key order, so a re-serialised call still matches. */
export function callKey(name: string, args: unknown): string {
  return `${name} ${canonicalJsonText(args)}`;
}

/** How a call is shown in answers and notes: `read_file(src/a.ts)`. */
export function describeCall(call: PlannedCall): string {
  const shown = Object.values(call.args)
    .filter((value): value is string => typeof value === 'string')
    .join(', ');
  return `${call.name}(${shown})`;
}
