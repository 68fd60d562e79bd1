/**
 * The logic kernel's public face: load rule files, assert and retract base
 * facts, query with a pattern, and explain any derived fact with its proof.
 */
import { readFileSync, statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type Observable, ReplaySubject } from 'rxjs';
import {
  type Atom,
  type Clause,
  type Literal,
  type Position,
  type SourceUnit,
  stringValue,
  type Term,
  type Value,
} from './ast.js';
import { show } from './builtins.js';
import { analyzedProgram } from './cache.js';
import {
  type BoundsMode,
  Engine,
  type EvaluationStrategy,
  type KernelWarning,
  type SourceFact,
  sourceFacts,
} from './engine.js';
import {
  KernelExternalOptionError,
  KernelFactError,
  MangleArityError,
  MangleUnknownPredicateError,
} from './errors.js';
import { evalExpr, type Frame, headValues, runPlan } from './evaluate.js';
import { bindExternals, type ExternalPredicates } from './external.js';
import { parseAtom, printClause } from './parse/index.js';
import { compileBody, isBuiltinAtom, newScope, type Step, termVariables } from './plan.js';
import { analyzeProgram, type CompiledRule, type PredicateInfo, type Program } from './program.js';
import { type Fact, tupleKey } from './relation.js';

export type KernelSource = { file: string; text: string };

export type KernelOptions = {
  /** What a fact outside its predicate's declared `bound` does. Default `enforce`. */
  bounds?: BoundsMode;
  /** Called for each warning (bounds in `warn` mode); they are also on `kernel.warnings$`. */
  onWarning?: (warning: KernelWarning) => void;
  /**
   * Callbacks serving the program's `external()` predicates, by name. Each
   * external predicate needs one, and each callback must name one.
   */
  externals?: ExternalPredicates;
  /** Evaluation strategy; `naive` exists as the benchmarks' baseline. */
  strategy?: EvaluationStrategy;
  /**
   * Reuse the analyzed program of sources loaded before (the same file names
   * and texts), and keep this one for later loads. Default true; false parses
   * and analyzes anew and leaves the cache alone (see src/kernel/cache.ts).
   */
  cache?: boolean;
};

export type FactInput = { predicate: string; args: readonly Value[] };

export type QueryAnswer = {
  readonly values: readonly Value[];
  /** The pattern's variables and what they matched. */
  readonly bindings: Readonly<Record<string, Value>>;
};

export type Proof = {
  readonly predicate: string;
  readonly values: readonly Value[];
  /** The fact as Mangle text. */
  readonly text: string;
  /**
   * `base`: given in a file or asserted; `rule`: derived; `external`: an
   * answer of an external predicate's callback; `truncated`: deeper than maxDepth.
   */
  readonly via: 'base' | 'rule' | 'external' | 'truncated';
  readonly rule?: { readonly text: string; readonly at: Position };
  readonly premises: readonly Proof[];
  /** Negations and comparisons that held, instantiated: `!verb_has_specialist(/dance)`, `3 < 5`. */
  readonly conditions: readonly string[];
  /** For a fact made by aggregation: how many rows its group had. */
  readonly aggregate?: { readonly rows: number };
};

const QUERY_CACHE_SIZE = 512;

/**
 * Compiled query plans, per program: a plan depends on the program only (its
 * predicates and external modes) and is never changed once compiled, so every
 * kernel of a program shares them — a fresh kernel does not compile the
 * questions its program's earlier kernels already asked.
 */
type QueryPlans = {
  /** By pattern text: callers ask the same few questions over and over. */
  readonly texts: Map<string, CompiledQuery>;
  /**
   * By the pattern's text with its string literals emptied:
   * `persona("i1", P)` and `persona("i2", P)` share one plan, in which each
   * string is a variable bound before the plan runs. Null: that shape has no
   * template (a string not at the top level, say), so it is compiled as text.
   */
  readonly templates: Map<string, TemplateQuery | null>;
  /**
   * For Atom patterns, by their shape: the predicate and, per argument, its
   * variable name, `_`, or a constant — constants are slots filled before
   * each run, so `blocked("c1", X)` and `blocked("c2", X)` share one plan.
   * Callers build such atoms per call (the policy gate does, per tool call),
   * so caching by identity would miss.
   */
  readonly atoms: Map<string, TemplateQuery | null>;
};

