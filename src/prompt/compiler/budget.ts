/**
 * Fitting the chosen atoms into the token budget.
 *
 * First the always-present atoms (mandatory ones and what they depend on)
 * must fit on their own with the brief: if they do not, they are shortened,
 * lowest priority first, to concise and then min text (dependencies before
 * mandatory atoms). If even that is over, the budget is too small.
 *
 * Then, while the whole prompt is over (each step is taken only then):
 *   1. non-mandatory atoms, lowest priority first, to their concise text;
 *   2. the same, to their min text;
 *   3. optional atoms dropped, lowest priority first, never one that a
 *      remaining atom depends on (atoms there only as dependencies of a
 *      dropped atom go with it).
 * Step 3 ends, at worst, at the always-present atoms alone, which fit. After
 * a fit, atoms get their fuller text back, highest priority first, where the
 * room freed by the last step allows: it often frees more than was needed.
 *
 * Token counts of single sections are summed as an estimate (BPE counts are
 * not exactly additive across joins), and every fit is confirmed by counting
 * the real rendered prompt, so the result never exceeds the budget.
 */
import type { Atom } from '../atoms/index.js';
import { MinHeap } from './heap.js';
import type { AtomVariant } from './types.js';

export type BudgetItem = {
  atom: Atom;
  /** Never dropped: mandatory, or needed by a mandatory atom. */
  required: boolean;
  dependencyOnly: boolean;
};

export type Section = { atom: Atom; variant: AtomVariant };

export type BudgetState = {
  /** The atoms kept, in rank order, with the text variant of each. */
  sections(): Section[];
  readonly dropped: ReadonlyMap<string, string>;
};

export type FitInput = {
  /** In rank order, highest first. */
  items: readonly BudgetItem[];
  budget: number;
  /** Tokens of one atom's text in one variant. */
  sectionTokens(atom: Atom, variant: AtomVariant): number;
  /** Tokens of what is not an atom section (the brief, the separators) for this many sections. */
  fixedTokens(sections: number): number;
  /** The exact count of the prompt for this state when it is within `limit`, else false. */
  measure(state: BudgetState, limit: number): number | false;
};

export type FitResult =
  | { fits: true; state: BudgetState; tokens: number }
  /** `state` is the smallest prompt there is: the always-present atoms at their shortest. */
  | { fits: false; state: BudgetState };

const VARIANTS: readonly AtomVariant[] = ['full', 'concise', 'min'];

export function variantsOf(atom: Atom): AtomVariant[] {
  return VARIANTS.filter(
    (variant) =>
      variant === 'full' ||
      (variant === 'concise' ? atom.content_concise : atom.content_min) !== undefined,
  );
}

const shorter = (a: AtomVariant, b: AtomVariant): boolean =>
  VARIANTS.indexOf(a) > VARIANTS.indexOf(b);

/** A selection being fitted, with a running token total so each step costs O(1). */
class Fitting implements BudgetState {
  readonly dropped = new Map<string, string>();
  private readonly variants = new Map<string, AtomVariant>();
  private readonly byId = new Map<string, BudgetItem>();
  /** How many kept atoms depend directly on each atom. */
  private readonly dependents = new Map<string, number>();
  private count = 0;
  private total = 0;
  /** The estimate's error at the last exact count that fitted; used to guess what else fits. */
  private slack = 0;
  /** Told when the last kept dependent of an optional atom is dropped. */
  onFreed: ((item: BudgetItem) => void) | undefined;

  constructor(
    private readonly input: FitInput,
    readonly items: readonly BudgetItem[],
    start: (item: BudgetItem) => AtomVariant = () => 'full',
  ) {
    for (const item of items) {
      const variant = start(item);
      this.byId.set(item.atom.id, item);
      this.variants.set(item.atom.id, variant);
      this.total += input.sectionTokens(item.atom, variant);
      this.count += 1;
    }
    for (const item of items) {
      for (const dependency of new Set(item.atom.depends_on ?? [])) {
        if (this.byId.has(dependency)) {
          this.dependents.set(dependency, (this.dependents.get(dependency) ?? 0) + 1);
        }
      }
    }
  }

  sections(): Section[] {
    return this.items
      .filter((item) => !this.dropped.has(item.atom.id))
      .map((item) => ({ atom: item.atom, variant: this.variant(item.atom.id) }));
  }

