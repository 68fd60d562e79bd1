/**
 * What a planner sees: the brief, the settings, and the results of calls
 * already made this turn. `ask` is the one way to request more; it refuses
 * (and notes why) when a tool is not offered or the step budget is spent,
 * so every planner degrades to an answer with what it has.
 */
import type { Brief } from './brief.js';
import type { OfflineSettings } from './options.js';
import type { PlannedCall } from './tools.js';
import { describeCall, plannedKey } from './tools.js';
import type { Turn } from './turn.js';

export type Step =
  | { readonly kind: 'calls'; readonly text: string; readonly calls: readonly PlannedCall[] }
  | { readonly kind: 'answer'; readonly body: string };

export type PlanContext = {
  readonly brief: Brief;
  readonly settings: OfflineSettings;
  /**
   * The JSON object a call returned; null when there is none to use (the call
   * failed, or its result was unreadable: noted); undefined when it was not made.
   */
  result(call: PlannedCall): Readonly<Record<string, unknown>> | null | undefined;
  /** A step with the calls not made yet, or null when none can be made now. */
  ask(calls: readonly PlannedCall[], text: string): Step | null;
  has(tool: PlannedCall['name']): boolean;
  note(text: string): void;
  notes(): readonly string[];
};

export function createPlanContext(
  brief: Brief,
  settings: OfflineSettings,
  turn: Turn,
  offered: ReadonlySet<string>,
): PlanContext {
  // A Set keeps notes in first-seen order and says each thing once.
  const notes = new Set<string>(brief.notes);
  const note = (text: string) => {
    notes.add(text);
  };

  function result(call: PlannedCall): Readonly<Record<string, unknown>> | null | undefined {
    const record = turn.records.get(plannedKey(call));
    if (record === undefined) return undefined;
    const outcome = record.outcome;
    const shown = describeCall(call);
    switch (outcome.kind) {
      case 'ok':
        return outcome.value;
      case 'failed':
        note(
          `${shown} failed (${outcome.code})${outcome.message === '' ? '' : `: ${outcome.message}`}`,
        );
        return null;
      case 'unanswered':
        note(`${shown} got no tool result; treated as empty.`);
        return null;
      case 'oversized':
        note(
          `${shown} returned ${outcome.chars} characters, over the limit of ${settings.maxToolResultChars}; treated as empty.`,
        );
        return null;
      case 'malformed':
        note(`${shown} returned an unreadable result (${outcome.reason}); treated as empty.`);
        return null;
    }
  }

  function ask(calls: readonly PlannedCall[], text: string): Step | null {
    const wanted = calls.filter((call) => turn.records.get(plannedKey(call)) === undefined);
    if (wanted.length === 0) return null;
    const missing = [...new Set(wanted.map((call) => call.name))].filter(
      (name) => !offered.has(name),
    );
    for (const name of missing) {
      note(`The \`${name}\` tool was not offered, so the offline model could not use it.`);
    }
    const possible = wanted.filter((call) => offered.has(call.name));
    if (possible.length === 0) return null;
    if (turn.toolSteps >= settings.maxSteps) {
      note(
        `Stopped after ${turn.toolSteps} tool steps (the limit); answering with what was found.`,
      );
      return null;
    }
    return { kind: 'calls', text, calls: possible };
  }

  return {
    brief,
    settings,
    result,
    ask,
    has: (tool) => offered.has(tool),
    note,
    notes: () => [...notes],
  };
}