const queryPlansOf = new WeakMap<Program, QueryPlans>();

function queryPlans(program: Program): QueryPlans {
  let plans = queryPlansOf.get(program);
  if (!plans) {
    plans = { texts: new Map(), templates: new Map(), atoms: new Map() };
    queryPlansOf.set(program, plans);
  }
  return plans;
}

const sourceFactsOf = new WeakMap<Program, readonly SourceFact[]>();

/** The program's facts, evaluated, keyed and bounds-checked once per program (facts are immutable: kernels share them). */
function programFacts(program: Program): readonly SourceFact[] {
  let facts = sourceFactsOf.get(program);
  if (!facts) {
    facts = sourceFacts(program, (info, index) => {
      const clause = info.facts[index] as Clause;
      return { values: groundValues(clause), at: clause.head.at };
    });
    sourceFactsOf.set(program, facts);
  }
  return facts;
}

type CompiledQuery = {
  readonly steps: readonly Step[];
  readonly scope: ReturnType<typeof newScope>;
  readonly names: readonly string[];
};

/** A query plan whose string arguments are slots, filled in before each run. */
type TemplateQuery = CompiledQuery & { readonly holes: readonly number[] };

/**
 * A pattern's double-quoted string literals and its text without their
 * contents, or undefined when the text has anything that would make that
 * split unsafe: escapes, other quotes, comments, control characters.
 */
function splitStrings(text: string): { shape: string; strings: string[] } | undefined {
  const strings: string[] = [];
  let shape = '';
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // A backslash, single quote, backquote or comment sign: parse the whole text instead.
    if (c === 92 || c === 39 || c === 96 || c === 35) return undefined;
    if (c !== 34) continue;
    const end = text.indexOf('"', i + 1);
    if (end < 0) return undefined;
    const content = text.slice(i + 1, end);
    for (let j = 0; j < content.length; j++) {
      const d = content.charCodeAt(j);
      if (d === 92 || d < 32) return undefined;
    }
    strings.push(content);
    shape += text.slice(from, i + 1);
    from = end;
    i = end;
  }
  return { shape: shape + text.slice(from), strings };
}

const EXPLAIN_AT: Position = { file: '<explain>', line: 1, column: 1 };

export class Kernel {
  readonly #engine: Engine;
  readonly #program: Program;
  readonly #plans: QueryPlans;
  readonly warnings: KernelWarning[] = [];
  /** Replays: warnings raised while loading come before anyone can subscribe. */
  readonly #warnings = new ReplaySubject<KernelWarning>();

