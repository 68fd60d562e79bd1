/**
 * A deterministic generator of large, realistic multi-file Mangle programs,
 * shared by the kernel's scale test and its benchmark. The shape follows
 * real rule sets such as codeNERD's: shared schema files that declare entity
 * tables, per-domain directories with a schema, data files and rule files,
 * rules that read predicates of other files and extend predicates of other
 * domains, many declared inputs that start empty, and a few large tables.
 *
 * Rules mix joins, recursion (transitive closures, depth-bounded walks,
 * mutual recursion), stratified negation (written before or after its
 * binders, with `_`), comparisons (also with a function operand), builtins,
 * aggregations (`|> do fn:group_by(…), let N = fn:count()` and other
 * reducers), let-only transforms, wildcards, zero-arity predicates and
 * functions in heads. Every Decl has a bound that the program's facts, base
 * and derived, satisfy: the program loads with `bounds: 'enforce'`.
 *
 * The same seed and options always give the same text. Only syntax the
 * kernel documents (docs/kernel.md) is used.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export type GeneratorOptions = {
  seed?: number;
  files?: number;
  declarations?: number;
  rules?: number;
  /** Base facts written in the files. */
  facts?: number;
};

export type GeneratedSource = { file: string; text: string };

export type GeneratedProgram = {
  /** The files, each with a path relative to the program's directory. */
  readonly sources: readonly GeneratedSource[];
  /** Every base fact of the program, as written (one per line, `p(…).`). */
  readonly facts: readonly string[];
  /** Facts that fit their Decl and are not in the program: candidates to assert. */
  readonly freshFacts: readonly string[];
  /** Every declared predicate. */
  readonly predicates: readonly string[];
  readonly counts: {
    readonly files: number;
    readonly declarations: number;
    readonly rules: number;
    readonly facts: number;
  };
};

// ------------------------------------------------------------------ values

type Sort = 'file' | 'module' | 'symbol' | 'test' | 'user' | 'tool' | 'persona' | 'task' | 'branch';
type ColType = Sort | 'path' | 'text' | 'num' | 'score' | 'kind' | 'mixed' | 'pair' | 'list';

const SORTS: Readonly<Record<Sort, number>> = {
  file: 160,
  module: 24,
  symbol: 200,
  test: 80,
  user: 16,
  tool: 24,
  persona: 6,
  task: 48,
  branch: 12,
};
const SORT_NAMES = Object.keys(SORTS) as Sort[];
const isSort = (type: ColType | undefined): type is Sort => type !== undefined && type in SORTS;

/** The sort of an edge-like table: its first two columns are of one sort. */
const edgeSort = (cols: readonly ColType[]): Sort | undefined =>
  cols.length >= 2 && cols[0] === cols[1] && isSort(cols[0]) ? cols[0] : undefined;

const KINDS = ['/low', '/medium', '/high', '/critical', '/open', '/closed', '/blocked', '/done'];
const TEXTS = [
  'needs review',
  'flaky',
  'say "why", not what',
  "don't touch",
  'legacy',
  'hot path',
  'owner: core',
  'generated',
  'see docs\\faq',
  'two\nlines',
  'tab\tseparated',
  'release blocker',
  'refactor later',
  'security',
  'performance',
  'ready',
  'retry',
  'deprecated',
  'experimental',
  'public api',
  'internal',
  'migrated',
  'pending',
  'wontfix',
];
const NUMBERS = 105; // -5 … 99
const SCORES = 19; // 0.05 … 0.95

const poolSize = (type: ColType): number => {
  if (isSort(type)) return SORTS[type];
  switch (type) {
    case 'path':
      return 200;
    case 'text':
      return TEXTS.length;
    case 'num':
      return NUMBERS;
    case 'score':
      return SCORES;
    case 'kind':
      return KINDS.length;
    case 'mixed':
      return NUMBERS + TEXTS.length;
    default:
      return 10_000;
  }
};

function pathOf(i: number): string {
  const module = i % SORTS.module;
  if (i % 4 === 0) return `test/m${module}/f${i}_test.ts`;
  if (i % 9 === 0) return `docs/m${module}/f${i}.md`;
  return `src/m${module}/f${i}.ts`;
}

/** A Mangle string literal; single quotes now and then, as people write them. */
function quote(text: string): string {
  // Decided by the text, so one value is always written the same way (facts stay distinct).
  if (text.length % 4 === 0 && /^[A-Za-z0-9 :/._-]*$/.test(text)) return `'${text}'`;
  // JSON's escapes for these strings are exactly Mangle's: \" \\ \n \t.
  return JSON.stringify(text);
}

// ------------------------------------------------------------------ random

/** mulberry32: small, fast and the same everywhere. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

// ------------------------------------------------------------------ model

type Pred = {
  readonly name: string;
  readonly cols: readonly ColType[];
  /** base: has facts or may get them; derived: has rules. */
  readonly role: 'base' | 'derived';
  readonly domain: number;
  /** Derived predicates read only predicates of a lower order (or themselves): stratifiable. */
  readonly order: number;
  /** Facts (base) or an estimate (derived). */
  size: number;
  /** A base table that starts empty (the runtime asserts its facts). */
  readonly input: boolean;
  /** The rule template that made a derived predicate. */
  readonly kind: string;
  /** A recursive pair shares one order; its members may read each other. */
  readonly group?: number;
  /** Base facts, by text, with their values' texts. */
  readonly facts: Map<string, string[]>;
  /** Where its facts go. */
  readonly factFiles: FileDraft[];
};

type FileDraft = {
  readonly path: string;
  readonly domain: number;
  readonly role: 'schema' | 'facts' | 'rules';
  readonly chunks: string[];
};

type Var = { readonly name: string; readonly type: ColType };

type Draft = {
  readonly body: string[];
  /** Variables a head may use (after the transforms, if any). */
  readonly vars: readonly Var[];
  readonly transform?: string;
  readonly reads: readonly Pred[];
  readonly estimate: number;
  readonly kind: string;
  /** A head term that is not a variable (a function), with its type. */
  readonly headTerm?: Var;
};

const VAR_NAMES: Readonly<Record<ColType, string>> = {
  file: 'File',
  module: 'Module',
  symbol: 'Sym',
  test: 'Test',
  user: 'User',
  tool: 'Tool',
  persona: 'Persona',
  task: 'Task',
  branch: 'Branch',
  path: 'Path',
  text: 'Label',
  num: 'N',
  score: 'Score',
  kind: 'Kind',
  mixed: 'Value',
  pair: 'Pair',
  list: 'List',
};

