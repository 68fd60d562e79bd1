/**
 * The evaluation engine: relations, base facts, stratified semi-naive
 * evaluation to a fixpoint, and incremental maintenance when base facts are
 * asserted or retracted.
 *
 * Incremental strategy, stratum by stratum in dependency order:
 * - only additions reach a stratum that reads them positively → semi-naive
 *   rounds seeded with the added facts (nothing is recomputed);
 * - a removal read positively by a non-recursive stratum without
 *   aggregation or transforms → delete-and-rederive (DRed): only the facts
 *   that lost a derivation and have no other are removed (tiny strata are
 *   simply recomputed, which costs less there);
 * - any other removal, or any change under a negation or an aggregation →
 *   that stratum alone is recomputed from its base facts;
 * and the difference (added, removed) travels on to the strata that read it.
 * Strata that read nothing that changed are not touched.
 *
 * External predicates: a callback is asked once per distinct inputs, and its
 * answers join the predicate's relation, where they stay — the external
 * relation is taken as stable — until `refreshExternal` forgets them and
 * recomputes the strata that ask it.
 *
 * A maintenance step that throws (a callback failing, an evaluation error)
 * is undone: the base change is reverted and the model re-evaluated.
 */
import { type Position, type Term, type Value, valueKey } from './ast.js';
import { show } from './builtins.js';
import { formatPosition, MangleBoundError } from './errors.js';
import {
  applyTransforms,
  type Frame,
  headValues,
  type PlanSources,
  type Row,
  runPlan,
} from './evaluate.js';
import { callExternal, type RegisteredExternal } from './external.js';
import { compileBody, type Step } from './plan.js';
import {
  type CompiledRule,
  deltaPlan,
  type PredicateInfo,
  type Program,
  type Stratum,
} from './program.js';
import { type Fact, Relation, tupleKey } from './relation.js';

export type BoundsMode = 'enforce' | 'warn' | 'ignore';

/**
 * `naive` re-runs every rule on whole relations until nothing is new: the
 * textbook baseline the benchmarks compare semi-naive evaluation against.
 */
export type EvaluationStrategy = 'seminaive' | 'naive';

/**
 * A problem the kernel reports and goes on: a tuple outside its declared
 * `bound` under `bounds: 'warn'`.
 */
export type KernelWarning = {
  readonly code: 'bound_violation';
  /** Starts with `file:line:column` when `at` is known. */
  readonly message: string;
  readonly predicate: string;
  /** The offending tuple. */
  readonly values: readonly Value[];
  /**
   * Where the tuple comes from: the fact in its file, the rule that derived
   * it, or the premise whose external callback answered it. Absent for a
   * fact given to `assert`.
   */
  readonly at?: Position;
  /** The `Decl` whose bound it violates. */
  readonly declaredAt: Position;
};

type Change = { added: Map<string, Fact>; removed: Map<string, Fact> };

type Shape = { members: Set<string>; rules: CompiledRule[]; rederivable: boolean };

/** A rule's body planned with the head's variables bound, and where each lands in the frame. */
type HeadBound = { steps: readonly Step[]; slots: readonly [number, number][] };

const NO_DELTA: readonly Fact[] = [];
/** Strata with fewer facts than this are recomputed on a removal (see Engine#small). */
const RECOMPUTE_BELOW = 32;
const NO_SEEDS: ReadonlyMap<string, Fact[]> = new Map();

export class Engine {
  readonly #program: Program;
  readonly #relations = new Map<string, Relation>();
  /** Base facts (from source or asserted), per predicate. */
  readonly #base = new Map<string, Map<string, Fact>>();
  readonly #bounds: BoundsMode;
  readonly #warn: (warning: KernelWarning) => void;
  readonly #strategy: EvaluationStrategy;
  /** For each predicate, the strata with a rule that reads it. */
  readonly #readerStrata = new Map<string, number[]>();
  /** For each external predicate, the strata with a rule that asks it. */
  readonly #externalReaders = new Map<string, number[]>();
  readonly #externals: ReadonlyMap<string, RegisteredExternal>;
  /**
   * For each external predicate, the keys of the inputs its callback has
   * answered. Those answers are in its relation; inputs not here have not
   * been asked yet.
   */
  readonly #asked = new Map<string, Set<string>>();
  /** A failed step could not be undone either: re-evaluate before the next use. */
  #stale = false;
  #rank = 0;
  /** Made once: every plan run reads relations through it. */
  readonly #relationOf = (predicate: string): Relation => this.relation(predicate);