  /**
   * A kernel over parsed sources, or over an analyzed program (which kernels
   * share: it is never changed; everything a kernel changes is its own).
   */
  constructor(program: readonly SourceUnit[] | Program, options: KernelOptions = {}) {
    this.#program = 'strata' in program ? program : analyzeProgram(program);
    this.#plans = queryPlans(this.#program);
    const externals = bindExternals(this.#program, options.externals);
    this.#engine = new Engine(this.#program, {
      bounds: options.bounds ?? 'enforce',
      ...(options.strategy ? { strategy: options.strategy } : {}),
      externals,
      onWarning: (warning) => {
        this.warnings.push(warning);
        options.onWarning?.(warning);
        this.#warnings.next(warning);
      },
    });
    this.#engine.addSourceFacts(programFacts(this.#program));
    this.#engine.evaluateAll();
  }

  /** Predicate names and arities, for tooling. */
  get predicates(): ReadonlyArray<{ name: string; arity: number; stratum: number }> {
    return [...this.#program.predicates.values()].map((info) => ({
      name: info.name,
      arity: info.arity,
      stratum: info.stratum,
    }));
  }

  /**
   * Every warning, as an RxJS stream: those raised so far (while loading
   * too) are replayed to each subscriber, then new ones follow as they are
   * raised. The same warnings as `warnings` and `onWarning`.
   */
  get warnings$(): Observable<KernelWarning> {
    return this.#warnings.asObservable();
  }

  /** Adds a base fact (`user_intent("i1", /command, /fix, "a.ts", "").` or a FactInput). */
  assert(fact: string | FactInput): boolean {
    return this.#engine.assertAll([this.#baseFact(fact, 'assert')])[0] === true;
  }

  /** Removes a base fact; derived facts that depended only on it go too. */
  retract(fact: string | FactInput): boolean {
    return this.#engine.retractAll([this.#baseFact(fact, 'retract')])[0] === true;
  }

  /**
   * Adds several base facts at once: the model is brought up to date in one
   * pass, not once per fact. For each fact, whether it was new (false for one
   * already a base fact, or repeated in `facts`). All or nothing: a bad fact
   * or a failure while evaluating leaves the kernel as it was.
   */
  assertAll(facts: Iterable<string | FactInput>): boolean[] {
    return this.#engine.assertAll([...facts].map((fact) => this.#baseFact(fact, 'assert')));
  }

  /** Removes several base facts at once, in one pass; for each, whether it was a base fact. All or nothing. */
  retractAll(facts: Iterable<string | FactInput>): boolean[] {
    return this.#engine.retractAll([...facts].map((fact) => this.#baseFact(fact, 'retract')));
  }

  /**
   * Runs `inspect` while `facts` are asserted, then retracts exactly the ones
   * this call added (a fact that was a base fact before stays), also when
   * `inspect` throws. One pass over the model asserts them all; taking them
   * back undoes what that pass changed, without evaluating anything (unless
   * `inspect` changed the kernel too: then they are retracted).
   */
  withFacts<T>(facts: Iterable<string | FactInput>, inspect: (kernel: Kernel) => T): T {
    const list = [...facts].map((fact) => this.#baseFact(fact, 'assert'));
    return this.#engine.withFacts(list, () => inspect(this));
  }

  /**
   * Forgets what an external predicate's callback answered and recomputes
   * the facts that depend on it: the callback is asked again, so the model
   * follows whatever changed behind it (a file written, a process ended).
   * Until then the kernel keeps the answers it got (an external relation is
   * taken as stable). A callback failing here leaves the old answers.
   */
  refreshExternal(name: string): void {
    if (!this.#program.externals.has(name)) {
      throw new KernelExternalOptionError(
        `refreshExternal(${JSON.stringify(name)}): ${name} is not an external predicate of this program`,
        { details: { predicate: name } },
      );
    }
    this.#engine.refreshExternal(name);
  }

  #baseFact(
    fact: string | FactInput,
    verb: 'assert' | 'retract',
  ): { info: PredicateInfo; values: readonly Value[] } {
    const found = this.#fact(fact);
    if (found.info.external) {
      throw new KernelFactError(
        `cannot ${verb} a fact of ${found.info.name}: it is external, its callback serves its facts (refreshExternal re-reads them)`,
        { details: { predicate: found.info.name } },
      );
    }
    return found;
  }

  /** Every fact matching `pattern`, e.g. `permitted(/write_file, T, _)`. */
  query(pattern: string | Atom): QueryAnswer[] {
    this.#engine.settle();
    const template =
      typeof pattern === 'string' ? this.#fromTemplate(pattern) : this.#fromAtom(pattern);
    const { steps, scope, names } = template?.query ?? this.#compileQuery(pattern);
    const frame: Frame = new Array(scope.names.length).fill(undefined);
    if (template) {
      const { holes } = template.query;
      for (let i = 0; i < holes.length; i++) {
        frame[holes[i] as number] = template.values[i];
      }
    }
    const answers: QueryAnswer[] = [];
    runPlan(
      steps,
      {
        relation: this.#relationOf,
        external: this.#engine.askExternal,
        deltaLiteral: -1,
        delta: [],
      },
      frame,
      (frame, premises) => {
        const fact = premises[0];
        if (!fact) return undefined;
        const bindings: Record<string, Value> = {};
        for (const name of names) {
          const slot = scope.slotOf.get(name);
          const value = slot === undefined ? undefined : frame[slot];
          if (value) bindings[name] = value;
        }
        answers.push({ values: fact.values, bindings });
        return undefined;
      },
    );
    return answers;
  }

  readonly #relationOf = (predicate: string) => this.#engine.relation(predicate);

  /** The template plan for a pattern and its strings, when the exact text is not cached. */
  #fromTemplate(text: string): { query: TemplateQuery; values: readonly Value[] } | undefined {
    if (this.#plans.texts.has(text)) return undefined;
    const split = splitStrings(text);
    if (!split) return undefined;
    const templates = this.#plans.templates;
    let query = templates.get(split.shape);
    if (query === undefined) {
      query = this.#compileTemplate(text, split.strings);
      if (templates.size >= QUERY_CACHE_SIZE) templates.clear();
      templates.set(split.shape, query);
    }
    return query ? { query, values: split.strings.map(stringValue) } : undefined;
  }

  /** The shape plan and constants of an Atom pattern; undefined when an argument is a function or list (compiled each time). */
  #fromAtom(atom: Atom): { query: TemplateQuery; values: readonly Value[] } | undefined {
    let shape = atom.predicate;
    const values: Value[] = [];
    for (const arg of atom.args) {
      // Variable names are letters and digits: none can be confused with `_` or `#`.
      if (arg.kind === 'var') shape += ` ${arg.name}`;
      else if (arg.kind === 'wildcard') shape += ' _';
      else if (arg.kind === 'const') {
        shape += ' #';
        values.push(arg.value);
      } else return undefined;
    }
    const atoms = this.#plans.atoms;
    let query = atoms.get(shape);
    if (query === undefined) {
      query = this.#compileHoles(atom, (term) => term.kind === 'const');
      if (atoms.size >= QUERY_CACHE_SIZE) atoms.clear();
      atoms.set(shape, query);
    }
    return query ? { query, values } : undefined;
  }

  /**
   * A plan for `atom` with the arguments `isHole` picks left open: each
   * becomes a prebound variable whose slot a query fills with its value.
   * Null when a hole got no slot (the plan does not key on it).
   */
  #compileHoles(atom: Atom, isHole: (term: Term) => boolean): TemplateQuery | null {
    this.#info(atom);
    const prebound: string[] = [];
    const args = atom.args.map((term, position): Term => {
      if (!isHole(term)) return term;
      // Not a name the parser accepts, so it cannot clash with the pattern's own.
      const name = `\u0000${position}`;
      prebound.push(name);
      return { kind: 'var', name, at: term.at };
    });
    const scope = newScope(this.#program.externals);
    const literal: Literal = { kind: 'atom', atom: { ...atom, args } };
    const steps = compileBody([literal], scope, { prebound: new Set(prebound) });
    const holes: number[] = [];
    for (const name of prebound) {
      const slot = scope.slotOf.get(name);
      if (slot === undefined) return null;
      holes.push(slot);
    }
    return {
      steps,
      scope,
      names: [...new Set(termVariables({ kind: 'list', items: atom.args, at: atom.at }))],
      holes,
    };
  }

  /** A text pattern's plan with its string literals open, when each is a whole argument, in order, decoded as written. */
  #compileTemplate(text: string, strings: readonly string[]): TemplateQuery | null {
    const atom = parseAtom(text);
    const literals = atom.args.flatMap((term) =>
      term.kind === 'const' && term.value.type === 'string' ? [term.value.value] : [],
    );
    if (
      literals.length !== strings.length ||
      literals.some((literal, index) => literal !== strings[index])
    )
      return null;
    return this.#compileHoles(
      atom,
      (term) => term.kind === 'const' && term.value.type === 'string',
    );
  }

  #compileQuery(pattern: string | Atom): CompiledQuery {
    const texts = this.#plans.texts;
    const cached = typeof pattern === 'string' ? texts.get(pattern) : undefined;
    if (cached) return cached;
    const atom = typeof pattern === 'string' ? parseAtom(pattern) : pattern;
    this.#info(atom);
    const scope = newScope(this.#program.externals);
    const literal: Literal = { kind: 'atom', atom };
    const compiled: CompiledQuery = {
      steps: compileBody([literal], scope),
      scope,
      names: [...new Set(termVariables({ kind: 'list', items: atom.args, at: atom.at }))],
    };
    if (typeof pattern === 'string') {
      if (texts.size >= QUERY_CACHE_SIZE) texts.clear();
      texts.set(pattern, compiled);
    }
    return compiled;
  }

  /** Whether any fact matches `pattern`. */
  holds(pattern: string | Atom): boolean {
    return this.query(pattern).length > 0;
  }

  /** All facts of a predicate. */
  facts(predicate: string): ReadonlyArray<readonly Value[]> {
    if (!this.#program.predicates.has(predicate)) return [];
    this.#engine.settle();
    return [...this.#engine.relation(predicate).facts.values()].map((fact) => fact.values);
  }

  /**
   * The proof of a fact: for a derived fact, the rule that made it and the
   * proofs of its premises, down to base facts. Null when the fact does not hold.
   */
  explain(fact: string | FactInput, options: { maxDepth?: number } = {}): Proof | null {
    this.#engine.settle();
    const { info, values } = this.#fact(fact);
    if (info.external) {
      // Whether it holds is the callback's answer for its inputs.
      const inputs = info.external.inputs.map((position) => values[position] as Value);
      this.#engine.askExternal(info.name, inputs, EXPLAIN_AT);
    }
    const stored = this.#engine.relation(info.name).get(tupleKey(values));
    if (!stored) return null;
    return this.#prove(info, stored, options.maxDepth ?? 64, new Map(), new Set());
  }

  #prove(
    info: PredicateInfo,
    fact: Fact,
    depth: number,
    memo: Map<Fact, Proof>,
    visiting: Set<Fact>,
  ): Proof {
    // A relation holds one Fact object per tuple, and premises are those
    // objects: the fact itself identifies it.
    const known = memo.get(fact);
    if (known) return known;
    const text = `${info.name}(${fact.values.map(show).join(', ')})`;
    const leaf = (via: 'base' | 'external' | 'truncated'): Proof => ({
      predicate: info.name,
      values: fact.values,
      text,
      via,
      premises: [],
      conditions: [],
    });
    if (this.#engine.isBase(info.name, fact.key)) return leaf('base');
    if (info.external) return leaf('external');
    if (depth <= 0) return leaf('truncated');
    visiting.add(fact);
    // First under the rank order (a well-founded proof), then without it, avoiding cycles.
    const found =
      this.#findDerivation(info, fact, fact.rank, visiting) ??
      this.#findDerivation(info, fact, undefined, visiting);
    visiting.delete(fact);
    if (!found) return leaf('truncated');
    const premises = found.premises.map((premise) => {
      const premiseInfo = this.#program.predicates.get(premise.predicate);
      return premiseInfo
        ? this.#prove(premiseInfo, premise.fact, depth - 1, memo, visiting)
        : leaf('truncated');
    });
    const proof: Proof = {
      predicate: info.name,
      values: fact.values,
      text,
      via: 'rule',
      rule: { text: ruleText(found.rule), at: found.rule.clause.at },
      premises,
      conditions: found.conditions,
      ...(found.rows !== undefined ? { aggregate: { rows: found.rows } } : {}),
    };
    memo.set(fact, proof);
    return proof;
  }

  #findDerivation(
    info: PredicateInfo,
    fact: Fact,
    maxRank: number | undefined,
    visiting: ReadonlySet<Fact>,
  ):
    | {
        rule: CompiledRule;
        premises: { predicate: string; fact: Fact }[];
        conditions: string[];
        rows?: number;
      }
    | undefined {
    for (const rule of info.rules) {
      if (rule.clause.transforms.length > 0) {
        const row = this.#engine.transformRows(rule, maxRank).find((candidate) => {
          const values = headValues(rule.shape, candidate.frame);
          return values !== undefined && tupleKey(values) === fact.key;
        });
        if (!row) continue;
        const order = scanOrder(rule.full);
        return {
          rule,
          // A group's rows each contribute one premise per scan, in plan order.
          premises: row.premises.slice(0, 20).map((premise, index) => ({
            predicate: order[index % order.length] ?? '',
            fact: premise,
          })),
          conditions: [],
          rows: rule.aggregates ? row.premises.length : undefined,
        } as const;
      }
      const bound = this.#engine.headBound(rule, fact.values);
      if (!bound) continue;
      const { steps, frame } = bound;
      const order = scanOrder(steps);
      let result: { premises: Fact[]; frame: Frame } | undefined;
      runPlan(
        steps,
        {
          relation: this.#relationOf,
          external: this.#engine.askExternal,
          deltaLiteral: -1,
          delta: [],
          ...(maxRank === undefined ? {} : { maxRank }),
        },
        frame,
        (solved, premises) => {
          const values = headValues(rule.shape, solved);
          if (!values || tupleKey(values) !== fact.key) return undefined;
          const cyclic = premises.some((premise) => visiting.has(premise));
          if (cyclic) return undefined;
          result = { premises: [...premises], frame: [...solved] };
          return true;
        },
      );
      if (!result) continue;
      const solved = result;
      return {
        rule,
        premises: solved.premises.map((premise, index) => ({
          predicate: order[index] ?? '',
          fact: premise,
        })),
        // Premises are the facts matched; everything else that had to hold is a condition.
        conditions: rule.clause.body.flatMap((literal) =>
          literal.kind === 'atom' && !isBuiltinAtom(literal.atom)
            ? []
            : [instantiate(literal, solved.frame, rule)],
        ),
      };
    }
    return undefined;
  }

  #info(atom: Atom): PredicateInfo {
    const info = this.#program.predicates.get(atom.predicate);
    if (!info) {
      throw new MangleUnknownPredicateError(atom.at, `unknown predicate ${atom.predicate}`, {
        predicate: atom.predicate,
      });
    }
    if (info.arity !== atom.args.length) {
      throw new MangleArityError(
        atom.at,
        `${atom.predicate} has ${info.arity} argument(s), got ${atom.args.length}`,
      );
    }
    return info;
  }

  #fact(fact: string | FactInput): { info: PredicateInfo; values: readonly Value[] } {
    if (typeof fact !== 'string') {
      const at: Position = { file: '<fact>', line: 1, column: 1 };
      const info = this.#info({
        predicate: fact.predicate,
        args: fact.args.map((value) => ({ kind: 'const', value, at })),
        at,
      });
      return { info, values: fact.args };
    }
    const atom = parseAtom(fact.trim().replace(/\.\s*$/, ''));
    const info = this.#info(atom);
    const values = atom.args.map((term) => {
      const value = groundTerm(term);
      if (!value) throw new KernelFactError(`a fact must be ground: ${fact}`);
      return value;
    });
    return { info, values };
  }
}