const DOMAINS = [
  'route',
  'policy',
  'files',
  'tests',
  'vcs',
  'deps',
  'review',
  'memory',
  'tools',
  'session',
  'build',
  'docs',
];

const NOUNS: Readonly<Record<string, readonly string[]>> = {
  edge: ['imports', 'calls', 'depends_on', 'blocks', 'extends', 'links_to', 'follows', 'includes'],
  unary: ['generated', 'vendored', 'stale', 'pinned', 'archived', 'flagged', 'locked', 'enabled'],
  path: ['path', 'location', 'source'],
  text: ['label', 'note', 'title'],
  num: ['size', 'priority', 'line_count', 'age'],
  score: ['score', 'confidence', 'weight'],
  kind: ['status', 'severity', 'state'],
  rel: ['owner', 'member_of', 'covers', 'touches', 'assigned_to', 'uses', 'reviews', 'belongs_to'],
  wide: ['event', 'change', 'finding', 'record'],
  mixed: ['setting', 'option', 'attribute'],
  zero: ['maintenance_mode', 'offline', 'strict_mode', 'ci_running'],
  join: ['linked', 'related', 'candidate', 'affected', 'paired', 'relevant'],
  join3: ['chain', 'indirect', 'via'],
  select: ['active', 'open', 'selected', 'marked'],
  compare: ['large', 'urgent', 'recent', 'hot', 'over_limit'],
  arith: ['adjusted', 'budget', 'next'],
  string: ['source_file', 'test_file', 'doc_file', 'labelled'],
  negation: ['unclaimed', 'orphan', 'missing', 'untested', 'uncovered', 'unblocked'],
  aggregate: ['count', 'total', 'max', 'stats', 'per'],
  let: ['tagged', 'described', 'shifted'],
  closure: ['reaches', 'transitive', 'closure'],
  depth: ['depth', 'distance', 'level'],
  mutual: ['alternating', 'odd', 'even'],
  flag: ['any_blocked', 'has_pending', 'degraded'],
  selfjoin: ['sibling', 'peer', 'shares'],
  pair: ['key', 'ref'],
};

// --------------------------------------------------------------- generator

class Generator {
  readonly #rng: () => number;
  readonly preds: Pred[] = [];
  readonly #names = new Set<string>();
  readonly files: FileDraft[] = [];
  readonly #domainCount: number;
  #order = 0;
  #group = 0;
  rules = 0;
  declarations = 0;

