/**
 * The context as the compiler uses it: names normalised like selector values,
 * lists de-duplicated and sorted (their order carries no meaning for
 * selection), brief fields that must stay on one line flattened. Two contexts
 * that normalise the same compile to the same prompt and share a cache entry.
 */
import { normaliseName } from '../atoms/index.js';
import type { CompilationContext } from './types.js';

export type NormalisedContext = {
  persona: string;
  intentVerb: string;
  languages: string[];
  frameworks: string[];
  worldStates: string[];
  brief: { persona: string; target: string | null; testCommand: string | null; task: string };
  model: string | null;
};

const names = (values: readonly string[]): string[] =>
  [...new Set(values.map(normaliseName).filter((value) => value !== ''))].sort();

// A newline inside `Target:` would start a new line that readers of the brief
// might take for another field; the value is folded onto its line instead.
const oneLine = (text: string): string => text.replace(/\s*[\r\n]+\s*/g, ' ').trim();

const optionalLine = (text: string | undefined): string | null => {
  const line = text === undefined ? '' : oneLine(text);
  return line === '' ? null : line;
};

export function normaliseContext(context: CompilationContext): NormalisedContext {
  return {
    persona: normaliseName(context.persona),
    intentVerb: normaliseName(context.intentVerb),
    languages: names(context.languages),
    frameworks: names(context.frameworks),
    worldStates: names(context.worldStates),
    brief: {
      persona: normaliseName(oneLine(context.brief.persona)),
      target: optionalLine(context.brief.target),
      testCommand: optionalLine(context.brief.testCommand),
      task: context.brief.task.trim(),
    },
    model: context.model === undefined ? null : context.model,
  };
}