/** A fact's head, evaluated (facts may use functions: `p(fn:plus(1, 2)).`). */
function groundValues(clause: Clause): Value[] {
  const values: Value[] = [];
  for (const term of clause.head.args) {
    const value = groundTerm(term);
    if (!value)
      throw new KernelFactError(
        `${clause.head.at.file}:${clause.head.at.line}: a fact must be ground`,
      );
    values.push(value);
  }
  return values;
}

function groundTerm(term: Term): Value | undefined {
  if (term.kind === 'const') return term.value;
  if (term.kind === 'wildcard' || termVariables(term).length > 0) return undefined;
  const scope = newScope();
  // A term without variables compiles to an expression over no slots.
  const steps = compileBody(
    [
      {
        kind: 'comparison',
        op: '=',
        left: { kind: 'var', name: 'X', at: term.at },
        right: term,
        at: term.at,
      },
    ],
    scope,
  );
  const step = steps[0];
  if (step?.kind !== 'assign') return undefined;
  return evalExpr(step.expr, []);
}

/** The predicates whose facts a plan matches (scans, positive external premises), in the order its premises are recorded. */
function scanOrder(steps: readonly Step[]): string[] {
  let order = scanOrders.get(steps);
  if (!order) {
    order = steps.flatMap((step) =>
      step.kind === 'scan' || (step.kind === 'external' && !step.negated) ? [step.predicate] : [],
    );
    scanOrders.set(steps, order);
  }
  return order;
}