  constructor(
    program: Program,
    options: {
      bounds: BoundsMode;
      onWarning: (warning: KernelWarning) => void;
      strategy?: EvaluationStrategy;
      externals?: ReadonlyMap<string, RegisteredExternal>;
    },
  ) {
    this.#program = program;
    this.#strategy = options.strategy ?? 'seminaive';
    this.#bounds = options.bounds;
    this.#warn = options.onWarning;
    this.#externals = options.externals ?? new Map();
    const note = (into: Map<string, number[]>, name: string, stratum: number) => {
      const list = into.get(name) ?? [];
      if (!list.includes(stratum)) list.push(stratum);
      into.set(name, list);
    };
    for (const rule of program.rules) {
      const stratum = program.predicates.get(rule.predicate)?.stratum ?? 0;
      for (const name of [...rule.scans.map((scan) => scan.predicate), ...rule.negated]) {
        note(this.#readerStrata, name, stratum);
      }
      for (const name of rule.externals) note(this.#externalReaders, name, stratum);
    }
    for (const info of program.predicates.values()) {
      this.#relations.set(info.name, new Relation(info.arity));
      this.#base.set(info.name, new Map());
    }
  }

  relation(predicate: string): Relation {
    const relation = this.#relations.get(predicate);
    if (!relation) throw new Error(`no relation ${predicate}`);
    return relation;
  }

  isBase(predicate: string, key: string): boolean {
    return this.#base.get(predicate)?.has(key) ?? false;
  }

  /** Loads base facts (not yet evaluated). */
  addBaseFact(info: PredicateInfo, values: readonly Value[], at: Term['at'] | null): Fact {
    const key = tupleKey(values);
    const existing = this.#base.get(info.name)?.get(key);
    if (existing) return existing;
    this.#checkBounds(info, values, at);
    const fact: Fact = { values, key, rank: ++this.#rank };
    this.#base.get(info.name)?.set(key, fact);
    return fact;
  }

  /** Evaluates every stratum from its base facts. */
  evaluateAll(): void {
    for (const stratum of this.#program.strata) this.#recompute(stratum);
  }

  /** Adds a base fact and maintains the model; false if it was already a base fact. */
  assert(info: PredicateInfo, values: readonly Value[]): boolean {
    this.settle();
    const key = tupleKey(values);
    if (this.isBase(info.name, key)) return false;
    const fact = this.addBaseFact(info, values, null);
    try {
      const changes = new Map<string, Change>();
      if (this.relation(info.name).add(fact)) change(changes, info.name).added.set(key, fact);
      this.#propagate(changes, new Set());
    } catch (error) {
      this.#base.get(info.name)?.delete(key);
      this.#restore();
      throw error;
    }
    return true;
  }

  /** Removes a base fact and maintains the model; false if it was not a base fact. */
  retract(info: PredicateInfo, values: readonly Value[]): boolean {
    this.settle();
    const key = tupleKey(values);
    const base = this.#base.get(info.name);
    const fact = base?.get(key);
    if (!base || !fact) return false;
    base.delete(key);
    try {
      const changes = new Map<string, Change>();
      const forced = new Set<number>();
      if (info.rules.length > 0) {
        // Rules may derive the same tuple: its stratum decides whether it stays.
        forced.add(info.stratum);
      } else {
        const removed = this.relation(info.name).delete(key);
        if (removed) change(changes, info.name).removed.set(key, removed);
      }
      this.#propagate(changes, forced);
    } catch (error) {
      base.set(key, fact);
      this.#restore();
      throw error;
    }
    return true;
  }

  /**
   * Forgets an external predicate's answers and recomputes every stratum
   * that asks it, so its callback is asked again and the model follows
   * whatever changed behind it. On failure its old answers come back.
   */
  refreshExternal(name: string): void {
    this.settle();
    const relation = this.relation(name);
    const asked = this.#asked.get(name);
    const old = relation.reset();
    this.#asked.delete(name);
    try {
      this.#propagate(new Map(), new Set(this.#externalReaders.get(name) ?? []));
    } catch (error) {
      relation.reset();
      for (const fact of old.values()) relation.add(fact);
      if (asked) this.#asked.set(name, asked);
      this.#restore();
      throw error;
    }
  }

  /**
   * Asks an external predicate's callback for `inputs`, unless it already
   * answered them, and adds the answers to its relation. `at` is the premise
   * asking, for messages. Answers are checked against the Decl's bounds
   * before any is added.
   */
  readonly askExternal = (predicate: string, inputs: readonly Value[], at: Position): void => {
    let asked = this.#asked.get(predicate);
    const key = tupleKey(inputs);
    if (asked?.has(key)) return;
    const external = this.#externals.get(predicate);
    const info = this.#program.predicates.get(predicate);
    // bindExternals gave every external predicate a callback before the engine existed.
    if (!external || !info) throw new Error(`no callback for external predicate ${predicate}`);
    const rows = callExternal(external, inputs, at);
    for (const values of rows) this.#checkBounds(info, values, at);
    const relation = this.relation(predicate);
    const rank = ++this.#rank;
    for (const values of rows) relation.add({ values, key: tupleKey(values), rank });
    if (!asked) {
      asked = new Set();
      this.#asked.set(predicate, asked);
    }
    asked.add(key);
  };

  /**
   * After a failed step, re-evaluates from the (reverted) base facts and the
   * answers external callbacks already gave. Should that fail as well (a
   * callback failing again for inputs the full plans reach), the engine is
   * stale and `settle` retries before the next use.
   */
  #restore(): void {
    this.#stale = true;
    try {
      this.evaluateAll();
      this.#stale = false;
    } catch {
      // The caller throws the first error, the one that explains what happened;
      // this one will surface from settle() if it persists.
    }
  }

  /** Re-evaluates a stale engine (see #restore); throws while that still fails. */
  settle(): void {
    if (!this.#stale) return;
    this.evaluateAll();
    this.#stale = false;
  }

  #propagate(changes: Map<string, Change>, forced: Set<number>): void {
    // Only strata that read a changed predicate are visited, in dependency order.
    const strata = this.#program.strata;
    const marked = new Uint8Array(strata.length);
    let first = strata.length;
    for (const index of forced) {
      marked[index] = 1;
      if (index < first) first = index;
    }
    for (const name of changes.keys()) {
      for (const index of this.#readersOf(name)) {
        marked[index] = 1;
        if (index < first) first = index;
      }
    }
    for (let index = first; index < strata.length; index++) {
      const stratum = strata[index];
      if (!marked[index] || !stratum) continue;
      this.#update(stratum, changes, forced.has(index));
      // Readers always sit in higher strata, so marking them is enough.
      for (const name of stratum.predicates) {
        if (changed(changes, name)) for (const reader of this.#readersOf(name)) marked[reader] = 1;
      }
    }
  }

  #readersOf(name: string): readonly number[] {
    return this.#readerStrata.get(name) ?? [];
  }

  /** Brings one stratum up to date with `changes`, and adds its own changes to them. */
  #update(stratum: Stratum, changes: Map<string, Change>, forced: boolean): void {
    if (forced || this.#needsRecompute(stratum, changes)) {
      const before = this.#recompute(stratum);
      for (const [name, old] of before) {
        const now = this.relation(name).facts;
        for (const [key, fact] of now) if (!old.has(key)) record(changes, name, 'added', key, fact);
        for (const [key, fact] of old)
          if (!now.has(key)) record(changes, name, 'removed', key, fact);
      }
      return;
    }
    this.#deleteUnsupported(stratum, changes);
    // Seeds: only the added facts this stratum's rules actually read.
    const seeds = new Map<string, Fact[]>();
    for (const rule of this.#shape(stratum).rules) {
      for (const scan of rule.scans) {
        const delta = changes.get(scan.predicate);
        if (delta && delta.added.size > 0 && !seeds.has(scan.predicate))
          seeds.set(scan.predicate, [...delta.added.values()]);
      }
    }
    const derived = this.#seminaive(stratum, seeds, false);
    for (const [name, facts] of derived) {
      for (const fact of facts) record(changes, name, 'added', fact.key, fact);
    }
  }

  #needsRecompute(stratum: Stratum, changes: Map<string, Change>): boolean {
    const rederivable = this.#shape(stratum).rederivable && !this.#small(stratum);
    return stratum.rules.some(
      (rule) =>
        rule.negated.some((name) => changed(changes, name)) ||
        (rule.aggregates && rule.scans.some((scan) => changed(changes, scan.predicate))) ||
        (!rederivable &&
          rule.scans.some((scan) => (changes.get(scan.predicate)?.removed.size ?? 0) > 0)),
    );
  }

  /**
   * Whether a stratum holds so few facts that recomputing it costs less than
   * delete-and-rederive's candidate search and support checks (measured on the
   * routing rules, where each stratum holds a handful of facts per intent).
   */
  #small(stratum: Stratum): boolean {
    let size = 0;
    for (const name of stratum.predicates) size += this.relation(name).size;
    return size < RECOMPUTE_BELOW;
  }

