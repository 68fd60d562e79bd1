/**
 * What a workspace tool is: its name and description for the model, its
 * arguments and result as zod schemas (the arguments are sent to the model as
 * JSON Schema), and how it runs inside one workspace.
 */
import type { z } from 'zod';
import type { Clock } from '../core/index.js';
import type { StoreMode } from './gate/modes.js';

/** A path inside the workspace, after every check of the sandbox boundary. */
export type ResolvedPath = {
  /** Absolute, with symlinks resolved (as far as the path exists). */
  readonly absolute: string;
  /** From the workspace root, `/`-separated; `.` for the root itself. */
  readonly relative: string;
  readonly exists: boolean;
};

/** The workspace as tools see it: a root and the one way to turn user paths into paths. */
export interface Workspace {
  /** Absolute, symlinks resolved. */
  readonly root: string;
  /**
   * Resolves a path the model gave (relative to the root, or absolute) and
   * refuses, with a typed error and before any other I/O, anything that is
   * not inside the root or that names a secret file.
   */
  resolve(path: string, options?: { allowSecrets?: boolean }): Promise<ResolvedPath>;
}

export type ToolContext = {
  readonly workspace: Workspace;
  /** Aborts the tool: reads stop, commands are killed with their whole process group. */
  readonly signal: AbortSignal;
  readonly clock: Pick<Clock, 'now'>;
  /** The persona and mode the call was judged by (the store's, as the call narrowed them). */
  readonly terms: CallTerms;
};

export type CallTerms = { readonly persona: string; readonly mode: StoreMode };

/** Marks output that was cut: never silent. */
export type Truncation = { readonly truncated: boolean; readonly omitted?: number };

export type StoreTool<Args, Result> = {
  readonly name: string;
  readonly description: string;
  readonly parameters: z.ZodType<Args>;
  readonly result: z.ZodType<Result>;
  /** What the policy gate sees: the kernel's action name and the target. */
  action(args: Args): { action: string; target: string; payload: string };
  run(args: Args, context: ToolContext): Promise<Result>;
  /**
   * The tool bounds its own running time (a sub-agent has the loop's limits),
   * so the caller's per-call timeout does not apply to it.
   */
  readonly selfTimed?: boolean;
};

/**
 * Any tool, for registries. `action` and `run` are methods (checked
 * bivariantly), so every `StoreTool<Args, Result>` fits here.
 */
export type AnyStoreTool = StoreTool<unknown, unknown>;
