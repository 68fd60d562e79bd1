/** How the offline model's final answers read: disclaimer first, notes last. */

/** The first line of every final answer, so no one mistakes rules for a model. */
export const OFFLINE_DISCLAIMER =
  "[nerdloop offline model] No LLM was called: this answer comes from nerdloop's built-in rules.";

/** What to do to get a real model; the coder persona and tool-less answers point here. */
export const REAL_MODEL_HINT =
  'Editing code needs a real model: set OPENAI_BASE_URL (any OpenAI-compatible endpoint), ' +
  'OPENAI_API_KEY and NERDLOOP_MODEL, then run nerdloop again.';

export function formatAnswer(body: string, notes: readonly string[]): string {
  const parts = [OFFLINE_DISCLAIMER, body.trim()];
  if (notes.length > 0) parts.push(section('Notes', notes, Number.MAX_SAFE_INTEGER));
  return `${parts.filter((part) => part !== '').join('\n\n')}\n`;
}

/** A titled bullet list with its count, cut at `max` entries with "… and N more". */
export function section(title: string, items: readonly string[], max: number): string {
  if (items.length === 0) return `${title}: none.`;
  const shown = items.slice(0, max).map((item) => `- ${item}`);
  if (items.length > max) shown.push(`- … and ${items.length - max} more`);
  return `${title} (${items.length}):\n${shown.join('\n')}`;
}

/** A fenced block whose fence cannot be closed by the quoted text. */
export function fenced(lines: readonly string[]): string {
  const longest = Math.max(2, ...lines.map((line) => /`+/.exec(line)?.[0].length ?? 0));
  const fence = '`'.repeat(longest + 1);
  return `${fence}\n${lines.join('\n')}\n${fence}`;
}
