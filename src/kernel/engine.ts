/**
 * The evaluation engine: relations, base facts, stratified semi-naive
 * evaluation to a fixpoint, and incremental maintenance when base facts are
 * asserted or retracted.
 *
 * Incremental maintenance is delete-and-rederive (DRed), stratum by stratum
 * in dependency order, for every kind of stratum (recursive or not, with
 * negation, aggregation, let transforms): what a change can have ended is
 * over-deleted through the delta plans, what still has a derivation is
 * rederived, and what is new is inserted by semi-naive rounds seeded with the
 * change (see Engine#update). A change under a negation is a delta too: a
 * negated fact added ends derivations, one removed makes them possible. An
 * aggregation re-evaluates only the groups the changed facts belong to. The
 * difference (added, removed) travels on to the strata that read it; strata
 * that read nothing that changed are not touched. A batch of facts is one
 * pass over the strata.
 *
 * External predicates: a callback is asked once per distinct inputs, and its
 * answers join the predicate's relation, where they stay — the external
 * relation is taken as stable — until `refreshExternal` forgets them and
 * recomputes the strata that ask it.
 *
 * A maintenance step that throws (a callback failing, an evaluation error)
 * is undone: the base change is reverted and the model re-evaluated.
 */
import type { Literal, Position, Term, Value } from './ast.js';
import { valueKey } from './ast.js';
import { show } from './builtins.js';
import { formatPosition, MangleBoundError } from './errors.js';
import {
  applyLets,
  applyTransforms,
  type Frame,
  headValues,
  type PlanSources,
  type Row,
  runPlan,
} from './evaluate.js';
import { callExternal, type RegisteredExternal } from './external.js';
import { compileBody, isBuiltinAtom, literalVariables, type Step } from './plan.js';
import {
  type CompiledRule,
  deltaPlan,
  type PredicateInfo,
  type Program,
  type Stratum,
} from './program.js';
import { type Fact, keyOf, Relation, tupleKey } from './relation.js';

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

/** A base fact to assert or retract. */
export type BaseFact = { readonly info: PredicateInfo; readonly values: readonly Value[] };

/** A premise of a stratum's rule on some predicate: where a change to that predicate enters the stratum. */
type Reader = { readonly rule: CompiledRule; readonly literal: number; readonly negated: boolean };

type Shape = {
  readonly members: ReadonlySet<string>;
  /** The rules that are not aggregations (let-only transforms included: each solution is one head). */
  readonly rules: readonly CompiledRule[];
  readonly aggregations: readonly CompiledRule[];
  /**
   * For each lower predicate the non-aggregating rules read, positively or
   * under negation, the premises that read it. External premises are left
   * out: their relation changes only by refreshExternal, which recomputes.
   */
  readonly inputs: readonly (readonly [string, readonly Reader[]])[];
  /** The same for the stratum's own predicates (read positively only: stratification). */
  readonly own: ReadonlyMap<string, readonly Reader[]>;
  /** The predicate each rule's full plan scans first: what recomputing it reads (see #cheaper). */
  readonly drivers: readonly string[];
};

/** A lower predicate that changed, and where the stratum reads it. */
type Input = { readonly change: Change; readonly readers: readonly Reader[] };

/** One delta join: a rule whose premise at `literal` reads `facts` instead of its relation. */
type DeltaJoin = {
  readonly rule: CompiledRule;
  readonly literal: number;
  readonly plan: readonly Step[];
  readonly facts: readonly Fact[];
};

/** A rule's body planned with the head's variables bound, and where each lands in the frame. */
type HeadBound = { steps: readonly Step[]; slots: readonly [number, number][] };

/**
 * What an aggregating rule produces, group by group. Kept so that a change
 * to its inputs re-evaluates only the groups the changed facts belong to, and
 * so that whether the rule still derives a fact is a lookup, not a re-run.
 */
type Aggregation = {
  /**
   * The grouping, when the rule can be updated one group at a time: its first
   * stage is its only `do fn:group_by(…)`. Null otherwise: the whole rule is
   * one group, re-evaluated whenever an input changes.
   */
  readonly keys: {
    readonly names: readonly string[];
    readonly slots: readonly number[];
    /**
     * For each premise on a stored predicate (by literal index), the argument
     * position of each key; null when some key is not a plain argument there,
     * so a changed fact of that premise does not say which group it is in.
     */
    readonly positions: ReadonlyMap<number, readonly number[] | null>;
  } | null;
  /** A group's key → the head tuples it produces. */
  groups: Map<string, Map<string, Value[]>>;
  /** A head tuple's key → how many groups produce it. */
  counts: Map<string, number>;
};

/** What one assertAll did: enough to take it back exactly (see Engine#withFacts). */
type Pass = {
  readonly results: boolean[];
  readonly fresh: readonly { readonly info: PredicateInfo; readonly key: string }[];
  /** The net change of every relation, base facts included. */
  readonly changes: ReadonlyMap<string, Change>;
};

const NO_DELTA: readonly Fact[] = [];
const NO_STRATA: ReadonlySet<number> = new Set();
const NO_HEADS: ReadonlyMap<string, Value[]> = new Map();
const NOTHING_DELETED: ReadonlyMap<string, Relation> = new Map();
/**
 * A recursive stratum whose over-deletion reaches more than half of its
 * facts (and more than this many) is recomputed instead: rederiving most of a
 * stratum one fact at a time costs more than evaluating it again.
 */
const RECOMPUTE_OVER = 64;
/**
 * What one delta join costs before it reads anything, and what over-deletion
 * costs to set up (views of the old state, candidate checks), in facts read:
 * the exchange rate between maintaining a stratum and recomputing it (see
 * Engine#cheaper). Measured on the shipped rules, whose strata hold a few
 * facts per intent or tool call (recomputing them is about twice as fast as
 * maintaining them), and on the generated program, whose strata read large
 * relations (maintaining them is).
 */
const JOIN_COST = 16;
const DELETE_COST = 32;

