/**
 * The JIT prompt compiler: for one task's context, picks the atoms that apply,
 * fits them into a token budget and renders the system prompt. Pure and
 * deterministic for a given atom set, so results are cached.
 */
import { canonicalDigest } from '../../core/index.js';
import type { Atom } from '../atoms/index.js';
import { type BudgetItem, type BudgetState, fitToBudget } from './budget.js';
import { LruCache } from './cache.js';
import { normaliseContext } from './context.js';
import { PromptBudgetTooSmallError, PromptCompilerOptionError } from './errors.js';
import { atomText, byPromptOrder, renderBrief, renderPrompt, SEPARATOR } from './render.js';
import { selectAtoms } from './selection.js';
import { buildAtomTable } from './table.js';
import { type EncodingName, tokenCounter } from './tokens.js';
import type { AtomVariant, CompilationContext, CompiledPrompt, CompileOptions } from './types.js';

export const DEFAULT_BUDGET = 2000;
export const DEFAULT_CACHE_SIZE = 256;

export type PromptCompilerOptions = {
  atoms: readonly Atom[];
  /** Tokens; default 2000. */
  budget?: number;
  encoding?: EncodingName;
  /** Compiled prompts kept (LRU); default 256, 0 disables the cache. */
  cacheSize?: number;
};

export type PromptCompiler = {
  compile(context: CompilationContext, options?: CompileOptions): CompiledPrompt;
};

function checkInteger(name: string, value: number, minimum: number): number {
  if (!Number.isSafeInteger(value) || value < minimum) {
    throw new PromptCompilerOptionError(`${name} must be an integer ≥ ${minimum}, got ${value}`, {
      details: { option: name, value },
    });
  }
  return value;
}

const VARIANT_INDEX: Record<AtomVariant, 0 | 1 | 2> = { full: 0, concise: 1, min: 2 };

export function createPromptCompiler(options: PromptCompilerOptions): PromptCompiler {
  const table = buildAtomTable(options.atoms);
  const defaultBudget = checkInteger('budget', options.budget ?? DEFAULT_BUDGET, 1);
  const encoding: EncodingName = options.encoding ?? 'o200k_base';
  const cache = new LruCache<string, CompiledPrompt>(
    checkInteger('cacheSize', options.cacheSize ?? DEFAULT_CACHE_SIZE, 0),
  );
  const counter = tokenCounter(encoding);

  // Atoms are fixed for the compiler's life, so each text is counted once.
  const sectionCounts = new Map<string, [number?, number?, number?]>();
  const sectionTokens = (atom: Atom, variant: AtomVariant): number => {
    let counts = sectionCounts.get(atom.id);
    if (!counts) {
      counts = [];
      sectionCounts.set(atom.id, counts);
    }
    const index = VARIANT_INDEX[variant];
    const known = counts[index];
    if (known !== undefined) return known;
    const counted = counter.count(atomText(atom, variant));
    counts[index] = counted;
    return counted;
  };
  let separatorTokens: number | undefined;

  function compile(
    context: CompilationContext,
    compileOptions: CompileOptions = {},
  ): CompiledPrompt {
    const budget = checkInteger('budget', compileOptions.budget ?? defaultBudget, 1);
    const normalised = normaliseContext(context);
    const cacheKey = canonicalDigest({
      atoms: table.digest,
      budget,
      context: normalised,
      encoding,
    });
    const cached = cache.get(cacheKey);
    if (cached) return cached;

    const selection = selectAtoms(table, normalised);
    const brief = renderBrief(normalised.brief);
    const briefTokens = counter.count(brief);
    separatorTokens ??= counter.count(SEPARATOR);
    const separator = separatorTokens;
    const items: BudgetItem[] = selection.chosen.map((chosen) => ({
      atom: chosen.atom,
      required: table.required.has(chosen.atom.id),
      dependencyOnly: chosen.dependencyOnly,
    }));
    const render = (state: BudgetState): string =>
      renderPrompt(
        state.sections().sort((a, b) => byPromptOrder(a.atom, b.atom)),
        brief,
      );
    const fit = fitToBudget({
      items,
      budget,
      sectionTokens,
      fixedTokens: (sections) => briefTokens + sections * separator,
      measure: (state, limit) => counter.within(render(state), limit),
    });
    if (!fit.fits) {
      throw new PromptBudgetTooSmallError(budget, counter.count(render(fit.state)), encoding);
    }

    const sections = fit.state.sections().sort((a, b) => byPromptOrder(a.atom, b.atom));
    const prompt = renderPrompt(sections, brief);
    const reasons = new Map(selection.chosen.map((chosen) => [chosen.atom.id, chosen.reason]));
    const atoms = sections.map(({ atom, variant }) => {
      const reason = reasons.get(atom.id) ?? '';
      return Object.freeze({
        id: atom.id,
        variant,
        reason: variant === 'full' ? reason : `${reason}; shortened to ${variant} under budget`,
      });
    });
    const excluded = [...selection.excluded, ...fit.state.dropped]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([id, reason]) => Object.freeze({ id, reason }));
    // Frozen: a cache hit hands the same object to every caller. (The casts
    // only drop `readonly` from the frozen arrays' types, as the contract's
    // CompiledPrompt uses plain arrays.)
    const result: CompiledPrompt = Object.freeze({
      prompt,
      atoms: Object.freeze(atoms) as CompiledPrompt['atoms'],
      excluded: Object.freeze(excluded) as CompiledPrompt['excluded'],
      tokens: counter.count(prompt),
      budget,
      cacheKey,
    });
    cache.set(cacheKey, result);
    return result;
  }

  return { compile };
}