  constructor(seed: number, fileCount: number) {
    this.#rng = random(seed);
    const shared = Math.max(1, Math.round(fileCount * 0.1));
    this.#domainCount = Math.max(1, Math.round((fileCount - shared) / 10));
    for (let i = 0; i < shared; i++) {
      const schema = i < Math.ceil(shared / 2);
      this.files.push({
        path: `shared/${schema ? 'schema' : 'facts'}_${i}.mg`,
        domain: -1,
        role: schema ? 'schema' : 'facts',
        chunks: [],
      });
    }
    const perDomain: number[] = new Array(this.#domainCount).fill(0);
    for (let i = 0; i < fileCount - shared; i++) {
      perDomain[i % this.#domainCount] = (perDomain[i % this.#domainCount] ?? 0) + 1;
    }
    perDomain.forEach((count, domain) => {
      const name = this.domainName(domain);
      const factFiles = Math.max(1, Math.floor(count * 0.3));
      for (let i = 0; i < count; i++) {
        const role = i === 0 ? 'schema' : i <= factFiles ? 'facts' : 'rules';
        const file = role === 'schema' ? 'schema.mg' : `${role}_${i}.mg`;
        this.files.push({ path: `${name}/${file}`, domain, role, chunks: [] });
      }
    });
  }

  domainName(domain: number): string {
    if (domain < 0) return 'core';
    const base = DOMAINS[domain % DOMAINS.length] as string;
    return domain < DOMAINS.length ? base : `${base}${Math.floor(domain / DOMAINS.length)}`;
  }

  // -- random helpers

  next(): number {
    return this.#rng();
  }

  int(n: number): number {
    return Math.floor(this.#rng() * n);
  }

  chance(p: number): boolean {
    return this.#rng() < p;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.int(items.length)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }

  weighted<T>(items: readonly T[], weight: (item: T) => number): T | undefined {
    let total = 0;
    for (const item of items) total += weight(item);
    if (total <= 0) return undefined;
    let at = this.#rng() * total;
    for (const item of items) {
      at -= weight(item);
      if (at < 0) return item;
    }
    return items[items.length - 1];
  }

  /** A skewed index: low indexes are popular, as hot files and busy users are. */
  skewed(n: number): number {
    const u = this.#rng();
    return Math.min(n - 1, Math.floor(n * u * u * u));
  }

  // -- values

  value(type: ColType): string {
    if (isSort(type)) return `/${type}/${type[0]}${this.skewed(SORTS[type])}`;
    switch (type) {
      case 'path':
        return quote(pathOf(this.skewed(200)));
      case 'text':
        return quote(this.pick(TEXTS));
      case 'num':
        return String(this.skewed(NUMBERS) - 5);
      case 'score':
        return ((this.int(SCORES) + 1) / 20).toFixed(2);
      case 'kind':
        return this.pick(KINDS);
      case 'mixed':
        return this.chance(0.5) ? this.value('num') : this.value('text');
      default:
        throw new Error(`no base values of type ${type}`);
    }
  }

  // -- names and files

  name(domain: number, noun: string): string {
    const base = `${this.domainName(domain)}_${noun}`;
    let name = base;
    for (let k = 2; this.#names.has(name); k++) name = `${base}_${k}`;
    this.#names.add(name);
    return name;
  }

  filesOf(domain: number, role: FileDraft['role']): FileDraft[] {
    return this.files.filter((file) => file.domain === domain && file.role === role);
  }

  // -- declarations

  boundOf(type: ColType, loose: boolean): string {
    if (loose) return '/any';
    if (isSort(type)) return this.chance(0.5) ? '/name' : `/${type}`;
    switch (type) {
      case 'path':
      case 'text':
        return '/string';
      case 'num':
        return '/number';
      case 'score':
        return '/float64';
      case 'kind':
        return '/name';
      case 'pair':
        return 'fn:Pair(/name, /number)';
      case 'list':
        return 'fn:List(/name)';
      case 'mixed':
        return '/any';
    }
  }

  declaration(pred: Pred): string {
    const params = paramNames(pred.cols);
    const lines = [`Decl ${pred.name}(${params.join(', ')})`];
    const descr: string[] = [];
    if (this.chance(0.85)) {
      const doc =
        pred.role === 'derived'
          ? `Derived: ${pred.cols.length === 0 ? 'a condition' : `one ${pred.cols.join(' × ')} tuple`} of the ${this.domainName(pred.domain)} rules.`
          : `A ${this.domainName(pred.domain)} table (${pred.cols.join(', ') || 'a flag'}); see "docs/${this.domainName(pred.domain)}.md".`;
      descr.push(`doc(${JSON.stringify(doc)})`);
    }
    if (pred.cols.length > 0 && this.chance(0.4)) {
      const mode = pred.role === 'derived' ? '-' : '+';
      descr.push(`mode(${pred.cols.map(() => `"${mode}"`).join(', ')})`);
    }
    // No external(): that declares a predicate served by a TypeScript callback, not by facts.
    if (descr.length > 0) lines.push(`  descr [${descr.join(', ')}]`);
    if (pred.cols.length > 0 && !this.chance(0.08)) {
      const mixed = pred.cols.indexOf('mixed');
      const loose = this.chance(0.1) ? this.int(pred.cols.length) : -1;
      const bound = (alternative: string | undefined) =>
        `  bound [${pred.cols
          .map((type, i) =>
            i === mixed && alternative !== undefined
              ? alternative
              : this.boundOf(type, i === loose),
          )
          .join(', ')}]`;
      if (mixed >= 0) {
        // Several bound blocks are alternatives: the column holds numbers or strings.
        lines.push(bound('/number'), bound('/string'));
      } else {
        lines.push(bound(undefined));
      }
    }
    this.declarations++;
    return `${lines.join('\n')}.`;
  }

  // -- base predicates and facts

  basePredicate(input: boolean): Pred {
    const domain = this.chance(0.2) ? -1 : this.int(this.#domainCount);
    const sort = () => this.pick(SORT_NAMES);
    const roll = this.next();
    let cols: ColType[];
    let noun: string;
    if (roll < 0.08) {
      const t = this.pick(['file', 'module', 'symbol', 'test', 'task', 'user'] as const);
      cols = this.chance(0.25) ? [t, t, 'num'] : [t, t];
      noun = this.pick(NOUNS.edge ?? []);
    } else if (roll < 0.2) {
      cols = [sort()];
      noun = this.pick(NOUNS.unary ?? []);
    } else if (roll < 0.48) {
      const attribute = this.pick(['path', 'text', 'num', 'num', 'score', 'kind'] as const);
      cols = [sort(), attribute];
      noun = this.pick(NOUNS[attribute] ?? []);
    } else if (roll < 0.7) {
      cols = [sort(), sort()];
      noun = this.pick(NOUNS.rel ?? []);
    } else if (roll < 0.9) {
      cols = [sort(), sort(), this.pick(['kind', 'num', 'text', 'path'] as const)];
      if (this.chance(0.3)) cols.push(this.pick(['num', 'kind', 'score'] as const));
      noun = this.pick(NOUNS.wide ?? []);
    } else if (roll < 0.96) {
      cols = [sort(), 'mixed'];
      noun = this.pick(NOUNS.mixed ?? []);
    } else {
      cols = [];
      noun = this.pick(NOUNS.zero ?? []);
    }
    const dataFiles = this.filesOf(domain, 'facts');
    const files = dataFiles.length > 0 ? dataFiles : this.filesOf(domain, 'schema');
    const factFiles = [this.pick(files)];
    if (files.length > 1 && this.chance(0.2)) factFiles.push(this.pick(files));
    const pred: Pred = {
      name: this.name(domain, noun),
      cols,
      role: 'base',
      domain,
      order: -1,
      size: 0,
      input,
      kind: 'base',
      facts: new Map(),
      factFiles,
    };
    this.preds.push(pred);
    const schema = this.pick(this.filesOf(domain, 'schema'));
    schema.chunks.push(this.declaration(pred));
    return pred;
  }

  capacity(pred: Pred): number {
    let capacity = 1;
    for (const type of pred.cols) capacity *= poolSize(type);
    return capacity;
  }

  /** Adds up to `n` distinct facts to a base predicate; returns how many it added. */
  addFacts(pred: Pred, n: number): number {
    let added = 0;
    const edge = edgeSort(pred.cols) !== undefined;
    for (let attempts = 0; added < n && attempts < n * 20; attempts++) {
      const values = pred.cols.map((type) => this.value(type));
      if (edge) {
        // Dependency-like graphs point from lower to higher ids: a DAG, as imports are.
        const [a, b] = [values[0] ?? '', values[1] ?? ''];
        const id = (text: string) => Number(/(\d+)$/.exec(text)?.[1] ?? 0);
        if (id(a) === id(b)) continue;
        if (id(a) > id(b)) [values[0], values[1]] = [b, a];
      }
      const text = `${pred.name}(${values.join(', ')}).`;
      if (pred.facts.has(text)) continue;
      pred.facts.set(text, values);
      added++;
    }
    pred.size = pred.facts.size;
    return added;
  }

  /** A fact of `pred` that the program does not have, or undefined. */
  freshFact(pred: Pred): string | undefined {
    for (let attempts = 0; attempts < 50; attempts++) {
      const values = pred.cols.map((type) => this.value(type));
      const text = `${pred.name}(${values.join(', ')}).`;
      if (!pred.facts.has(text)) return text;
    }
    return undefined;
  }

  // -- choosing what a rule reads

  readable(order: number, filter: (pred: Pred) => boolean, domain: number): Pred | undefined {
    return this.weighted(this.preds, (pred) => {
      if (pred.order >= order || !filter(pred)) return 0;
      // Rules mostly read tables that have something in them; inputs that start empty now and then.
      const filled = Math.log2(1 + pred.size);
      let weight = pred.size < 1 ? 0.3 : pred.role === 'derived' ? 2 + filled : 1 + filled;
      if (pred.domain === domain) weight *= 3;
      else if (pred.domain === -1) weight *= 2;
      return weight;
    });
  }

  // -- rule drafts

  /** Builds the premise text of an atom, binding each column to a fixed term, `_` or a fresh variable. */
  atom(
    pred: Pred,
    fixed: ReadonlyMap<number, string>,
    scope: Scope,
    wildcards: number,
  ): { text: string; bound: Var[] } {
    const bound: Var[] = [];
    const args = pred.cols.map((type, i) => {
      const term = fixed.get(i);
      if (term !== undefined) return term;
      if (type === 'pair' || type === 'list' || this.chance(wildcards)) return '_';
      const variable = scope.fresh(type);
      bound.push(variable);
      return variable.name;
    });
    return { text: `${pred.name}(${args.join(', ')})`, bound };
  }

  colsOf(pred: Pred, test: (type: ColType) => boolean): number[] {
    return pred.cols.flatMap((type, i) => (test(type) ? [i] : []));
  }

  draft(kind: string, order: number, domain: number): Draft | undefined {
    const scope = new Scope();
    const hasSort = (pred: Pred) => pred.cols.some(isSort);
    switch (kind) {
      case 'join': {
        const a = this.readable(order, hasSort, domain);
        if (!a) return undefined;
        const i = this.pick(this.colsOf(a, isSort));
        const t = a.cols[i] as Sort;
        const b = this.readable(order, (p) => p !== a && p.cols.includes(t), domain);
        if (!b) return undefined;
        const j = this.pick(this.colsOf(b, (type) => type === t));
        const x = scope.fresh(t);
        const first = this.atom(a, new Map([[i, x.name]]), scope, 0.3);
        const second = this.atom(b, new Map([[j, x.name]]), scope, 0.3);
        return {
          kind,
          body: [first.text, second.text],
          vars: [x, ...first.bound, ...second.bound],
          reads: [a, b],
          estimate: (a.size * b.size) / poolSize(t),
        };
      }
      case 'join3': {
        const base = this.draft('join', order, domain);
        if (!base) return undefined;
        const link = base.vars.filter((v) => isSort(v.type));
        if (link.length === 0) return undefined;
        const x = this.pick(link);
        const c = this.readable(order, (p) => p.cols.includes(x.type), domain);
        if (!c) return undefined;
        const j = this.pick(this.colsOf(c, (type) => type === x.type));
        const third = this.atom(c, new Map([[j, x.name]]), scope.after(base.vars), 0.5);
        return {
          ...base,
          kind,
          body: [...base.body, third.text],
          vars: [...base.vars, ...third.bound],
          reads: [...base.reads, c],
          estimate: (base.estimate * c.size) / poolSize(x.type),
        };
      }
      case 'select': {
        const a = this.readable(
          order,
          (p) => p.cols.length >= 2 && (p.role === 'base' ? p.size > 0 : p.cols.includes('kind')),
          domain,
        );
        if (!a) return undefined;
        const i = this.int(a.cols.length);
        const type = a.cols[i] as ColType;
        if (type === 'pair' || type === 'list' || type === 'mixed') return undefined;
        // A constant the table has, so the selection selects something.
        const sample = [...a.facts.values()];
        const constant = sample.length > 0 ? (this.pick(sample)[i] as string) : this.value(type);
        const atom = this.atom(a, new Map([[i, constant]]), scope, 0.2);
        if (atom.bound.length === 0) return undefined;
        return {
          kind,
          body: [atom.text],
          vars: atom.bound,
          reads: [a],
          estimate: a.size / poolSize(type),
        };
      }
      case 'compare': {
        const numeric = (type: ColType) => type === 'num' || type === 'score';
        const a = this.readable(order, (p) => p.cols.some(numeric), domain);
        if (!a) return undefined;
        const i = this.pick(this.colsOf(a, numeric));
        const type = a.cols[i] as ColType;
        const n = scope.fresh(type);
        const atom = this.atom(a, new Map([[i, n.name]]), scope, 0.3);
        const op = this.pick(['<', '<=', '>', '>=', '!='] as const);
        const limit = type === 'score' ? this.value('score') : String(this.int(60));
        const plus = type === 'score' ? 'fn:float:plus' : 'fn:plus';
        // A function as a comparison operand, as in `fn:minus(Now, T) < 2592000`.
        const test = this.chance(0.25)
          ? `${plus}(${n.name}, ${this.int(10) + 1}) ${op} ${limit}`
          : `${n.name} ${op} ${limit}`;
        const body = this.chance(0.3) ? [test, atom.text] : [atom.text, test];
        return {
          kind,
          body,
          vars: [n, ...atom.bound],
          reads: [a],
          estimate: a.size / 2,
        };
      }
      case 'arith': {
        const a = this.readable(order, (p) => p.cols.includes('num'), domain);
        if (!a) return undefined;
        const i = this.pick(this.colsOf(a, (type) => type === 'num'));
        const n = scope.fresh('num');
        const m = scope.fresh('num');
        const atom = this.atom(a, new Map([[i, n.name]]), scope, 0.3);
        const k = this.int(9) + 1;
        const expr = this.pick([
          `fn:plus(${n.name}, ${k})`,
          `fn:minus(${n.name}, ${k})`,
          `fn:mult(${n.name}, ${k})`,
          `fn:div(${n.name}, ${k + 1})`,
          `fn:mod(${n.name}, ${k + 1})`,
        ]);
        const assign = `${m.name} = ${expr}`;
        return {
          kind,
          body: this.chance(0.3) ? [assign, atom.text] : [atom.text, assign],
          vars: [m, n, ...atom.bound],
          reads: [a],
          estimate: a.size,
        };
      }
      case 'string': {
        const a = this.readable(
          order,
          (p) => p.cols.includes('path') || p.cols.includes('text'),
          domain,
        );
        if (!a) return undefined;
        const i = this.pick(this.colsOf(a, (type) => type === 'path' || type === 'text'));
        const type = a.cols[i] as ColType;
        const s = scope.fresh(type);
        const atom = this.atom(a, new Map([[i, s.name]]), scope, 0.3);
        const test =
          type === 'path'
            ? this.pick([
                `:string:starts_with(${s.name}, "src/")`,
                `:string:starts_with(${s.name}, 'test/')`,
                `:string:ends_with(${s.name}, "_test.ts")`,
                `:string:ends_with(${s.name}, ".md")`,
                `:string:contains(${s.name}, "/m${this.int(SORTS.module)}/")`,
              ])
            : this.pick([
                `:string:contains(${s.name}, "re")`,
                `:string:starts_with(${s.name}, "p")`,
                `:string:ends_with(${s.name}, "d")`,
              ]);
        const body = this.chance(0.3) ? [test, atom.text] : [atom.text, test];
        const vars: Var[] = [s, ...atom.bound];
        if (this.chance(0.3)) {
          const joined = scope.fresh('text');
          const other = this.pick(atom.bound.length > 0 ? atom.bound : vars);
          body.push(`${joined.name} = fn:string:concat(${s.name}, "#", ${other.name})`);
          vars.unshift(joined);
        }
        return { kind, body, vars, reads: [a], estimate: a.size / 3 };
      }
      case 'negation': {
        const a = this.readable(order, hasSort, domain);
        if (!a) return undefined;
        const i = this.pick(this.colsOf(a, isSort));
        const t = a.cols[i] as Sort;
        const x = scope.fresh(t);
        const atom = this.atom(a, new Map([[i, x.name]]), scope, 0.3);
        const vars = [x, ...atom.bound];
        const zero = this.chance(0.12)
          ? this.readable(order, (p) => p.cols.length === 0, domain)
          : undefined;
        let negated: string;
        let b: Pred;
        if (zero) {
          b = zero;
          negated = `!${zero.name}()`;
        } else {
          const found = this.readable(
            order,
            (p) => p !== a && p.cols.includes(t) && !p.cols.includes('pair'),
            domain,
          );
          if (!found) return undefined;
          b = found;
          const j = this.pick(this.colsOf(b, (type) => type === t));
          const args = b.cols.map((type, k) => {
            if (k === j) return x.name;
            const same = vars.filter((v) => v.type === type && v !== x);
            return same.length > 0 && this.chance(0.3) ? this.pick(same).name : '_';
          });
          negated = `!${b.name}(${args.join(', ')})`;
        }
        return {
          kind,
          // Negation may come before the premise that binds its variables.
          body: this.chance(0.3) ? [negated, atom.text] : [atom.text, negated],
          vars,
          reads: [a, b],
          estimate: a.size * 0.7,
        };
      }
      case 'aggregate': {
        const base = this.chance(0.3)
          ? this.draft('join', order, domain)
          : (() => {
              const a = this.readable(order, hasSort, domain);
              if (!a) return undefined;
              const atom = this.atom(a, new Map(), scope, 0.4);
              if (atom.bound.length === 0) return undefined;
              return {
                kind,
                body: [atom.text],
                vars: atom.bound,
                reads: [a],
                estimate: a.size,
              } satisfies Draft;
            })();
        if (!base) return undefined;
        const keys = base.vars.filter((v) => isSort(v.type) || v.type === 'kind');
        const global = keys.length === 0 || this.chance(0.1);
        const key = global ? undefined : this.pick(keys);
        const lets: Var[] = [];
        const letText: string[] = [];
        const out = scope.after(base.vars);
        const count = out.fresh('num');
        lets.push(count);
        letText.push(`let ${count.name} = fn:count()`);
        const numbers = base.vars.filter((v) => v.type === 'num');
        const scores = base.vars.filter((v) => v.type === 'score');
        const entities = base.vars.filter((v) => isSort(v.type) && v !== key);
        if (numbers.length > 0 && this.chance(0.6)) {
          const n = this.pick(numbers);
          const reducer = this.pick(['fn:sum', 'fn:max', 'fn:min']);
          const v = out.fresh('num');
          lets.push(v);
          letText.push(`let ${v.name} = ${reducer}(${n.name})`);
        } else if (scores.length > 0 && this.chance(0.6)) {
          const s = this.pick(scores);
          const v = out.fresh('score');
          lets.push(v);
          letText.push(`let ${v.name} = ${this.pick(['fn:float:max', 'fn:float:min'])}(${s.name})`);
        } else if (entities.length > 0 && this.chance(0.4)) {
          const e = this.pick(entities);
          if (this.chance(0.5)) {
            const v = out.fresh('num');
            lets.push(v);
            letText.push(`let ${v.name} = fn:count_distinct(${e.name})`);
          } else if (e.type !== 'mixed') {
            const v = out.fresh('list');
            lets.push(v);
            letText.push(`let ${v.name} = fn:collect_distinct(${e.name})`);
          }
        }
        return {
          kind,
          body: base.body,
          vars: key ? [key, ...lets] : lets,
          transform: `do fn:group_by(${key?.name ?? ''}), ${letText.join(', ')}`,
          reads: base.reads,
          estimate: key ? Math.min(base.estimate, poolSize(key.type)) : 1,
        };
      }
      case 'let': {
        const a = this.readable(
          order,
          (p) => p.cols.some((type) => type === 'path' || type === 'text' || type === 'num'),
          domain,
        );
        if (!a) return undefined;
        const atom = this.atom(a, new Map(), scope, 0.3);
        const usable = atom.bound.filter(
          (v) => v.type === 'path' || v.type === 'text' || v.type === 'num',
        );
        if (usable.length === 0) return undefined;
        const v = this.pick(usable);
        const out = scope.after(atom.bound);
        const entity = atom.bound.find((u) => isSort(u.type));
        let made: Var;
        let expr: string;
        if (v.type === 'num' && entity && this.chance(0.4)) {
          made = out.fresh('pair');
          expr = `fn:pair(${entity.name}, ${v.name})`;
        } else if (v.type === 'num' && this.chance(0.5)) {
          made = out.fresh('num');
          expr = `fn:plus(${v.name}, ${this.int(100)})`;
        } else {
          made = out.fresh('text');
          expr = `fn:string:concat("${this.pick(['tag', 'ref', 'note'])}:", ${v.name})`;
        }
        return {
          kind,
          body: [atom.text],
          vars: [made, ...atom.bound],
          transform: `let ${made.name} = ${expr}`,
          reads: [a],
          estimate: a.size,
        };
      }
      case 'selfjoin': {
        const a = this.readable(
          order,
          (p) =>
            p.cols.length >= 2 &&
            p.cols.filter(isSort).length >= 2 &&
            (p.size * p.size) / 24 < 1_500,
          domain,
        );
        if (!a) return undefined;
        const sorts = this.colsOf(a, isSort);
        const i = this.pick(sorts);
        const j = this.pick(sorts.filter((k) => k !== i));
        if (j === undefined) return undefined;
        const t = a.cols[i] as Sort;
        const z = scope.fresh(a.cols[j] as Sort);
        const x = scope.fresh(t);
        const y = scope.fresh(t);
        const first = this.atom(
          a,
          new Map([
            [i, x.name],
            [j, z.name],
          ]),
          scope,
          1,
        );
        const second = this.atom(
          a,
          new Map([
            [i, y.name],
            [j, z.name],
          ]),
          scope,
          1,
        );
        return {
          kind,
          body: [first.text, second.text, `${x.name} != ${y.name}`],
          vars: [x, y, z],
          reads: [a],
          estimate: (a.size * a.size) / poolSize(a.cols[j] as Sort),
        };
      }
      case 'pair': {
        const a = this.readable(
          order,
          (p) => p.cols.includes('num') && p.cols.some(isSort) && p.size > 0,
          domain,
        );
        if (!a) return undefined;
        const i = this.pick(this.colsOf(a, isSort));
        const j = this.pick(this.colsOf(a, (type) => type === 'num'));
        const x = scope.fresh(a.cols[i] as Sort);
        const n = scope.fresh('num');
        const atom = this.atom(
          a,
          new Map([
            [i, x.name],
            [j, n.name],
          ]),
          scope,
          1,
        );
        return {
          kind,
          body: [atom.text],
          vars: [],
          headTerm: { name: `fn:pair(${x.name}, ${n.name})`, type: 'pair' },
          reads: [a],
          estimate: a.size,
        };
      }
      default:
        throw new Error(`unknown draft ${kind}`);
    }
  }

  // -- rules and derived predicates

  derivedPredicate(
    kind: string,
    domain: number,
    noun: string,
    cols: readonly ColType[],
    group?: number,
  ): Pred {
    const pred: Pred = {
      name: this.name(domain, noun),
      cols,
      role: 'derived',
      domain,
      order: this.#order++,
      size: 0,
      input: false,
      kind,
      facts: new Map(),
      factFiles: [],
      ...(group === undefined ? {} : { group }),
    };
    this.preds.push(pred);
    return pred;
  }

  ruleFile(domain: number): FileDraft {
    // Rules sometimes live in schema files, as in codeNERD (and always, in a domain of few files).
    const rules = this.filesOf(domain, 'rules');
    if (rules.length === 0 || this.chance(0.08)) return this.pick(this.filesOf(domain, 'schema'));
    return this.pick(rules);
  }

  clause(head: string, body: readonly string[], transform?: string): string {
    this.rules++;
    const premises = body.map((premise, i) => {
      const last = i === body.length - 1;
      // A trailing comment inside a multi-line rule (never after the last premise: it would hide the period).
      const comment =
        !last && this.chance(0.06) ? `   # ${this.pick(['why', 'see above', 'cheap first'])}` : '';
      return `  ${premise}${last ? '' : ','}${comment}`;
    });
    const tail = transform === undefined ? '' : `\n  |> ${transform}`;
    return `${head} :-\n${premises.join('\n')}${tail}.`;
  }

  /** Chooses head columns among the draft's variables: 1 to 3, at most one mixed. */
  headVars(draft: Draft): Var[] {
    if (draft.headTerm) return [draft.headTerm];
    if (draft.transform?.startsWith('do ')) return [...draft.vars];
    const vars = [...draft.vars];
    const count = Math.min(vars.length, 1 + this.int(3));
    const chosen: Var[] = [];
    // The first variable is the join or key variable: keep it more often than not.
    if (vars[0] && this.chance(0.6)) chosen.push(vars[0]);
    while (chosen.length < count) {
      const v = this.pick(vars);
      if (chosen.includes(v)) continue;
      if (v.type === 'mixed' && chosen.some((c) => c.type === 'mixed')) break;
      chosen.push(v);
    }
    return chosen;
  }

  estimateOf(draft: Draft, head: readonly Var[]): number {
    let product = 1;
    for (const v of head) product *= poolSize(v.type);
    return Math.max(1, Math.min(draft.estimate, product));
  }

  /** One rule for a new predicate. */
  simpleRule(kind: string, domain: number, cap: number): boolean {
    const order = this.#order;
    const draft = this.draft(kind, order, domain);
    if (!draft) return false;
    const head = this.headVars(draft);
    if (head.length === 0) return false;
    const estimate = this.estimateOf(draft, head);
    if (estimate > cap) return false;
    const pred = this.derivedPredicate(kind, domain, this.pick(NOUNS[kind] ?? ['derived']), [
      ...head.map((v) => v.type),
    ]);
    pred.size = estimate;
    const file = this.ruleFile(domain);
    this.placeDeclaration(pred, file);
    const comment = this.chance(0.4)
      ? `# ${pred.name}: ${kind} over ${draft.reads.map((p) => p.name).join(', ')}.\n`
      : '';
    const headText = `${pred.name}(${head.map((v) => v.name).join(', ')})`;
    file.chunks.push(comment + this.clause(headText, tidy(headText, draft), draft.transform));
    return true;
  }

  placeDeclaration(pred: Pred, file: FileDraft): void {
    const schema = this.filesOf(pred.domain, 'schema');
    const target = this.chance(0.3) && schema.length > 0 ? this.pick(schema) : file;
    target.chunks.push(this.declaration(pred));
  }

  /** Another rule for an existing derived predicate, possibly from another domain's file. */
  unionRule(domain: number): boolean {
    const target = this.weighted(this.preds, (p) =>
      // Aggregates, recursive pairs and opaque columns are left alone: a second rule there is odd.
      p.role === 'derived' &&
      p.kind !== 'aggregate' &&
      p.group === undefined &&
      p.cols.length > 0 &&
      !p.cols.includes('pair') &&
      !p.cols.includes('list')
        ? 1
        : 0,
    );
    if (!target) return false;
    for (let attempt = 0; attempt < 6; attempt++) {
      const kind = this.pick(['join', 'select', 'negation', 'compare', 'string', 'join3']);
      const draft = this.draft(kind, target.order, domain);
      if (!draft) continue;
      const head: Var[] = [];
      for (const type of target.cols) {
        const candidates = draft.vars.filter((v) => v.type === type);
        if (candidates.length === 0) break;
        head.push(this.pick(candidates));
      }
      if (head.length !== target.cols.length) continue;
      const estimate = this.estimateOf(draft, head);
      if (estimate > 1_500) continue;
      target.size += estimate;
      const file = this.ruleFile(domain);
      const headText = `${target.name}(${head.map((v) => v.name).join(', ')})`;
      file.chunks.push(
        `# Extends ${target.name} (${this.domainName(target.domain)}).\n` +
          this.clause(headText, tidy(headText, draft)),
      );
      return true;
    }
    return false;
  }

  /** An edge-like predicate: two columns of one sort, a DAG when it is a base table. */
  edge(order: number, domain: number, sort?: Sort): Pred | undefined {
    return this.readable(
      order,
      (p) => {
        const t = edgeSort(p.cols);
        return (
          t !== undefined &&
          p.cols.length <= 3 &&
          (sort === undefined || t === sort) &&
          p.size > 0 &&
          p.size <= 3 * poolSize(t)
        );
      },
      domain,
    );
  }

  closure(domain: number): boolean {
    const order = this.#order;
    const e = this.edge(order, domain);
    if (!e) return false;
    const t = e.cols[0] as Sort;
    const pred = this.derivedPredicate('closure', domain, this.pick(NOUNS.closure ?? []), [t, t]);
    pred.size = Math.min(poolSize(t) ** 2, e.size * 6);
    const [x, y, z] = ['X', 'Y', 'Z'].map((v) => `${VAR_NAMES[t]}${v}`) as [string, string, string];
    const rest = e.cols.length > 2 ? ', _' : '';
    const file = this.ruleFile(domain);
    this.placeDeclaration(pred, file);
    const step = [`${pred.name}(${x}, ${y})`, `${e.name}(${y}, ${z}${rest})`];
    // A filter inside the recursion: a lower predicate, negated.
    const blocker = this.chance(0.3)
      ? this.readable(order, (p) => p.cols.length === 1 && p.cols[0] === t, domain)
      : undefined;
    if (blocker) step.push(`!${blocker.name}(${z})`);
    file.chunks.push(
      `# ${pred.name}: transitive closure of ${e.name}.\n` +
        this.clause(`${pred.name}(${x}, ${y})`, [`${e.name}(${x}, ${y}${rest})`]),
      this.clause(`${pred.name}(${x}, ${z})`, step),
    );
    return true;
  }

  depth(domain: number): boolean {
    const order = this.#order;
    const e = this.edge(order, domain);
    if (!e) return false;
    const t = e.cols[0] as Sort;
    const root = this.readable(order, (p) => p !== e && p.cols.includes(t) && p.size > 0, domain);
    if (!root) return false;
    const limit = 2 + this.int(4);
    const pred = this.derivedPredicate('depth', domain, this.pick(NOUNS.depth ?? []), [t, 'num']);
    pred.size = poolSize(t) * limit;
    const scope = new Scope();
    const x = scope.fresh(t);
    const rootAtom = this.atom(
      root,
      new Map([[this.pick(this.colsOf(root, (type) => type === t)), x.name]]),
      scope,
      1,
    );
    const rest = e.cols.length > 2 ? ', _' : '';
    const file = this.ruleFile(domain);
    this.placeDeclaration(pred, file);
    file.chunks.push(
      `# ${pred.name}: how far from a ${root.name} root, up to ${limit} steps.\n` +
        this.clause(`${pred.name}(${x.name}, 0)`, [rootAtom.text]),
      this.clause(`${pred.name}(Next, M)`, [
        `${pred.name}(${x.name}, D)`,
        `${e.name}(${x.name}, Next${rest})`,
        'M = fn:plus(D, 1)',
        `M <= ${limit}`,
      ]),
    );
    return true;
  }

  mutual(domain: number): boolean {
    const order = this.#order;
    const e1 = this.edge(order, domain);
    if (!e1) return false;
    const t = e1.cols[0] as Sort;
    const e2 = this.edge(order, domain, t) ?? e1;
    const group = this.#group++;
    const [odd, even] = ['odd', 'even'].map((noun) =>
      this.derivedPredicate(
        'mutual',
        domain,
        `${noun}_${this.pick(NOUNS.mutual ?? [])}`,
        [t, t],
        group,
      ),
    ) as [Pred, Pred];
    // Both members must be readable by each other: one order for the pair.
    const size = Math.min(poolSize(t) ** 2, e1.size * 6);
    odd.size = size;
    even.size = size;
    const r1 = e1.cols.length > 2 ? ', _' : '';
    const r2 = e2.cols.length > 2 ? ', _' : '';
    const file = this.ruleFile(domain);
    this.placeDeclaration(odd, file);
    this.placeDeclaration(even, file);
    file.chunks.push(
      `# ${odd.name} and ${even.name}: paths of odd and even length, mutually recursive.\n` +
        this.clause(`${odd.name}(X, Y)`, [`${e1.name}(X, Y${r1})`]),
      this.clause(`${odd.name}(X, Z)`, [`${even.name}(X, Y)`, `${e1.name}(Y, Z${r1})`]),
      this.clause(`${even.name}(X, Z)`, [`${odd.name}(X, Y)`, `${e2.name}(Y, Z${r2})`]),
    );
    return true;
  }

  flag(domain: number): boolean {
    const order = this.#order;
    const draft = this.draft(this.chance(0.5) ? 'select' : 'negation', order, domain);
    if (!draft) return false;
    const pred = this.derivedPredicate('flag', domain, this.pick(NOUNS.flag ?? []), []);
    pred.size = 1;
    const file = this.ruleFile(domain);
    this.placeDeclaration(pred, file);
    file.chunks.push(this.clause(`${pred.name}()`, draft.body));
    return true;
  }

  /** Makes rules, of every template in proportion, until there are exactly `total`. */
  makeRules(total: number): void {
    const kinds: Array<[string, number]> = [
      ['join', 22],
      ['join3', 7],
      ['select', 9],
      ['compare', 9],
      ['arith', 4],
      ['string', 6],
      ['negation', 12],
      ['aggregate', 8],
      ['let', 4],
      ['selfjoin', 2],
      ['pair', 1],
      ['union', 6],
      ['closure', 4],
      ['depth', 1.5],
      ['mutual', 0.6],
      ['flag', 2],
    ];
    const need: Readonly<Record<string, number>> = { closure: 2, depth: 2, mutual: 3 };
    for (let stuck = 0; this.rules < total && stuck < 10_000; ) {
      const left = total - this.rules;
      const choice = this.weighted(kinds, ([kind, weight]) =>
        (need[kind] ?? 1) <= left ? weight : 0,
      );
      if (!choice) break;
      const [kind] = choice;
      const domain = this.int(this.#domainCount);
      let made: boolean;
      switch (kind) {
        case 'union':
          made = this.unionRule(domain);
          break;
        case 'closure':
          made = this.closure(domain);
          break;
        case 'depth':
          made = this.depth(domain);
          break;
        case 'mutual':
          made = this.mutual(domain);
          break;
        case 'flag':
          made = this.flag(domain);
          break;
        default:
          made = this.simpleRule(kind, domain, 1_500);
      }
      if (!made) stuck++;
    }
    if (this.rules !== total) throw new Error(`generated ${this.rules} rules, wanted ${total}`);
  }
}

class Scope {
  readonly #used: Map<string, number>;

  constructor(used: Map<string, number> = new Map()) {
    this.#used = used;
  }

  fresh(type: ColType): Var {
    const base = VAR_NAMES[type];
    const n = (this.#used.get(base) ?? 0) + 1;
    this.#used.set(base, n);
    return { name: n === 1 ? base : `${base}${n}`, type };
  }

  /** A scope that avoids these variables' names too (and keeps its own count). */
  after(vars: readonly Var[]): Scope {
    const used = new Map(this.#used);
    for (const v of vars) {
      const match = /^([A-Za-z]+?)(\d*)$/.exec(v.name);
      if (!match) continue;
      const [, base = '', digits] = match;
      const n = digits ? Number(digits) : 1;
      if ((used.get(base) ?? 0) < n) used.set(base, n);
    }
    return new Scope(used);
  }
}

const STRING_LITERAL = /"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g;
const VARIABLE = /\b[A-Z][A-Za-z0-9]*\b/g;

/** Applies `edit` to the parts of a premise outside its string literals. */
function outsideStrings(text: string, edit: (part: string) => string): string {
  let out = '';
  let from = 0;
  for (const match of text.matchAll(STRING_LITERAL)) {
    out += edit(text.slice(from, match.index)) + match[0];
    from = match.index + match[0].length;
  }
  return out + edit(text.slice(from));
}

/**
 * A rule body as a person writes it: a variable used once in a positive
 * premise becomes `_`. Rules with transforms keep their names, since named
 * variables make the rows of an aggregation distinct.
 */
function tidy(head: string, draft: Draft): string[] {
  if (draft.transform !== undefined) return [...draft.body];
  const counts = new Map<string, number>();
  for (const text of [head, ...draft.body]) {
    outsideStrings(text, (part) => {
      for (const [name] of part.matchAll(VARIABLE)) counts.set(name, (counts.get(name) ?? 0) + 1);
      return part;
    });
  }
  return draft.body.map((premise) =>
    /^[a-z]/.test(premise)
      ? outsideStrings(premise, (part) =>
          part.replace(VARIABLE, (name) => (counts.get(name) === 1 ? '_' : name)),
        )
      : premise,
  );
}

function paramNames(cols: readonly ColType[]): string[] {
  const scope = new Scope();
  return cols.map((type) => scope.fresh(type).name);
}

// ------------------------------------------------------------------ public

/**
 * A program of `files` files, exactly `declarations` Decls, `rules` rules and
 * `facts` base facts (defaults: 100, 1,500, 500, 4,000), the same for the same
 * options.
 */
export function generateProgram(options: GeneratorOptions = {}): GeneratedProgram {
  const fileCount = options.files ?? 100;
  const declarations = options.declarations ?? 1_500;
  const ruleCount = options.rules ?? 500;
  const factCount = options.facts ?? 4_000;
  if (declarations < ruleCount * 2) throw new Error('need at least two Decls per rule');
  const g = new Generator(options.seed ?? 1, fileCount);

  // Base tables the rules read: most have facts, about a third are inputs that start empty.
  const core = declarations - ruleCount;
  const coreFacts = Math.round(factCount * 0.85);
  const coreBase: Pred[] = [];
  for (let i = 0; i < core; i++) coreBase.push(g.basePredicate(g.chance(0.35)));
  fillFacts(g, coreBase, coreFacts);

  g.makeRules(ruleCount);

  // More tables, read by the runtime rather than by rules, fill up the Decl count.
  const filler: Pred[] = [];
  while (g.declarations < declarations) filler.push(g.basePredicate(g.chance(0.5)));
  const written = () => g.preds.reduce((sum, pred) => sum + pred.facts.size, 0);
  fillFacts(g, filler.length > 0 ? filler : coreBase, factCount - written());
  if (written() < factCount) fillFacts(g, coreBase, factCount - written());

  // Facts go to their tables' data files, grouped by table.
  const facts: string[] = [];
  for (const pred of g.preds) {
    const texts = [...pred.facts.keys()];
    facts.push(...texts);
    const parts = pred.factFiles.length;
    pred.factFiles.forEach((file, part) => {
      const slice = texts.filter((_, i) => i % parts === part);
      if (slice.length > 0) file.chunks.push(`# ${pred.name}\n${slice.join('\n')}`);
    });
  }

  const freshFacts: string[] = [];
  for (const pred of g.preds) {
    if (pred.role !== 'base') continue;
    if (freshFacts.length >= 400) break;
    const fact = g.freshFact(pred);
    if (fact !== undefined) freshFacts.push(fact);
  }

  const sources = g.files.map((file) => ({
    file: file.path,
    text: `# ${file.path}: ${file.role} of the ${g.domainName(file.domain)} rules (generated).\n\n${file.chunks.join('\n\n')}\n`,
  }));
  return {
    sources,
    facts,
    freshFacts,
    predicates: g.preds.map((pred) => pred.name),
    counts: {
      files: sources.length,
      declarations: g.declarations,
      rules: g.rules,
      facts: facts.length,
    },
  };
}

/** Spreads `total` facts over some tables, a few large and most small, as real tables are. */
function fillFacts(g: Generator, tables: readonly Pred[], total: number): void {
  const usable = tables.filter((pred) => !pred.input);
  if (total <= 0 || usable.length === 0) return;
  const weights = usable.map(() => Math.exp(g.next() * Math.log(80)));
  const sum = weights.reduce((a, b) => a + b, 0);
  let left = total;
  usable.forEach((pred, i) => {
    const edge = edgeSort(pred.cols);
    const wanted = edge
      ? poolSize(edge)
      : Math.max(1, Math.round((total * (weights[i] ?? 0)) / sum));
    // A zero-arity flag holds at most its one fact.
    const capacity = g.capacity(pred);
    const room = (capacity === 1 ? 1 : Math.floor(capacity * 0.4)) - pred.facts.size;
    left -= g.addFacts(pred, Math.min(wanted, room, left));
  });
  // Rounding leaves a few over: the largest tables take them.
  const bySize = [...usable].sort((a, b) => b.facts.size - a.facts.size);
  for (let i = 0; left > 0 && i < bySize.length * 4; i++) {
    const pred = bySize[i % bySize.length] as Pred;
    left -= g.addFacts(pred, Math.min(left, 10));
  }
}

/**
 * The program's sources with facts added (in one more file) or removed (from
 * the file that has them): what a from-scratch kernel loads to be compared
 * with an incrementally maintained one.
 */
export function programSources(
  program: GeneratedProgram,
  change: { add?: readonly string[]; remove?: readonly string[] } = {},
): GeneratedSource[] {
  const remove = new Set(change.remove ?? []);
  const sources = program.sources.map((source) => {
    if (remove.size === 0) return source;
    const lines = source.text.split('\n');
    const kept = lines.filter((line) => !remove.has(line));
    return kept.length === lines.length ? source : { file: source.file, text: kept.join('\n') };
  });
  if (change.add && change.add.length > 0) {
    sources.push({ file: 'zz_added.mg', text: `${change.add.join('\n')}\n` });
  }
  return sources;
}

/** Writes the program's files below `dir`, in their subdirectories. */
export async function writeProgram(program: GeneratedProgram, dir: string): Promise<void> {
  for (const source of program.sources) {
    const path = join(dir, source.file);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, source.text);
  }
}