/*
 * What the engine derives from the program alone, computed on first use and
 * never changed after: kept per program (by its strata and rules, which
 * belong to one program), not per engine, so the kernels of a cached program
 * (see cache.ts) share them instead of each planning its rules again. Plans
 * are compiled into the rule's own scope; compiling one may add a slot for a
 * builtin's `_` output, which no other plan reads, and frames are sized from
 * the scope when a plan runs, after it is compiled.
 */
const shapes = new WeakMap<Stratum, Shape>();
const negationPlans = new WeakMap<CompiledRule, Map<number, readonly Step[]>>();
const headBoundPlans = new WeakMap<CompiledRule, HeadBound>();
const groupPlans = new WeakMap<CompiledRule, readonly Step[]>();
const groupings = new WeakMap<CompiledRule, Aggregation['keys']>();

type Readers = {
  readonly strata: ReadonlyMap<string, readonly number[]>;
  readonly externals: ReadonlyMap<string, readonly number[]>;
};
const readers = new WeakMap<Program, Readers>();

/** For each predicate, the strata whose rules read it; for each external, those that ask it. */
function readersOf(program: Program): Readers {
  let found = readers.get(program);
  if (!found) {
    const strata = new Map<string, number[]>();
    const externals = new Map<string, number[]>();
    const note = (into: Map<string, number[]>, name: string, stratum: number) => {
      const list = into.get(name) ?? [];
      if (list[list.length - 1] !== stratum && !list.includes(stratum)) list.push(stratum);
      into.set(name, list);
    };
    for (const rule of program.rules) {
      const stratum = program.predicates.get(rule.predicate)?.stratum ?? 0;
      for (const scan of rule.scans) note(strata, scan.predicate, stratum);
      for (const name of rule.negated) note(strata, name, stratum);
      for (const name of rule.externals) note(externals, name, stratum);
    }
    found = { strata, externals };
    readers.set(program, found);
  }
  return found;
}