/** Plans are compiled once and kept: so can what explanations read off them. */
const scanOrders = new WeakMap<readonly Step[], string[]>();
const ruleTexts = new WeakMap<CompiledRule, string>();

/** A rule as Mangle text, printed once per rule. */
function ruleText(rule: CompiledRule): string {
  let text = ruleTexts.get(rule);
  if (text === undefined) {
    text = printClause(rule.clause);
    ruleTexts.set(rule, text);
  }
  return text;
}

function instantiate(literal: Literal, frame: Frame, rule: CompiledRule): string {
  const term = (t: Term): string => {
    switch (t.kind) {
      case 'var': {
        const slot = rule.scope.slotOf.get(t.name);
        const value = slot === undefined ? undefined : frame[slot];
        return value ? show(value) : t.name;
      }
      case 'wildcard':
        return '_';
      case 'const':
        return show(t.value);
      case 'apply':
        return `${t.fn}(${t.args.map(term).join(', ')})`;
      case 'list':
        return `[${t.items.map(term).join(', ')}]`;
    }
  };
  switch (literal.kind) {
    case 'negation':
      return `!${literal.atom.predicate}(${literal.atom.args.map(term).join(', ')})`;
    case 'comparison':
      return `${term(literal.left)} ${literal.op} ${term(literal.right)}`;
    case 'atom':
      return `${literal.atom.predicate}(${literal.atom.args.map(term).join(', ')})`;
  }
}