  estimate(): number {
    return this.total + this.input.fixedTokens(this.count);
  }

  /**
   * The exact count when the prompt fits, else false. Joining sections can
   * merge tokens across a boundary, so the real count may be somewhat lower
   * than the sum (about a token per join); only when even that allowance
   * leaves the estimate over is the exact count skipped.
   */
  check(): number | false {
    const estimated = this.estimate();
    if (estimated - (this.count + 1) > this.input.budget) return false;
    return this.measure(estimated);
  }

  /** The exact count when within the budget, else false; never skipped. */
  measure(estimated = this.estimate()): number | false {
    const exact = this.input.measure(this, this.input.budget);
    if (exact !== false) this.slack = exact - estimated;
    return exact;
  }

  /** Whether the estimate, corrected by the last known error, is within the budget. */
  looksFitting(): boolean {
    return this.estimate() + this.slack <= this.input.budget;
  }

  variant(id: string): AtomVariant {
    return this.variants.get(id) ?? 'full';
  }

  isKept(id: string): boolean {
    return this.byId.has(id) && !this.dropped.has(id);
  }

  isNeeded(id: string): boolean {
    return (this.dependents.get(id) ?? 0) > 0;
  }

  /** Whether switching to `to` is a shortening that saves tokens (a "min" text may not be smaller). */
  saves(item: BudgetItem, to: AtomVariant): boolean {
    const current = this.variant(item.atom.id);
    return (
      shorter(to, current) &&
      this.input.sectionTokens(item.atom, to) < this.input.sectionTokens(item.atom, current)
    );
  }

  setVariant(item: BudgetItem, variant: AtomVariant): void {
    const before = this.variant(item.atom.id);
    this.total +=
      this.input.sectionTokens(item.atom, variant) - this.input.sectionTokens(item.atom, before);
    this.variants.set(item.atom.id, variant);
  }

  drop(item: BudgetItem, reason: string): void {
    const id = item.atom.id;
    if (!this.isKept(id)) return;
    this.dropped.set(id, reason);
    this.total -= this.input.sectionTokens(item.atom, this.variant(id));
    this.count -= 1;
    for (const dependency of new Set(item.atom.depends_on ?? [])) {
      const target = this.byId.get(dependency);
      if (!target) continue;
      const left = (this.dependents.get(dependency) ?? 0) - 1;
      this.dependents.set(dependency, left);
      if (left > 0 || target.required) continue;
      // An atom that was there only for this one has no reason to stay.
      if (target.dependencyOnly) this.drop(target, `dropped under budget (only needed by ${id})`);
      else this.onFreed?.(target);
    }
  }

  /** Kept atoms that depend on `id`, transitively. */
  keptDependents(id: string): BudgetItem[] {
    const out: BudgetItem[] = [];
    const seen = new Set([id]);
    const pending = [id];
    for (let next = pending.shift(); next !== undefined; next = pending.shift()) {
      for (const item of this.items) {
        if (seen.has(item.atom.id) || !this.isKept(item.atom.id)) continue;
        if (!(item.atom.depends_on ?? []).includes(next)) continue;
        seen.add(item.atom.id);
        out.push(item);
        pending.push(item.atom.id);
      }
    }
    return out;
  }
}

/** Takes steps until the prompt fits; the exact count, or false when the steps ran out. */
function runUntilFit(fitting: Fitting, steps: Iterable<void>): number | false {
  const first = fitting.check();
  if (first !== false) return first;
  for (const _step of steps) {
    const tokens = fitting.check();
    if (tokens !== false) return tokens;
  }
  // The last state is the smallest: count it exactly before giving up, so a
  // budget equal to its count always compiles.
  return fitting.measure();
}