  readonly #shapes = new Map<number, Shape>();

  /** A stratum's members, its non-aggregating rules and whether removals can be rederived, computed once. */
  #shape(stratum: Stratum): Shape {
    let shape = this.#shapes.get(stratum.index);
    if (!shape) {
      shape = {
        members: new Set(stratum.predicates),
        rules: stratum.rules.filter((rule) => !rule.aggregates),
        // Delete-and-rederive needs rules that read only lower, final strata
        // and whose every solution is one head tuple.
        rederivable:
          !stratum.recursive &&
          stratum.rules.every((rule) => !rule.aggregates && rule.clause.transforms.length === 0),
      };
      this.#shapes.set(stratum.index, shape);
    }
    return shape;
  }

  /**
   * Removals read positively by a rederivable stratum (see #shape), in the
   * manner of DRed: every fact one of its rules derives from a removed
   * premise is a candidate (found against the relations plus the removed
   * facts, a superset of the old state), and a candidate that is not a base
   * fact and has no derivation left is removed. Much cheaper than
   * recomputing the stratum when a few facts go.
   */
  #deleteUnsupported(stratum: Stratum, changes: Map<string, Change>): void {
    let extra: Map<string, Fact[]> | undefined;
    for (const rule of stratum.rules) {
      for (const scan of rule.scans) {
        const removed = changes.get(scan.predicate)?.removed;
        if (removed === undefined || removed.size === 0) continue;
        extra ??= new Map();
        if (!extra.has(scan.predicate)) extra.set(scan.predicate, [...removed.values()]);
      }
    }
    if (extra === undefined) return;
    const candidates = new Map<string, Map<string, Value[]>>();
    for (const rule of stratum.rules) {
      const relation = this.relation(rule.predicate);
      for (const scan of rule.scans) {
        const delta = extra.get(scan.predicate);
        if (delta === undefined) continue;
        const frame: Frame = new Array(rule.shape.slots.length).fill(undefined);
        const sources: PlanSources = {
          relation: this.#relationOf,
          external: this.askExternal,
          deltaLiteral: scan.literal,
          delta,
          extra,
        };
        runPlan(deltaPlan(rule, scan.literal), sources, frame, (solved) => {
          const values = headValues(rule.shape, solved);
          if (values === undefined) return undefined;
          const key = tupleKey(values);
          if (!relation.has(key) || this.isBase(rule.predicate, key)) return undefined;
          let byKey = candidates.get(rule.predicate);
          if (!byKey) {
            byKey = new Map();
            candidates.set(rule.predicate, byKey);
          }
          byKey.set(key, values);
          return undefined;
        });
      }
    }
    for (const [name, byKey] of candidates) {
      const relation = this.relation(name);
      for (const [key, values] of byKey) {
        if (this.#derivable(name, key, values)) continue;
        const fact = relation.delete(key);
        if (fact) record(changes, name, 'removed', key, fact);
      }
    }
  }

  /** Whether some rule of `predicate` derives `values` from the current relations. */
  #derivable(predicate: string, key: string, values: readonly Value[]): boolean {
    const info = this.#program.predicates.get(predicate);
    if (!info) return false;
    for (const rule of info.rules) {
      const bound = this.headBound(rule, values);
      if (!bound) continue;
      let found = false;
      runPlan(
        bound.steps,
        {
          relation: this.#relationOf,
          external: this.askExternal,
          deltaLiteral: -1,
          delta: NO_DELTA,
        },
        bound.frame,
        (solved) => {
          const derived = headValues(rule.shape, solved);
          if (derived === undefined || tupleKey(derived) !== key) return undefined;
          found = true;
          return true;
        },
      );
      if (found) return true;
    }
    return false;
  }

  readonly #headBoundPlans = new Map<CompiledRule, HeadBound>();

  /**
   * A rule's body planned with its head variables known (compiled once per
   * rule), and a frame holding `values` in those variables; undefined when the
   * head cannot produce `values` (one variable twice, two different values).
   * Used to look for a derivation of one given fact: rederiving, explaining.
   */
  headBound(
    rule: CompiledRule,
    values: readonly Value[],
  ): { steps: readonly Step[]; frame: Frame } | undefined {
    let plan = this.#headBoundPlans.get(rule);
    if (!plan) {
      const prebound = new Set<string>();
      const slots: [number, number][] = [];
      rule.clause.head.args.forEach((term, position) => {
        if (term.kind !== 'var') return;
        const slot = rule.scope.slotOf.get(term.name);
        if (slot === undefined) return;
        prebound.add(term.name);
        slots.push([position, slot]);
      });
      plan = { steps: compileBody(rule.clause.body, rule.scope, { prebound }), slots };
      this.#headBoundPlans.set(rule, plan);
    }
    const frame: Frame = new Array(rule.shape.slots.length).fill(undefined);
    for (const [position, slot] of plan.slots) {
      const value = values[position] as Value;
      const already = frame[slot];
      // The same variable twice in the head must get one value.
      if (already !== undefined && valueKey(already) !== valueKey(value)) return undefined;
      frame[slot] = value;
    }
    return { steps: plan.steps, frame };
  }

  /**
   * Rebuilds one stratum from its base facts and the (final) lower strata.
   * Returns each predicate's facts from before, for the caller to diff.
   */
  #recompute(stratum: Stratum): Map<string, ReadonlyMap<string, Fact>> {
    const before = new Map<string, ReadonlyMap<string, Fact>>();
    for (const name of stratum.predicates) {
      // An external relation holds its callback's answers, not anything derived.
      if (this.#externals.has(name)) continue;
      const relation = this.relation(name);
      before.set(name, relation.reset());
      for (const fact of this.#base.get(name)?.values() ?? []) relation.add(fact);
    }
    // Aggregations read only lower strata, which are final: once, first.
    const pending = new Map<string, Map<string, Value[]>>();
    for (const rule of stratum.rules) {
      if (rule.clause.transforms.length === 0 || !rule.aggregates) continue;
      this.#runRule(rule, rule.full, -1, NO_DELTA, pending);
    }
    this.#commit(pending);
    this.#seminaive(stratum, NO_SEEDS, true);
    return before;
  }

  /**
   * Semi-naive rounds over one stratum. `full` first runs every rule on the
   * whole relations; then each round joins only against the previous round's
   * new facts. Returns every fact it added, by predicate.
   */
  #seminaive(
    stratum: Stratum,
    seeds: ReadonlyMap<string, Fact[]>,
    full: boolean,
  ): Map<string, Fact[]> {
    const added = new Map<string, Fact[]>();
    const { members, rules } = this.#shape(stratum);
    let delta: ReadonlyMap<string, Fact[]> = seeds;
    if (full) {
      const pending = new Map<string, Map<string, Value[]>>();
      for (const rule of rules) this.#runRule(rule, rule.full, -1, NO_DELTA, pending);
      delta = this.#commit(pending);
      merge(added, delta);
      if (!stratum.recursive) return added;
    }
    if (this.#strategy === 'naive') {
      while (hasFacts(delta)) {
        const pending = new Map<string, Map<string, Value[]>>();
        for (const rule of rules) this.#runRule(rule, rule.full, -1, NO_DELTA, pending);
        delta = this.#commit(pending);
        merge(added, delta);
      }
      return added;
    }
    let first = !full;
    while (hasFacts(delta)) {
      const pending = new Map<string, Map<string, Value[]>>();
      for (const rule of rules) {
        for (const scan of rule.scans) {
          // After the first round only this stratum's own facts are new.
          if (!first && !members.has(scan.predicate)) continue;
          const facts = delta.get(scan.predicate);
          if (!facts || facts.length === 0) continue;
          this.#runRule(rule, deltaPlan(rule, scan.literal), scan.literal, facts, pending);
        }
      }
      delta = this.#commit(pending);
      merge(added, delta);
      first = false;
      if (!stratum.recursive) break;
    }
    return added;
  }

  #runRule(
    rule: CompiledRule,
    steps: CompiledRule['full'],
    deltaLiteral: number,
    delta: readonly Fact[],
    pending: Map<string, Map<string, Value[]>>,
  ): void {
    const sources: PlanSources = {
      relation: this.#relationOf,
      external: this.askExternal,
      deltaLiteral,
      delta,
    };
    if (rule.clause.transforms.length > 0) {
      // Let-only transforms map each solution; they may be recursive.
      for (const row of this.#rows(rule, steps, sources)) {
        const values = headValues(rule.shape, row.frame);
        if (values) this.#stage(pending, rule, values);
      }
      return;
    }
    const frame: Frame = new Array(rule.shape.slots.length).fill(undefined);
    runPlan(steps, sources, frame, (solved) => {
      const values = headValues(rule.shape, solved);
      if (values) this.#stage(pending, rule, values);
      return undefined;
    });
  }

  /** A rule's rows after its transforms, over the current relations (explanations bound premises by rank). */
  transformRows(rule: CompiledRule, maxRank?: number): Row[] {
    return this.#rows(rule, rule.full, {
      relation: this.#relationOf,
      external: this.askExternal,
      deltaLiteral: -1,
      delta: NO_DELTA,
      ...(maxRank === undefined ? {} : { maxRank }),
    });
  }

  /** Runs a rule's plan and applies its `|>` stages to the solutions. */
  #rows(rule: CompiledRule, steps: readonly Step[], sources: PlanSources): Row[] {
    const rows: Row[] = [];
    const frame: Frame = new Array(rule.shape.slots.length).fill(undefined);
    runPlan(steps, sources, frame, (solved, premises) => {
      rows.push({ frame: [...solved], premises: [...premises] });
      return undefined;
    });
    return applyTransforms(rule.shape, rule.singleAtomBody, rows);
  }

  #stage(pending: Map<string, Map<string, Value[]>>, rule: CompiledRule, values: Value[]): void {
    const key = tupleKey(values);
    if (this.relation(rule.predicate).has(key)) return;
    let byKey = pending.get(rule.predicate);
    if (!byKey) {
      byKey = new Map();
      pending.set(rule.predicate, byKey);
    }
    if (byKey.has(key)) return;
    // Checked here, where the rule that made the tuple is known, once per new tuple.
    if (this.#bounds !== 'ignore') {
      const info = this.#program.predicates.get(rule.predicate);
      if (info) this.#checkBounds(info, values, rule.clause.at);
    }
    byKey.set(key, values);
  }

  /** Adds a round's new tuples with one rank; returns them as the next delta. */
  #commit(pending: Map<string, Map<string, Value[]>>): Map<string, Fact[]> {
    const delta = new Map<string, Fact[]>();
    if (pending.size === 0) return delta;
    const rank = ++this.#rank;
    for (const [name, byKey] of pending) {
      const relation = this.relation(name);
      const facts: Fact[] = [];
      for (const [key, values] of byKey) {
        const fact: Fact = { values, key, rank };
        if (relation.add(fact)) facts.push(fact);
      }
      delta.set(name, facts);
    }
    return delta;
  }

  #checkBounds(info: PredicateInfo, values: readonly Value[], at: Term['at'] | null): void {
    if (this.#bounds === 'ignore') return;
    const bounds = info.declaration?.bounds ?? [];
    if (bounds.length === 0) return;
    const fits = bounds.some(
      (alternative) =>
        alternative.length !== values.length ||
        alternative.every((type, position) => valueFits(values[position] as Value, type)),
    );
    if (fits) return;
    const expected = bounds
      .map((alternative) => `[${alternative.map(describeType).join(', ')}]`)
      .join(' or ');
    const message = `${info.name}(${values.map(show).join(', ')}) is outside its declared bound ${expected}`;
    const declaredAt = info.declaration?.at ?? info.firstSeen;
    if (this.#bounds === 'warn') {
      this.#warn({
        code: 'bound_violation',
        message: at ? `${formatPosition(at)}: ${message}` : message,
        predicate: info.name,
        values,
        ...(at ? { at } : {}),
        declaredAt,
      });
      return;
    }
    throw new MangleBoundError(at ?? declaredAt, message, {
      predicate: info.name,
      values: values.map(show),
    });
  }
}

