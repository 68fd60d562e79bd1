/**
 * The CompilationContext for one task, read from the kernel in the ORIENT
 * stage: the intent's persona, verb, languages, frameworks, world states and
 * test command, plus the brief the prompt ends with.
 */
import { type Kernel, pattern, stringValue, type Value } from '../../kernel/index.js';
import type { Intent } from '../../perception/index.js';
import type { CompilationContext } from '../compiler/index.js';
import { UnroutedIntentError } from '../config/index.js';

const nameText = (value: Value | undefined): string[] =>
  value?.type === 'name' ? [value.value.replace(/^\//, '')] : [];
const stringText = (value: Value | undefined): string[] =>
  value?.type === 'string' ? [value.value] : [];

/** Sorted, without duplicates: the context must not depend on fact order. */
const distinct = (values: string[]): string[] => [...new Set(values)].sort();

export function buildCompilationContext(
  kernel: Kernel,
  intent: Intent,
  options: { task: string; model?: string },
): CompilationContext {
  const id = stringValue(intent.id);
  const ask = (predicate: string, args: ReadonlyArray<Value | string>, variable: string) =>
    kernel.query(pattern(predicate, args)).map((answer) => answer.bindings[variable]);
  const persona = distinct(ask('persona', [id, 'P'], 'P').flatMap(nameText))[0];
  if (persona === undefined) {
    throw new UnroutedIntentError(`no persona was derived for intent ${JSON.stringify(intent.id)}`);
  }
  // The target's own language first, then the workspace's.
  const own = distinct(ask('intent_language', [id, 'L'], 'L').flatMap(nameText));
  const workspace = distinct(ask('workspace_language', ['L'], 'L').flatMap(nameText));
  const languages = [...own, ...workspace.filter((language) => !own.includes(language))];
  const testCommand = distinct(ask('intent_test_command', [id, 'C'], 'C').flatMap(stringText))[0];
  return {
    persona,
    intentVerb: intent.verb.replace(/^\//, ''),
    languages,
    frameworks: distinct(ask('test_framework', ['F'], 'F').flatMap(nameText)),
    worldStates: distinct(ask('world_state', ['S'], 'S').flatMap(nameText)),
    brief: {
      persona,
      ...(intent.target ? { target: intent.target } : {}),
      ...(testCommand ? { testCommand } : {}),
      task: options.task,
    },
    ...(options.model ? { model: options.model } : {}),
  };
}
