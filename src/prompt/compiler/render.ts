/** The prompt text: atom sections in a fixed order, then the brief, joined by blank lines. */
import { type Atom, CATEGORIES } from '../atoms/index.js';
import type { NormalisedContext } from './context.js';
import type { AtomVariant } from './types.js';

export const SEPARATOR = '\n\n';

const CATEGORY_ORDER = new Map<string, number>(
  CATEGORIES.map((category, index) => [category, index]),
);

/** Category order, then priority (highest first), then id: independent of input order. */
export function byPromptOrder(a: Atom, b: Atom): number {
  return (
    (CATEGORY_ORDER.get(a.category) ?? 0) - (CATEGORY_ORDER.get(b.category) ?? 0) ||
    b.priority - a.priority ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
}

export function atomText(atom: Atom, variant: AtomVariant): string {
  // A missing variant never reaches here (the budget only picks existing
  // ones); falling back to the full text keeps the function total.
  if (variant === 'concise') return atom.content_concise ?? atom.content;
  if (variant === 'min') return atom.content_min ?? atom.content;
  return atom.content;
}

/**
 * The brief, always last. Readers (the offline model among them) take the
 * first `Persona:` / `Target:` / `Test command:` line of the system prompt;
 * atoms are refused at load if they contain such lines, so these are the first.
 */
export function renderBrief(brief: NormalisedContext['brief']): string {
  const lines = [`Persona: /${brief.persona}`];
  if (brief.target !== null) lines.push(`Target: ${brief.target}`);
  if (brief.testCommand !== null) lines.push(`Test command: ${brief.testCommand}`);
  lines.push(`Task: ${brief.task}`);
  return lines.join('\n');
}

/** `sections` must already be in prompt order. */
export function renderPrompt(
  sections: ReadonlyArray<{ atom: Atom; variant: AtomVariant }>,
  brief: string,
): string {
  return [...sections.map(({ atom, variant }) => atomText(atom, variant)), brief].join(SEPARATOR);
}