const PATTERN_AT: Position = { file: '<pattern>', line: 1, column: 1 };

/**
 * A query pattern built from values, without writing Mangle text (so no value
 * needs escaping): a string argument is a variable name, or `_`.
 */
export function pattern(predicate: string, args: ReadonlyArray<Value | string>): Atom {
  return {
    predicate,
    args: args.map(
      (arg): Term =>
        typeof arg !== 'string'
          ? { kind: 'const', value: arg, at: PATTERN_AT }
          : arg === '_'
            ? { kind: 'wildcard', at: PATTERN_AT }
            : { kind: 'var', name: arg, at: PATTERN_AT },
    ),
    at: PATTERN_AT,
  };
}

/**
 * A kernel over rule texts. Sources analyzed before (the same file names and
 * texts) reuse their analyzed program unless `options.cache` is false; the
 * kernel is independent of every other all the same.
 */
export function createKernel(
  sources: string | KernelSource | readonly KernelSource[],
  options: KernelOptions = {},
): Kernel {
  const list: readonly KernelSource[] =
    typeof sources === 'string'
      ? [{ file: '<input>', text: sources }]
      : Array.isArray(sources)
        ? sources
        : [sources as KernelSource];
  return new Kernel(analyzedProgram(list, options.cache ?? true), options);
}

/**
 * A kernel over `.mg` files and directories (every `.mg` file inside, sorted),
 * loaded as one program. The files are read on every call, so an edited file
 * is analyzed anew (the cache compares texts, see createKernel).
 */
export async function loadKernel(
  paths: readonly string[],
  options: KernelOptions = {},
): Promise<Kernel> {
  const files: string[] = [];
  for (const path of paths) {
    // Synchronous, like the reads below: a stat takes microseconds, an
    // awaited one a thread-pool round trip per path.
    if (statSync(path).isDirectory()) {
      const entries = await readdir(path, { recursive: true });
      files.push(
        ...entries
          .filter((entry) => entry.endsWith('.mg'))
          .sort()
          .map((entry) => join(path, entry)),
      );
    } else {
      files.push(path);
    }
  }
  // Rule files are small: reading one synchronously takes ~15 µs, an awaited
  // readFile several thread-pool round trips (~100 µs each, measured with
  // the shipped rules) — most of what loading them costs once the analysis
  // is cached. Analysis blocks far longer than the reads anyway.
  const sources = files.map((file) => ({ file, text: readFileSync(file, 'utf8') }));
  return createKernel(sources, options);
}