function change(changes: Map<string, Change>, name: string): Change {
  let entry = changes.get(name);
  if (!entry) {
    entry = { added: new Map(), removed: new Map() };
    changes.set(name, entry);
  }
  return entry;
}

function record(
  changes: Map<string, Change>,
  name: string,
  kind: 'added' | 'removed',
  key: string,
  fact: Fact,
): void {
  const entry = change(changes, name);
  const opposite = kind === 'added' ? entry.removed : entry.added;
  // Removed then added again (or the reverse) within one update is no change.
  if (opposite.has(key)) opposite.delete(key);
  else entry[kind].set(key, fact);
}

const changed = (changes: Map<string, Change>, name: string): boolean => {
  const entry = changes.get(name);
  return entry !== undefined && (entry.added.size > 0 || entry.removed.size > 0);
};

const hasFacts = (delta: ReadonlyMap<string, Fact[]>): boolean => {
  for (const facts of delta.values()) if (facts.length > 0) return true;
  return false;
};

function merge(into: Map<string, Fact[]>, from: ReadonlyMap<string, Fact[]>): void {
  for (const [name, facts] of from) {
    const list = into.get(name);
    if (list) for (const fact of facts) list.push(fact);
    // Each round's delta is a fresh array that no one else appends to: keep it.
    else into.set(name, facts);
  }
}