export function fitToBudget(input: FitInput): FitResult {
  const core = new Fitting(
    input,
    input.items.filter((item) => item.required),
  );
  const coreSteps = function* (): Generator<void> {
    yield* shorten(core, (item) => !item.atom.mandatory, 'concise');
    yield* shorten(core, (item) => !item.atom.mandatory, 'min');
    yield* shorten(core, (item) => item.atom.mandatory, 'concise');
    yield* shorten(core, (item) => item.atom.mandatory, 'min');
  };
  if (runUntilFit(core, coreSteps()) === false) return { fits: false, state: core };

  const fitting = new Fitting(input, input.items, (item) =>
    item.required ? core.variant(item.atom.id) : 'full',
  );
  const steps = function* (): Generator<void> {
    yield* shorten(fitting, (item) => !item.atom.mandatory, 'concise');
    yield* shorten(fitting, (item) => !item.atom.mandatory, 'min');
    yield* drops(fitting);
  };
  const tokens = runUntilFit(fitting, steps());
  if (tokens !== false) return { fits: true, state: fitting, tokens: restore(fitting, tokens) };
  // Only reachable if a shorter variant counts more tokens after joining than
  // the text it replaced: fall back to the always-present atoms as they fitted.
  const fallback = new Fitting(input, input.items, (item) =>
    item.required ? core.variant(item.atom.id) : 'full',
  );
  for (const item of input.items) {
    if (!item.required) fallback.drop(item, 'dropped under budget');
  }
  const counted = fallback.measure();
  return counted === false
    ? { fits: false, state: fallback }
    : { fits: true, state: fallback, tokens: counted };
}

/** Shortens the matching atoms to `to`, lowest priority first, one step per atom. */
function* shorten(
  fitting: Fitting,
  which: (item: BudgetItem) => boolean,
  to: AtomVariant,
): Generator<void> {
  for (let index = fitting.items.length - 1; index >= 0; index--) {
    const item = fitting.items[index];
    if (!item || !which(item) || !fitting.isKept(item.atom.id)) continue;
    if (!variantsOf(item.atom).includes(to) || !fitting.saves(item, to)) continue;
    fitting.setVariant(item, to);
    yield;
  }
}

/** Drops optional atoms, lowest priority first, one step per drop. */
function* drops(fitting: Fitting): Generator<void> {
  const lowestFirst = [...fitting.items].reverse().filter((item) => !item.required);
  const position = new Map(lowestFirst.map((item, index) => [item.atom.id, index]));
  // Atoms nothing kept depends on, by position: the next drop is the smallest.
  // An atom joins when its last dependent goes.
  const leaves = new MinHeap();
  for (const [index, item] of lowestFirst.entries()) {
    if (fitting.isKept(item.atom.id) && !fitting.isNeeded(item.atom.id)) leaves.push(index);
  }
  fitting.onFreed = (item) => {
    const index = position.get(item.atom.id);
    if (index !== undefined) leaves.push(index);
  };
  let start = 0;
  try {
    for (;;) {
      let leaf: BudgetItem | undefined;
      while (!leaf && leaves.size > 0) {
        const item = lowestFirst[leaves.pop() ?? -1];
        if (item && fitting.isKept(item.atom.id) && !fitting.isNeeded(item.atom.id)) leaf = item;
      }
      if (leaf) {
        fitting.drop(leaf, 'dropped under budget');
        yield;
        continue;
      }
      while (start < lowestFirst.length && !fitting.isKept(lowestFirst[start]?.atom.id ?? '')) {
        start += 1;
      }
      const lowest = lowestFirst[start];
      if (!lowest) return;
      // No leaf but atoms left: only dependency cycles remain. The lowest atom
      // goes with everything that needs it (none of which is required, or it
      // would be required too).
      const group = fitting.keptDependents(lowest.atom.id);
      fitting.drop(lowest, 'dropped under budget');
      for (const item of group) {
        fitting.drop(item, `dropped under budget (depends on ${lowest.atom.id})`);
      }
      yield;
    }
  } finally {
    fitting.onFreed = undefined;
  }
}

/** Gives fuller text back, highest priority first, while it still fits; returns the exact count. */
function restore(fitting: Fitting, tokens: number): number {
  const undo: Array<{ item: BudgetItem; variant: AtomVariant }> = [];
  for (const item of fitting.items) {
    const id = item.atom.id;
    if (!fitting.isKept(id)) continue;
    const current = fitting.variant(id);
    for (const variant of variantsOf(item.atom)) {
      if (!shorter(current, variant)) break;
      fitting.setVariant(item, variant);
      if (fitting.looksFitting()) {
        undo.push({ item, variant: current });
        break;
      }
      fitting.setVariant(item, current);
    }
  }
  for (;;) {
    // With every restore undone, the state is the one measured to fit.
    if (undo.length === 0) return tokens;
    const exact = fitting.measure();
    if (exact !== false) return exact;
    const last = undo.pop();
    if (last) fitting.setVariant(last.item, last.variant);
  }
}
