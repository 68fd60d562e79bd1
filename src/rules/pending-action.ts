/**
 * A tool call waiting for the constitution's verdict. It arrives from the
 * LLM's tool arguments, so it crosses a boundary and goes through a schema.
 */

import { z } from 'zod';
import { issueLines } from '../core/index.js';
import { InvalidPendingActionError } from './errors.js';

/** `write_file` or `/write_file`: a Mangle name, given with or without its slash. */
const nameText = z
  .string()
  .regex(/^\/?[a-z][a-z0-9_]*(\/[a-z0-9_]+)*$/, 'a name such as write_file or /coder')
  .transform((text) => text.replace(/^\//, ''));

export const pendingActionSchema = z.object({
  id: z.string().min(1),
  /** The tool: read_file, list_files, search, write_file, edit_file, delete_file, run_command, … */
  action: nameText,
  /** A path for file tools (the directory searched, for search); the command line for run_command. */
  target: z.string(),
  /** Content for writes, the query for search; "" when there is none. */
  payload: z.string().default(''),
  /** When the action was requested, in milliseconds. */
  time: z.number().int().nonnegative(),
  /** The persona of the agent asking: coder, tester, reviewer, researcher. */
  persona: nameText,
});

/** A validated action; `action` and `persona` without their leading slash. */
export type PendingAction = z.output<typeof pendingActionSchema>;
export type PendingActionInput = z.input<typeof pendingActionSchema>;

/** The action whose target is a command line rather than a path. */
export const COMMAND_ACTION = 'run_command';

/** The action whose target is the persona of a sub-agent rather than a path. */
export const DELEGATE_ACTION = 'delegate';

/** A persona as a delegation names it: `tester`, not a path. */
const personaName = /^[a-z][a-z0-9_]*$/;

export function parsePendingAction(input: unknown): PendingAction {
  const parsed = pendingActionSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = issueLines(parsed.error.issues);
  throw new InvalidPendingActionError(`invalid pending action: ${problems.join('; ')}`, {
    details: { problems },
  });
}

/** The persona a delegation's target names, or null when it names none. */
export function delegationPersona(target: string): string | null {
  return personaName.test(target) ? target : null;
}