/** Mangle's bound types: `/any`, `/name`, `/string`, `/number`, `/float64`, `fn:List(T)`, `fn:Pair(A, B)`. */
function valueFits(value: Value, type: Term): boolean {
  if (type.kind === 'const' && type.value.type === 'name') {
    switch (type.value.value) {
      case '/any':
        return true;
      case '/name':
        return value.type === 'name';
      case '/string':
        return value.type === 'string';
      case '/number':
        return value.type === 'int';
      case '/float64':
        return value.type === 'float';
      case '/bool':
        return value.type === 'name' && (value.value === '/true' || value.value === '/false');
      default:
        // Any other name is a name type: a value of that name or under it (`/persona/coder`).
        return (
          value.type === 'name' &&
          (value.value === type.value.value || value.value.startsWith(`${type.value.value}/`))
        );
    }
  }
  if (type.kind === 'apply' && type.fn === 'fn:List' && type.args.length === 1) {
    const item = type.args[0] as Term;
    return value.type === 'list' && value.items.every((member) => valueFits(member, item));
  }
  if (type.kind === 'apply' && type.fn === 'fn:Pair' && type.args.length === 2) {
    return (
      value.type === 'pair' &&
      valueFits(value.first, type.args[0] as Term) &&
      valueFits(value.second, type.args[1] as Term)
    );
  }
  // A type expression nerdloop does not know is not enforced (documented in docs/kernel.md).
  return true;
}

function describeType(type: Term): string {
  if (type.kind === 'const') return show(type.value);
  if (type.kind === 'apply') return `${type.fn}(${type.args.map(describeType).join(', ')})`;
  return type.kind;
}