export class Engine {
  readonly #program: Program;
  readonly #relations = new Map<string, Relation>();
  /** Base facts (from source or asserted), per predicate. */
  readonly #base = new Map<string, Map<string, Fact>>();
  readonly #bounds: BoundsMode;
  readonly #warn: (warning: KernelWarning) => void;
  readonly #strategy: EvaluationStrategy;
  /** For each predicate, the strata with a rule that reads it. */
  readonly #readerStrata: ReadonlyMap<string, readonly number[]>;
  /** For each external predicate, the strata with a rule that asks it. */
  readonly #externalReaders: ReadonlyMap<string, readonly number[]>;
  readonly #externals: ReadonlyMap<string, RegisteredExternal>;
  /**
   * For each external predicate, the keys of the inputs its callback has
   * answered. Those answers are in its relation; inputs not here have not
   * been asked yet.
   */
  readonly #asked = new Map<string, Set<string>>();
  readonly #aggregations = new Map<CompiledRule, Aggregation>();
  /** A failed step could not be undone either: re-evaluate before the next use. */
  #stale = false;
  /** Bumped by every change to the model, so withFacts can tell whether anything else changed it. */
  #generation = 0;
  /** While a stratum is recomputed, what it held before: tuples whose bounds were checked already. */
  #checked: ReadonlyMap<string, ReadonlyMap<string, Fact>> | undefined;
  /** While set (during withFacts' assert), aggregations log how to undo what they change. */
  #undo: (() => void)[] | undefined;
  #rank = 0;
  /** Made once: every plan run reads relations through it. */
  readonly #relationOf = (predicate: string): Relation => this.relation(predicate);
  /** Plan sources reading the current relations, no delta. */
  readonly #current: PlanSources;

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
    this.#current = {
      relation: this.#relationOf,
      external: this.askExternal,
      deltaLiteral: -1,
      delta: NO_DELTA,
    };
    const readers = readersOf(program);
    this.#readerStrata = readers.strata;
    this.#externalReaders = readers.externals;
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

  /**
   * Loads the program's own facts (not yet evaluated), before anything else
   * touches the engine; see sourceFacts. A fact outside its bounds is
   * reported (or thrown) here, per the engine's bounds mode, in source order.
   */
  addSourceFacts(facts: readonly SourceFact[]): void {
    for (const { info, fact, at, fits } of facts) {
      if (!fits) this.#checkBounds(info, fact.values, at);
      this.#base.get(info.name)?.set(fact.key, fact);
      if (fact.rank > this.#rank) this.#rank = fact.rank;
    }
  }

  /** Evaluates every stratum from its base facts. */
  evaluateAll(): void {
    for (const stratum of this.#program.strata) this.#recompute(stratum);
  }

  /**
   * Adds base facts and maintains the model in one pass over the strata; for
   * each fact, false if it was already a base fact (or earlier in `facts`).
   * Every bound is checked before anything changes, and a failure part-way
   * undoes the whole call.
   */
  assertAll(facts: readonly BaseFact[]): boolean[] {
    return this.#assert(facts).results;
  }

  /**
   * Asserts `facts`, runs `inspect` with which were new, then takes the
   * assertion back. Nothing else happens to the model in between (unless
   * `inspect` changes it), so the assertion's own record of what changed —
   * every relation's net difference, the aggregation groups it replaced — is
   * undone exactly: no joins, no rederivation, a cost in proportion to what
   * changed. If `inspect` changed the model too, the facts are retracted the
   * ordinary way instead.
   */
  withFacts<T>(facts: readonly BaseFact[], inspect: (added: readonly boolean[]) => T): T {
    const undo: (() => void)[] = [];
    this.#undo = undo;
    let pass: Pass;
    try {
      pass = this.#assert(facts);
    } finally {
      this.#undo = undefined;
    }
    const generation = this.#generation;
    try {
      return inspect(pass.results);
    } finally {
      if (this.#generation === generation) this.#rollback(pass, undo);
      else this.retractAll(facts.filter((_, index) => pass.results[index]));
    }
  }

  /** Puts the model back as it was before `pass` (see withFacts). */
  #rollback(pass: Pass, undo: readonly (() => void)[]): void {
    this.#generation++;
    for (let index = undo.length - 1; index >= 0; index--) undo[index]?.();
    for (const [name, { added, removed }] of pass.changes) {
      const relation = this.relation(name);
      for (const key of added.keys()) relation.delete(key);
      for (const fact of removed.values()) relation.add(fact);
    }
    for (const { info, key } of pass.fresh) this.#base.get(info.name)?.delete(key);
  }

  #assert(facts: readonly BaseFact[]): Pass {
    this.settle();
    const results: boolean[] = [];
    const fresh: { info: PredicateInfo; values: readonly Value[]; key: string }[] = [];
    let seen: Set<string> | undefined;
    for (const { info, values } of facts) {
      const key = tupleKey(values);
      if (this.isBase(info.name, key)) {
        results.push(false);
        continue;
      }
      if (facts.length > 1) {
        // The same fact twice in one call: the second is not new.
        seen ??= new Set();
        const id = `${info.name}\u001e${key}`;
        if (seen.has(id)) {
          results.push(false);
          continue;
        }
        seen.add(id);
      }
      this.#checkBounds(info, values, null);
      fresh.push({ info, values, key });
      results.push(true);
    }
    const changes = new Map<string, Change>();
    if (fresh.length === 0) return { results, fresh, changes };
    this.#generation++;
    try {
      for (const { info, values, key } of fresh) {
        const fact: Fact = { values, key, rank: ++this.#rank };
        this.#base.get(info.name)?.set(key, fact);
        if (this.relation(info.name).add(fact)) change(changes, info.name).added.set(key, fact);
      }
      this.#propagate(changes, NO_STRATA, NO_STRATA);
    } catch (error) {
      for (const { info, key } of fresh) this.#base.get(info.name)?.delete(key);
      this.#restore();
      throw error;
    }
    return { results, fresh, changes };
  }

  /**
   * Removes base facts and maintains the model in one pass over the strata;
   * for each fact, false if it was not a base fact. A failure part-way undoes
   * the whole call.
   */
  retractAll(facts: readonly BaseFact[]): boolean[] {
    this.settle();
    const results: boolean[] = [];
    const gone: { info: PredicateInfo; key: string; fact: Fact }[] = [];
    for (const { info, values } of facts) {
      const key = tupleKey(values);
      const base = this.#base.get(info.name);
      const fact = base?.get(key);
      if (!base || !fact) {
        results.push(false);
        continue;
      }
      base.delete(key);
      gone.push({ info, key, fact });
      results.push(true);
    }
    if (gone.length === 0) return results;
    this.#generation++;
    try {
      const changes = new Map<string, Change>();
      const touched = new Set<number>();
      for (const { info, key } of gone) {
        // Rules may derive the same tuple: it goes now, and its stratum
        // rederives it if some rule still does.
        if (info.rules.length > 0) touched.add(info.stratum);
        const removed = this.relation(info.name).delete(key);
        if (removed) change(changes, info.name).removed.set(key, removed);
      }
      this.#propagate(changes, touched, NO_STRATA);
    } catch (error) {
      for (const { info, key, fact } of gone) this.#base.get(info.name)?.set(key, fact);
      this.#restore();
      throw error;
    }
    return results;
  }

  /**
   * Forgets an external predicate's answers and recomputes every stratum
   * that asks it, so its callback is asked again and the model follows
   * whatever changed behind it. On failure its old answers come back.
   */
  refreshExternal(name: string): void {
    this.settle();
    this.#generation++;
    const relation = this.relation(name);
    const asked = this.#asked.get(name);
    const old = relation.reset();
    this.#asked.delete(name);
    try {
      this.#propagate(new Map(), NO_STRATA, new Set(this.#externalReaders.get(name) ?? []));
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
    this.#generation++;
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
    this.#generation++;
    this.evaluateAll();
    this.#stale = false;
  }

  /**
   * Brings the strata up to date with `changes`, in dependency order, visiting
   * only those that read a changed predicate, hold a retracted base fact
   * (`touched`), or must be recomputed (`forced`).
   */
  #propagate(
    changes: Map<string, Change>,
    touched: ReadonlySet<number>,
    forced: ReadonlySet<number>,
  ): void {
    const strata = this.#program.strata;
    const marked = new Uint8Array(strata.length);
    let first = strata.length;
    for (const set of [touched, forced]) {
      for (const index of set) {
        marked[index] = 1;
        if (index < first) first = index;
      }
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

  /**
   * Brings one stratum up to date with `changes` (final below it) and adds
   * its own changes to them, by delete-and-rederive (DRed):
   * 1. aggregations re-evaluate the groups the changed facts belong to;
   * 2. over-delete: every fact that had a derivation through something now
   *    gone — a removed premise, a negated fact now present, an aggregate
   *    fact no longer produced, and (recursively) a fact deleted in this step —
   *    is deleted (in a non-recursive stratum only those no rule derives any more);
   * 3. rederive: a deleted fact that some rule still derives from what is left comes back;
   * 4. insert: semi-naive rounds seeded with what is new — added premises,
   *    negated facts now absent, new aggregate facts, the facts rederived.
   * The stratum is recomputed instead (and its difference recorded) with the
   * naive strategy, for a refreshed external, when recomputing costs less
   * (a tiny stratum: see #cheaper), or when over-deletion reaches most of a
   * recursive stratum.
   */
  #update(stratum: Stratum, changes: Map<string, Change>, forced: boolean): void {
    if (forced || this.#strategy === 'naive') {
      this.#recomputeAndRecord(stratum, changes);
      return;
    }
    const shape = this.#shape(stratum);
    const inputs: Input[] = [];
    // Whether something may have to go: a premise removed, a negated fact added.
    let losing = false;
    for (const [name, readers] of shape.inputs) {
      const change = changes.get(name);
      if (change === undefined || (change.added.size === 0 && change.removed.size === 0)) continue;
      inputs.push({ change, readers });
      losing ||= readers.some(
        (reader) => (reader.negated ? change.added : change.removed).size > 0,
      );
    }
    // The stratum's own predicates change before its turn only by base facts asserted or retracted.
    let ownAdded: Map<string, Fact[]> | undefined;
    let ownRemoved: Map<string, Fact[]> | undefined;
    for (const name of shape.members) {
      const own = changes.get(name);
      if (own === undefined) continue;
      if (own.added.size > 0) {
        ownAdded ??= new Map();
        ownAdded.set(name, [...own.added.values()]);
      }
      if (own.removed.size > 0) {
        ownRemoved ??= new Map();
        ownRemoved.set(name, [...own.removed.values()]);
      }
    }
    if (this.#cheaper(shape, inputs, losing || ownRemoved !== undefined)) {
      this.#recomputeAndRecord(stratum, changes);
      return;
    }
    const { lost, gained } = this.#updateAggregations(shape, changes);
    const deleted =
      losing || ownRemoved !== undefined || lost.size > 0
        ? this.#overDelete(stratum, shape, changes, inputs, ownRemoved, lost)
        : NOTHING_DELETED;
    if (deleted === undefined) {
      this.#recomputeAndRecord(stratum, changes);
      return;
    }
    const pending = new Map<string, Map<string, Value[]>>();
    for (const [name, gone] of deleted) {
      for (const fact of gone.facts.values()) record(changes, name, 'removed', fact.key, fact);
    }
    // A non-recursive stratum checked its candidates before deleting them; a
    // retracted base fact of one of its predicates is still to be checked.
    const recheck: Iterable<[string, Iterable<Fact>]> = stratum.recursive
      ? [...deleted].map(([name, gone]): [string, Iterable<Fact>] => [name, gone.facts.values()])
      : (ownRemoved ?? []);
    for (const [name, facts] of recheck) {
      for (const fact of facts) {
        if (this.#derivable(name, fact.key, fact.values))
          stage(pending, name, fact.key, fact.values);
      }
    }
    for (const [rule, values] of gained) this.#stage(pending, rule, values);
    const back = this.#commit(pending);
    for (const [name, facts] of back) {
      for (const fact of facts) record(changes, name, 'added', fact.key, fact);
    }
    const joins = this.#deltaJoins(inputs, 'insert');
    for (const [name, readers] of shape.own) {
      const before = ownAdded?.get(name);
      const now = back.get(name);
      const added = before && now ? [...before, ...now] : (before ?? now);
      if (added === undefined || added.length === 0) continue;
      for (const { rule, literal } of readers) {
        joins.push({ rule, literal, plan: deltaPlan(rule, literal), facts: added });
      }
    }
    if (joins.length === 0) return;
    for (const [name, facts] of this.#insert(stratum, shape, joins)) {
      for (const fact of facts) record(changes, name, 'added', fact.key, fact);
    }
  }

  /**
   * The delta joins that changed premises seed. Inserting, a positive
   * premise reads the facts its predicate gained, and a negated one those it
   * lost (a negated fact gone may complete a derivation); over-deleting, the
   * other way round (a negated fact now present ends the derivations that
   * relied on its absence).
   */
  #deltaJoins(inputs: readonly Input[], phase: 'insert' | 'delete'): DeltaJoin[] {
    const joins: DeltaJoin[] = [];
    for (const { change, readers } of inputs) {
      const [seeds, ends] =
        phase === 'insert' ? [change.added, change.removed] : [change.removed, change.added];
      let positive: readonly Fact[] | undefined;
      let negative: readonly Fact[] | undefined;
      for (const { rule, literal, negated } of readers) {
        if (negated) {
          if (ends.size === 0) continue;
          negative ??= [...ends.values()];
          joins.push({ rule, literal, plan: this.#negationPlan(rule, literal), facts: negative });
        } else {
          if (seeds.size === 0) continue;
          positive ??= [...seeds.values()];
          joins.push({ rule, literal, plan: deltaPlan(rule, literal), facts: positive });
        }
      }
    }
    return joins;
  }

  /**
   * Whether recomputing the stratum is cheaper than maintaining it, counted
   * in facts read. Recomputing reads what each rule's plan scans first (it
   * drives the rest of the join) and the stratum's own facts (rebuilt and
   * compared). Maintaining runs a delta join per premise on a changed
   * predicate, each with a fixed cost and reading the change, and sets up
   * over-deletion when something may have to go. Tiny strata come out
   * recomputed, large ones maintained.
   */
  #cheaper(shape: Shape, inputs: readonly Input[], deleting: boolean): boolean {
    let maintain = deleting ? DELETE_COST : 0;
    for (const { change, readers } of inputs) {
      maintain += readers.length * (JOIN_COST + change.added.size + change.removed.size);
    }
    let recompute = 0;
    for (const name of shape.members) {
      recompute += this.relation(name).size;
      if (recompute >= maintain) return false;
    }
    for (const name of shape.drivers) {
      recompute += this.relation(name).size;
      if (recompute >= maintain) return false;
    }
    return true;
  }

  /** A stratum's members, rules split by kind, and where each rule reads what: computed once per program. */
  #shape(stratum: Stratum): Shape {
    let shape = shapes.get(stratum);
    if (!shape) {
      const members = new Set(stratum.predicates);
      const rules = stratum.rules.filter((rule) => !rule.aggregates);
      const inputs = new Map<string, Reader[]>();
      const own = new Map<string, Reader[]>();
      for (const rule of rules) {
        rule.clause.body.forEach((literal, index) => {
          if (literal.kind === 'comparison' || isBuiltinAtom(literal.atom)) return;
          const name = literal.atom.predicate;
          if (this.#program.externals.has(name)) return;
          const into = members.has(name) ? own : inputs;
          const list = into.get(name) ?? [];
          list.push({ rule, literal: index, negated: literal.kind === 'negation' });
          into.set(name, list);
        });
      }
      const drivers: string[] = [];
      for (const rule of stratum.rules) {
        const first = rule.full[0];
        if (first?.kind === 'scan' || first?.kind === 'external') drivers.push(first.predicate);
      }
      shape = {
        members,
        rules,
        aggregations: stratum.rules.filter((rule) => rule.aggregates),
        inputs: [...inputs],
        own,
        drivers,
      };
      shapes.set(stratum, shape);
    }
    return shape;
  }

  /**
   * Removed facts as a relation, for plans reading the old state: built once
   * per change and shared by every stratum that reads it. A predicate's
   * change is final by the time any reader reads it (readers sit above it).
   */
  readonly #removedViews = new WeakMap<ReadonlyMap<string, Fact>, Relation>();

  #removedView(name: string, removed: ReadonlyMap<string, Fact>): Relation {
    let view = this.#removedViews.get(removed);
    if (!view) {
      view = new Relation(this.relation(name).arity);
      for (const fact of removed.values()) view.add(fact);
      this.#removedViews.set(removed, view);
    }
    return view;
  }

  /**
   * Over-deletion (step 2 of #update): deletes from the stratum's relations
   * every fact that had a derivation through something gone, and returns them
   * by predicate, together with the stratum's retracted base facts (already
   * out of their relations). Derivations are looked for in the state before
   * the change — relations plus what was removed, minus what was added —
   * with the delta plans, seeded with removed premises, added negated facts
   * and aggregate facts no longer produced, and in a recursive stratum with
   * each round's deletions until none are left. Undefined when the deletions
   * reach most of a recursive stratum (they are undone: recompute instead).
   */
  #overDelete(
    stratum: Stratum,
    shape: Shape,
    changes: Map<string, Change>,
    inputs: readonly Input[],
    ownRemoved: ReadonlyMap<string, Fact[]> | undefined,
    lost: ReadonlyMap<string, ReadonlyMap<string, Value[]>>,
  ): Map<string, Relation> | undefined {
    const deleted = new Map<string, Relation>();
    // The old state: what was removed is read too, what was added is not.
    // (Nothing of this stratum is recorded in `changes` before this returns.)
    const extra: PlanSources['extra'] = {
      get: (name) => {
        if (shape.members.has(name)) return deleted.get(name);
        const removed = changes.get(name)?.removed;
        return removed === undefined || removed.size === 0
          ? undefined
          : this.#removedView(name, removed);
      },
    };
    const hidden: PlanSources['hidden'] = {
      get: (name) => {
        const added = changes.get(name)?.added;
        return added === undefined || added.size === 0 ? undefined : added;
      },
    };
    const gone = (name: string): Relation => {
      let relation = deleted.get(name);
      if (!relation) {
        relation = new Relation(this.relation(name).arity);
        deleted.set(name, relation);
      }
      return relation;
    };
    for (const [name, facts] of ownRemoved ?? []) for (const fact of facts) gone(name).add(fact);
    const view = (literal: number, delta: readonly Fact[]): PlanSources => ({
      relation: this.#relationOf,
      external: this.askExternal,
      deltaLiteral: literal,
      delta,
      extra,
      hidden,
    });

    let candidates = new Map<string, Map<string, Value[]>>();
    const candidate = (name: string, values: Value[]): void => {
      const key = tupleKey(values);
      // A base fact stays whatever its derivations; a fact deleted already is not found twice.
      if (!this.relation(name).has(key) || this.isBase(name, key)) return;
      stage(candidates, name, key, values);
    };
    for (const [name, heads] of lost) for (const values of heads.values()) candidate(name, values);
    for (const { rule, literal, plan, facts } of this.#deltaJoins(inputs, 'delete')) {
      this.#solve(rule, plan, view(literal, facts), (values) => candidate(rule.predicate, values));
    }

    let size = 0;
    if (stratum.recursive) {
      for (const name of shape.members) size += this.relation(name).size + gone(name).size;
    }
    let delta = new Map<string, Fact[]>(ownRemoved);
    let count = 0;
    for (;;) {
      for (const [name, byKey] of candidates) {
        const relation = this.relation(name);
        const list = delta.get(name) ?? [];
        for (const [key, values] of byKey) {
          // Without recursion a rule reads only lower, final strata: ask first, delete only what must go.
          if (!stratum.recursive && this.#derivable(name, key, values)) continue;
          const fact = relation.delete(key);
          if (fact === undefined) continue;
          gone(name).add(fact);
          list.push(fact);
          count++;
        }
        if (list.length > 0) delta.set(name, list);
      }
      if (!stratum.recursive) return deleted;
      if (count > RECOMPUTE_OVER && 2 * count > size) {
        for (const [name, facts] of deleted) {
          const relation = this.relation(name);
          const retracted = changes.get(name)?.removed;
          for (const fact of facts.facts.values())
            if (!retracted?.has(fact.key)) relation.add(fact);
        }
        return undefined;
      }
      if (!hasFacts(delta)) return deleted;
      candidates = new Map();
      for (const [name, facts] of delta) {
        if (facts.length === 0) continue;
        for (const { rule, literal } of shape.own.get(name) ?? []) {
          this.#solve(rule, deltaPlan(rule, literal), view(literal, facts), (values) =>
            candidate(rule.predicate, values),
          );
        }
      }
      delta = new Map();
    }
  }

  /** Runs a rule's plan and hands each head tuple (after let-only stages) to `onHead`. */
  /**
   * Runs `steps` of `rule` and hands each head it derives to `onHead`, which
   * returns true to stop. `frame` holds variables bound beforehand (see
   * headBound); by default none are.
   */
  #solve(
    rule: CompiledRule,
    steps: readonly Step[],
    sources: PlanSources,
    onHead: (values: Value[]) => unknown,
    frame: Frame = new Array(rule.shape.slots.length).fill(undefined),
  ): void {
    const lets = rule.clause.transforms.length > 0;
    runPlan(steps, sources, frame, (solved) => {
      if (lets && !applyLets(rule.shape, solved)) return undefined;
      const values = headValues(rule.shape, solved);
      return values && onHead(values) === true ? true : undefined;
    });
  }

  /**
   * A rule's body with its negated premise at `literal` read as a positive
   * premise, first, from a delta, and the negation itself kept: the
   * derivations a change to the negated predicate affects. With the negated
   * predicate's removed facts (and the current state), those the removal
   * makes possible; with its added facts (and the old state), those the
   * addition ends.
   */
  #negationPlan(rule: CompiledRule, literal: number): readonly Step[] {
    let plans = negationPlans.get(rule);
    if (!plans) {
      plans = new Map();
      negationPlans.set(rule, plans);
    }
    let plan = plans.get(literal);
    if (!plan) {
      const body = rule.clause.body;
      const negation = body[literal];
      if (negation?.kind !== 'negation') throw new Error(`literal ${literal} is not a negation`);
      const positive: Literal[] = body.map((premise, index) =>
        index === literal ? { kind: 'atom', atom: negation.atom } : premise,
      );
      positive.push(negation);
      plan = compileBody(positive, rule.scope, { first: literal });
      plans.set(literal, plan);
    }
    return plan;
  }

  /** Whether some rule of `predicate` derives `values` from the current relations. */
  #derivable(predicate: string, key: string, values: readonly Value[]): boolean {
    const info = this.#program.predicates.get(predicate);
    if (!info) return false;
    for (const rule of info.rules) {
      if (rule.aggregates) {
        if ((this.#aggregations.get(rule)?.counts.get(key) ?? 0) > 0) return true;
        continue;
      }
      const bound = this.headBound(rule, values);
      if (!bound) continue;
      let found = false;
      this.#solve(
        rule,
        bound.steps,
        this.#current,
        (derived) => (found = tupleKey(derived) === key),
        bound.frame,
      );
      if (found) return true;
    }
    return false;
  }

  /**
   * A rule's body planned with its head variables known (compiled once per
   * rule), and a frame holding `values` in those variables; undefined when the
   * head cannot produce `values` (one variable twice, two different values).
   * Used to look for a derivation of one given fact: rederiving, explaining.
   * A head variable bound by a let is left to the let (the caller applies it).
   */
  headBound(
    rule: CompiledRule,
    values: readonly Value[],
  ): { steps: readonly Step[]; frame: Frame } | undefined {
    let plan = headBoundPlans.get(rule);
    if (!plan) {
      const inBody = new Set(rule.clause.body.flatMap(literalVariables));
      const prebound = new Set<string>();
      const slots: [number, number][] = [];
      rule.clause.head.args.forEach((term, position) => {
        if (term.kind !== 'var' || !inBody.has(term.name)) return;
        const slot = rule.scope.slotOf.get(term.name);
        if (slot === undefined) return;
        prebound.add(term.name);
        slots.push([position, slot]);
      });
      plan = { steps: compileBody(rule.clause.body, rule.scope, { prebound }), slots };
      headBoundPlans.set(rule, plan);
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

  // ------------------------------------------------------------ aggregation

  #aggregation(rule: CompiledRule): Aggregation {
    let state = this.#aggregations.get(rule);
    if (!state) {
      let keys = groupings.get(rule);
      if (keys === undefined) {
        keys = groupKeys(rule);
        groupings.set(rule, keys);
      }
      state = { keys, groups: new Map(), counts: new Map() };
      this.#aggregations.set(rule, state);
    }
    return state;
  }

  /** Evaluates an aggregating rule whole; returns its head tuples. */
  #rebuildAggregation(rule: CompiledRule): Iterable<Value[]> {
    const state = this.#aggregation(rule);
    const { groups, counts } = state;
    this.#undo?.push(() => {
      state.groups = groups;
      state.counts = counts;
    });
    state.groups = new Map();
    state.counts = new Map();
    const heads = new Map<string, Value[]>();
    for (const [group, produced] of this.#groupedOutputs(rule, state)) {
      state.groups.set(group, produced);
      for (const [key, values] of produced) {
        state.counts.set(key, (state.counts.get(key) ?? 0) + 1);
        heads.set(key, values);
      }
    }
    return heads.values();
  }

  /** Every group's head tuples, from a whole evaluation of an aggregating rule. */
  #groupedOutputs(rule: CompiledRule, state: Aggregation): Map<string, Map<string, Value[]>> {
    const groups = new Map<string, Map<string, Value[]>>();
    for (const row of this.#rows(rule, rule.full, this.#current, false)) {
      const values = headValues(rule.shape, row.frame);
      if (values === undefined) continue;
      // After the grouping stage the key slots still hold the group's keys.
      const group = state.keys ? keyOf(row.frame as Value[], state.keys.slots) : '';
      let heads = groups.get(group);
      if (!heads) {
        heads = new Map();
        groups.set(group, heads);
      }
      heads.set(tupleKey(values), values);
    }
    return groups;
  }

  /** One group's head tuples: the body run with the group's keys bound. */
  #evaluateGroup(
    rule: CompiledRule,
    keys: NonNullable<Aggregation['keys']>,
    keyValues: readonly Value[],
  ): Map<string, Value[]> {
    let steps = groupPlans.get(rule);
    if (!steps) {
      steps = compileBody(rule.clause.body, rule.scope, { prebound: new Set(keys.names) });
      groupPlans.set(rule, steps);
    }
    const frame: Frame = new Array(rule.shape.slots.length).fill(undefined);
    keys.slots.forEach((slot, index) => {
      frame[slot] = keyValues[index];
    });
    const heads = new Map<string, Value[]>();
    for (const row of this.#rows(rule, steps, this.#current, false, frame)) {
      const values = headValues(rule.shape, row.frame);
      if (values !== undefined) heads.set(tupleKey(values), values);
    }
    return heads;
  }

  /**
   * Brings the stratum's aggregations up to date with `changes`: re-evaluates
   * the groups of the changed facts (every group when a changed premise does
   * not name all the keys) and returns the head tuples no group produces any
   * more (`lost`) and those newly produced (`gained`).
   */
  #updateAggregations(
    shape: Shape,
    changes: Map<string, Change>,
  ): {
    lost: Map<string, Map<string, Value[]>>;
    gained: [CompiledRule, Value[]][];
  } {
    const lost = new Map<string, Map<string, Value[]>>();
    const gained: [CompiledRule, Value[]][] = [];
    for (const rule of shape.aggregations) {
      const state = this.#aggregation(rule);
      let groups: Map<string, Value[]> | null = state.keys ? new Map() : null;
      let inputs = false;
      const body = rule.clause.body;
      for (let index = 0; index < body.length; index++) {
        const literal = body[index] as Literal;
        if (literal.kind === 'comparison') continue;
        const delta = changes.get(literal.atom.predicate);
        if (delta === undefined || (delta.added.size === 0 && delta.removed.size === 0)) continue;
        inputs = true;
        if (groups === null) continue;
        const positions = state.keys?.positions.get(index);
        if (!positions) {
          groups = null;
          continue;
        }
        for (const facts of [delta.added, delta.removed]) {
          for (const fact of facts.values()) {
            const values = positions.map((position) => fact.values[position] as Value);
            groups.set(tupleKey(values), values);
          }
        }
      }
      if (!inputs) continue;
      const counted = new Map<string, { values: Value[]; before: number }>();
      if (groups !== null && state.keys !== null) {
        for (const [group, values] of groups) {
          this.#replaceGroup(state, group, this.#evaluateGroup(rule, state.keys, values), counted);
        }
      } else {
        const fresh = this.#groupedOutputs(rule, state);
        for (const group of [...state.groups.keys()]) {
          if (!fresh.has(group)) this.#replaceGroup(state, group, NO_HEADS, counted);
        }
        for (const [group, heads] of fresh) this.#replaceGroup(state, group, heads, counted);
      }
      for (const [key, { values, before }] of counted) {
        const after = state.counts.get(key) ?? 0;
        if (before > 0 && after === 0) {
          stage(lost, rule.predicate, key, values);
        } else if (before === 0 && after > 0) gained.push([rule, values]);
      }
    }
    return { lost, gained };
  }

  /** Sets what one group produces, keeping the head counts; notes each head's count before. */
  #replaceGroup(
    state: Aggregation,
    group: string,
    heads: ReadonlyMap<string, Value[]>,
    counted: Map<string, { values: Value[]; before: number }>,
  ): void {
    const old = state.groups.get(group);
    this.#undo?.push(() => this.#replaceGroup(state, group, old ?? NO_HEADS, new Map()));
    const note = (key: string, values: Value[]) => {
      if (!counted.has(key)) counted.set(key, { values, before: state.counts.get(key) ?? 0 });
    };
    if (old) {
      for (const [key, values] of old) {
        if (heads.has(key)) continue;
        note(key, values);
        const count = (state.counts.get(key) ?? 0) - 1;
        if (count > 0) state.counts.set(key, count);
        else state.counts.delete(key);
      }
    }
    for (const [key, values] of heads) {
      if (old?.has(key)) continue;
      note(key, values);
      state.counts.set(key, (state.counts.get(key) ?? 0) + 1);
    }
    if (heads.size > 0) state.groups.set(group, new Map(heads));
    else state.groups.delete(group);
  }

  // ------------------------------------------------------------ evaluation

  /**
   * Recomputes a stratum and records how its predicates changed: for the
   * naive strategy, a refreshed external, and an over-deletion too large.
   */
  #recomputeAndRecord(stratum: Stratum, changes: Map<string, Change>): void {
    const before = this.#recompute(stratum);
    for (const [name, old] of before) {
      const now = this.relation(name).facts;
      for (const [key, fact] of now) if (!old.has(key)) record(changes, name, 'added', key, fact);
      for (const [key, fact] of old) if (!now.has(key)) record(changes, name, 'removed', key, fact);
    }
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
    const shape = this.#shape(stratum);
    // Tuples the stratum held before were checked against their bounds when first derived.
    this.#checked = before;
    try {
      // Aggregations read only lower strata, which are final: once, first.
      const pending = new Map<string, Map<string, Value[]>>();
      for (const rule of shape.aggregations) {
        for (const values of this.#rebuildAggregation(rule)) this.#stage(pending, rule, values);
      }
      this.#commit(pending);
      this.#evaluate(stratum, shape);
    } finally {
      this.#checked = undefined;
    }
    return before;
  }

  /**
   * Evaluates a stratum's rules to their fixpoint: every rule once on whole
   * relations, then (if recursive) semi-naive rounds, each joining only
   * against the facts the previous round found; or, with the naive strategy,
   * every rule on whole relations until nothing is new.
   */
  #evaluate(stratum: Stratum, shape: Shape): void {
    const pending = new Map<string, Map<string, Value[]>>();
    for (const rule of shape.rules) this.#runRule(rule, rule.full, -1, NO_DELTA, pending);
    let delta = this.#commit(pending);
    if (!stratum.recursive) return;
    if (this.#strategy === 'naive') {
      while (hasFacts(delta)) {
        const next = new Map<string, Map<string, Value[]>>();
        for (const rule of shape.rules) this.#runRule(rule, rule.full, -1, NO_DELTA, next);
        delta = this.#commit(next);
      }
      return;
    }
    this.#rounds(shape, delta, undefined);
  }

  /** Runs delta joins, then (if recursive) semi-naive rounds; returns every fact added. */
  #insert(stratum: Stratum, shape: Shape, joins: readonly DeltaJoin[]): Map<string, Fact[]> {
    const pending = new Map<string, Map<string, Value[]>>();
    for (const join of joins)
      this.#runRule(join.rule, join.plan, join.literal, join.facts, pending);
    const delta = this.#commit(pending);
    const added = new Map<string, Fact[]>();
    merge(added, delta);
    if (stratum.recursive) this.#rounds(shape, delta, added);
    return added;
  }

  /** Semi-naive rounds over a recursive stratum's own predicates, from `delta`. */
  #rounds(
    shape: Shape,
    first: ReadonlyMap<string, Fact[]>,
    added: Map<string, Fact[]> | undefined,
  ): void {
    let delta = first;
    while (hasFacts(delta)) {
      const pending = new Map<string, Map<string, Value[]>>();
      for (const [name, facts] of delta) {
        if (facts.length === 0) continue;
        // A stratum's own predicates are read positively only (stratification).
        for (const { rule, literal } of shape.own.get(name) ?? []) {
          this.#runRule(rule, deltaPlan(rule, literal), literal, facts, pending);
        }
      }
      delta = this.#commit(pending);
      if (added) merge(added, delta);
    }
  }

  #runRule(
    rule: CompiledRule,
    steps: readonly Step[],
    deltaLiteral: number,
    delta: readonly Fact[],
    pending: Map<string, Map<string, Value[]>>,
  ): void {
    const sources: PlanSources =
      deltaLiteral < 0
        ? this.#current
        : { relation: this.#relationOf, external: this.askExternal, deltaLiteral, delta };
    this.#solve(rule, steps, sources, (values) => this.#stage(pending, rule, values));
  }

  /** A rule's rows after its transforms, over the current relations (explanations bound premises by rank). */
  transformRows(rule: CompiledRule, maxRank?: number): Row[] {
    return this.#rows(
      rule,
      rule.full,
      maxRank === undefined ? this.#current : { ...this.#current, maxRank },
      true,
    );
  }

  /** Runs a rule's plan and applies its `|>` stages to the solutions. */
  #rows(
    rule: CompiledRule,
    steps: readonly Step[],
    sources: PlanSources,
    premises: boolean,
    frame: Frame = new Array(rule.shape.slots.length).fill(undefined),
  ): Row[] {
    const rows: Row[] = [];
    runPlan(steps, sources, frame, (solved, used) => {
      rows.push({ frame: [...solved], premises: premises ? [...used] : NO_DELTA });
      return undefined;
    });
    return applyTransforms(rule.shape, rule.singleAtomBody, rows);
  }

  #stage(pending: Map<string, Map<string, Value[]>>, rule: CompiledRule, values: Value[]): void {
    const key = tupleKey(values);
    if (this.relation(rule.predicate).has(key) || pending.get(rule.predicate)?.has(key)) return;
    // Checked here, where the rule that made the tuple is known, once per new tuple.
    if (this.#bounds !== 'ignore' && !this.#checked?.get(rule.predicate)?.has(key)) {
      const info = this.#program.predicates.get(rule.predicate);
      if (info) this.#checkBounds(info, values, rule.clause.at);
    }
    stage(pending, rule.predicate, key, values);
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
    if (this.#bounds === 'ignore' || withinBounds(info, values)) return;
    const bounds = info.declaration?.bounds ?? [];
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

/** Whether a tuple fits one of its predicate's declared `bound` alternatives (or it declares none). */
function withinBounds(info: PredicateInfo, values: readonly Value[]): boolean {
  const bounds = info.declaration?.bounds ?? [];
  return (
    bounds.length === 0 ||
    bounds.some(
      (alternative) =>
        alternative.length !== values.length ||
        alternative.every((type, position) => valueFits(values[position] as Value, type)),
    )
  );
}

/** A fact written in the program, ready to load: see sourceFacts. */
export type SourceFact = {
  readonly info: PredicateInfo;
  readonly fact: Fact;
  readonly at: Position;
  /** Within its declared bounds: nothing to check or report when loading. */
  readonly fits: boolean;
};

/**
 * The program's facts as every engine loads them first, in source order,
 * duplicates dropped: keyed, bounds checked, ranked 1, 2, … as a fresh
 * engine would rank them. Facts are immutable, so engines share these.
 */
export function sourceFacts(
  program: Program,
  ground: (info: PredicateInfo, index: number) => { values: readonly Value[]; at: Position },
): SourceFact[] {
  const facts: SourceFact[] = [];
  const seen = new Set<string>();
  for (const info of program.predicates.values()) {
    for (let index = 0; index < info.facts.length; index++) {
      const { values, at } = ground(info, index);
      const key = tupleKey(values);
      const id = `${info.name}\u001e${key}`;
      if (seen.has(id)) continue;
      seen.add(id);
      facts.push({
        info,
        fact: { values, key, rank: facts.length + 1 },
        at,
        fits: withinBounds(info, values),
      });
    }
  }
  return facts;
}

/** Adds a tuple to a pending map, by predicate and key. */
function stage(
  pending: Map<string, Map<string, Value[]>>,
  name: string,
  key: string,
  values: readonly Value[],
): void {
  let byKey = pending.get(name);
  if (!byKey) {
    byKey = new Map();
    pending.set(name, byKey);
  }
  // Values of a fact are never mutated: sharing them is safe.
  byKey.set(key, values as Value[]);
}

/** An aggregating rule's grouping, when it can be updated group by group (see Aggregation). */
function groupKeys(rule: CompiledRule): Aggregation['keys'] {
  const [first, ...rest] = rule.clause.transforms;
  const slots = rule.shape.transforms[0]?.groupBy;
  if (!first || first.groupBy === null || !slots || rest.some((stage) => stage.groupBy !== null))
    return null;
  const names = first.groupBy;
  const positions = new Map<number, readonly number[] | null>();
  rule.clause.body.forEach((literal, index) => {
    if (literal.kind === 'comparison') return;
    const found = names.map((name) =>
      literal.atom.args.findIndex((arg) => arg.kind === 'var' && arg.name === name),
    );
    positions.set(index, found.every((position) => position >= 0) ? found : null);
  });
  return { names, slots, positions };
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
