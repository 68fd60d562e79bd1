/**
 * Analysis: from parsed source units to a checked, stratified program.
 * Declarations and arities, unknown predicates and builtins, safety (through
 * the planner) and stratification, each error positioned in its own file.
 */
import type { Atom, Clause, Declaration, Literal, Position, SourceUnit, Term } from './ast.js';
import {
  formatPosition,
  MangleArityError,
  MangleDuplicateDeclarationError,
  MangleExternalError,
  MangleStratificationError,
  MangleUnknownPredicateError,
  MangleUnsafeVariableError,
} from './errors.js';
import { type ExternalSpec, externalSpec } from './modes.js';
import {
  type ClauseShape,
  compileBody,
  compileShape,
  isBuiltinAtom,
  lookupBuiltinPredicate,
  newScope,
  type Scope,
  type Step,
} from './plan.js';

export type CompiledRule = {
  readonly clause: Clause;
  readonly predicate: string;
  readonly shape: ClauseShape;
  readonly full: readonly Step[];
  /** Body predicates read by scans, with the literal index of each (external premises are not scans). */
  readonly scans: readonly { readonly predicate: string; readonly literal: number }[];
  readonly negated: readonly string[];
  /** External predicates the body asks, positively or negated. */
  readonly externals: readonly string[];
  /** A `do fn:group_by` transform: runs once its inputs are final. */
  readonly aggregates: boolean;
  /** Mangle's row rule: one positive premise means every matching fact is a row. */
  readonly singleAtomBody: boolean;
  readonly scope: Scope;
  /** Semi-naive plans, by the literal read from the delta; built on first use. */
  readonly deltaPlans: Map<number, readonly Step[]>;
};

export type PredicateInfo = {
  readonly name: string;
  readonly arity: number;
  readonly declaration: Declaration | null;
  /** Set for a predicate declared `external()`: served by a callback, never by facts or rules. */
  readonly external: ExternalSpec | null;
  readonly rules: CompiledRule[];
  /** Facts written in the source. */
  readonly facts: Clause[];
  stratum: number;
  /** Where the arity was first fixed, for messages. */
  readonly firstSeen: Position;
};

export type Stratum = {
  readonly index: number;
  readonly predicates: readonly string[];
  readonly rules: readonly CompiledRule[];
  /** Some rule reads a predicate of this same stratum. */
  readonly recursive: boolean;
};

export type Program = {
  readonly predicates: ReadonlyMap<string, PredicateInfo>;
  /** The external predicates, by name. */
  readonly externals: ReadonlyMap<string, ExternalSpec>;
  readonly rules: readonly CompiledRule[];
  readonly strata: readonly Stratum[];
};

const isFact = (clause: Clause): boolean =>
  clause.body.length === 0 && clause.transforms.length === 0;

export function deltaPlan(rule: CompiledRule, literal: number): readonly Step[] {
  let plan = rule.deltaPlans.get(literal);
  if (!plan) {
    plan = compileBody(rule.clause.body, rule.scope, { first: literal });
    rule.deltaPlans.set(literal, plan);
  }
  return plan;
}

export function analyzeProgram(units: readonly SourceUnit[]): Program {
  const predicates = new Map<string, PredicateInfo>();
  const declarations = new Map<string, Declaration>();
  const externals = new Map<string, ExternalSpec>();

  for (const unit of units) {
    for (const declaration of unit.declarations) {
      const earlier = declarations.get(declaration.predicate);
      if (earlier) {
        throw new MangleDuplicateDeclarationError(
          declaration.at,
          `${declaration.predicate} is declared twice: here and at ${formatPosition(earlier.at)}`,
          { first: earlier.at },
        );
      }
      declarations.set(declaration.predicate, declaration);
      const external = externalSpec(declaration);
      if (external) externals.set(declaration.predicate, external);
      predicates.set(declaration.predicate, {
        name: declaration.predicate,
        arity: declaration.params.length,
        declaration,
        external,
        rules: [],
        facts: [],
        stratum: 0,
        firstSeen: declaration.at,
      });
    }
  }

  const use = (atom: Atom, defines: boolean): PredicateInfo | undefined => {
    const known = predicates.get(atom.predicate);
    if (known) {
      if (known.arity !== atom.args.length) {
        const origin = known.declaration ? 'is declared' : 'was first used';
        throw new MangleArityError(
          atom.at,
          `${atom.predicate} has ${atom.args.length} argument(s) here but ${origin} with ${known.arity} at ${formatPosition(known.firstSeen)}`,
          { predicate: atom.predicate, expected: known.arity, actual: atom.args.length },
        );
      }
      return known;
    }
    if (!defines) return undefined;
    const info: PredicateInfo = {
      name: atom.predicate,
      arity: atom.args.length,
      declaration: null,
      external: null,
      rules: [],
      facts: [],
      stratum: 0,
      firstSeen: atom.at,
    };
    predicates.set(atom.predicate, info);
    return info;
  };

  const clauses = units.flatMap((unit) => unit.clauses);
  // Heads first, so a body may use a predicate defined further down or in another file.
  for (const clause of clauses) {
    if (isBuiltinAtom(clause.head)) {
      throw new MangleUnknownPredicateError(
        clause.head.at,
        `${clause.head.predicate} is a builtin predicate and cannot be defined by a clause`,
      );
    }
    const info = use(clause.head, true);
    if (info?.external) {
      throw new MangleExternalError(
        clause.head.at,
        `${info.name} is declared external() at ${formatPosition(info.external.declaredAt)}: its callback serves its facts, so no ${isFact(clause) ? 'fact' : 'rule'} may define it`,
        { predicate: info.name },
      );
    }
  }
  for (const clause of clauses) {
    for (const literal of clause.body) {
      if (literal.kind === 'comparison') continue;
      if (isBuiltinAtom(literal.atom)) {
        lookupBuiltinPredicate(literal.atom);
        continue;
      }
      if (!use(literal.atom, false)) {
        throw new MangleUnknownPredicateError(
          literal.atom.at,
          `unknown predicate ${literal.atom.predicate}/${literal.atom.args.length}: no fact, rule or Decl defines it`,
          { predicate: literal.atom.predicate },
        );
      }
    }
  }

  const rules: CompiledRule[] = [];
  for (const clause of clauses) {
    const info = predicates.get(clause.head.predicate);
    if (!info) continue; // registered above
    if (isFact(clause)) {
      const variable = clause.head.args.find((arg) => hasVariable(arg));
      if (variable) {
        throw new MangleUnsafeVariableError(
          variable.at,
          `a fact of ${clause.head.predicate} must be ground: it has a variable and no body to bind it`,
        );
      }
      info.facts.push(clause);
      continue;
    }
    const scope = newScope(externals);
    const full = compileBody(clause.body, scope);
    const shape = compileShape(clause.head, clause.body, clause.transforms, scope);
    const scans: { predicate: string; literal: number }[] = [];
    const negated: string[] = [];
    const asked: string[] = [];
    clause.body.forEach((literal, index) => {
      if (literal.kind === 'comparison' || isBuiltinAtom(literal.atom)) return;
      const name = literal.atom.predicate;
      if (externals.has(name)) {
        if (!asked.includes(name)) asked.push(name);
      } else if (literal.kind === 'atom') scans.push({ predicate: name, literal: index });
      if (literal.kind === 'negation') negated.push(name);
    });
    const rule: CompiledRule = {
      clause,
      predicate: clause.head.predicate,
      shape,
      full,
      scans,
      negated,
      externals: asked,
      aggregates: clause.transforms.some((stage) => stage.groupBy !== null),
      singleAtomBody: clause.body.length === 1 && clause.body[0]?.kind === 'atom',
      scope,
      deltaPlans: new Map(),
    };
    rules.push(rule);
    info.rules.push(rule);
  }

  const strata = stratify(predicates, rules);
  return { predicates, externals, rules, strata };
}

function hasVariable(term: Term): boolean {
  switch (term.kind) {
    case 'var':
    case 'wildcard':
      return true;
    case 'apply':
      return term.args.some(hasVariable);
    case 'list':
      return term.items.some(hasVariable);
    case 'const':
      return false;
  }
}

type Edge = { to: string; negative: boolean; why: Literal | Clause };

/**
 * Tarjan's strongly connected components over "head depends on body"; each
 * component is a stratum, in dependency order. A negative edge (negation or
 * aggregation) inside a component is recursion through it: an error.
 */
function stratify(predicates: Map<string, PredicateInfo>, rules: CompiledRule[]): Stratum[] {
  const edges = new Map<string, Edge[]>();
  for (const name of predicates.keys()) edges.set(name, []);
  for (const rule of rules) {
    const out = edges.get(rule.predicate) ?? [];
    for (const literal of rule.clause.body) {
      if (literal.kind === 'comparison' || isBuiltinAtom(literal.atom)) continue;
      out.push({
        to: literal.atom.predicate,
        negative: literal.kind === 'negation' || rule.aggregates,
        why: rule.aggregates && literal.kind === 'atom' ? rule.clause : literal,
      });
    }
    edges.set(rule.predicate, out);
  }

  // Iterative Tarjan: rule sets of thousands of predicates must not overflow the stack.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let counter = 0;
  for (const root of predicates.keys()) {
    if (index.has(root)) continue;
    const work: Array<{ node: string; next: number }> = [{ node: root, next: 0 }];
    index.set(root, counter);
    low.set(root, counter);
    counter++;
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1] as (typeof work)[number];
      const out = edges.get(frame.node) ?? [];
      if (frame.next < out.length) {
        const edge = out[frame.next++] as Edge;
        if (!index.has(edge.to)) {
          index.set(edge.to, counter);
          low.set(edge.to, counter);
          counter++;
          stack.push(edge.to);
          onStack.add(edge.to);
          work.push({ node: edge.to, next: 0 });
        } else if (onStack.has(edge.to)) {
          low.set(frame.node, Math.min(low.get(frame.node) ?? 0, index.get(edge.to) ?? 0));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent)
        low.set(parent.node, Math.min(low.get(parent.node) ?? 0, low.get(frame.node) ?? 0));
      if (low.get(frame.node) === index.get(frame.node)) {
        const component: string[] = [];
        let member: string | undefined;
        do {
          member = stack.pop();
          if (member === undefined) break;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.node);
        components.push(component);
      }
    }
  }

  // Each rule's place in the program: a stratum's rules keep source order
  // (it decides the order facts are found in, and so answers' order).
  const order = new Map<CompiledRule, number>();
  rules.forEach((rule, position) => {
    order.set(rule, position);
  });

  // Tarjan emits a component after everything it depends on: already dependency order.
  const strata: Stratum[] = [];
  components.forEach((component, stratumIndex) => {
    const members = new Set(component);
    for (const name of component) {
      const info = predicates.get(name);
      if (info) info.stratum = stratumIndex;
      for (const edge of edges.get(name) ?? []) {
        if (edge.negative && members.has(edge.to)) {
          throw unstratifiable(name, edge, members, edges);
        }
      }
    }
    // From each member's own rules, not a filter of all rules per component:
    // that was quadratic in the size of the program.
    const componentRules = component.flatMap((name) => predicates.get(name)?.rules ?? []);
    if (component.length > 1)
      componentRules.sort((a, b) => (order.get(a) ?? 0) - (order.get(b) ?? 0));
    strata.push({
      index: stratumIndex,
      predicates: component,
      rules: componentRules,
      recursive: componentRules.some((rule) =>
        rule.scans.some((scan) => members.has(scan.predicate)),
      ),
    });
  });
  return strata;
}

function unstratifiable(
  from: string,
  edge: Edge,
  members: ReadonlySet<string>,
  edges: ReadonlyMap<string, Edge[]>,
): MangleStratificationError {
  // The cycle: from → (negative) edge.to → … → from, found by breadth-first search.
  const previous = new Map<string, { node: string; edge: Edge }>();
  const queue = [edge.to];
  const seen = new Set([edge.to]);
  while (queue.length > 0 && !seen.has(from)) {
    const node = queue.shift() as string;
    for (const next of edges.get(node) ?? []) {
      if (!members.has(next.to) || seen.has(next.to)) continue;
      seen.add(next.to);
      previous.set(next.to, { node, edge: next });
      queue.push(next.to);
    }
  }
  const steps: string[] = [];
  let cursor = from;
  while (cursor !== edge.to) {
    const step = previous.get(cursor);
    if (!step) break;
    steps.unshift(`${step.edge.negative ? '!' : ''}${cursor}`);
    cursor = step.node;
  }
  const cycle = [from, `${edge.negative ? '!' : ''}${edge.to}`, ...steps].join(' → ');
  const kind = 'kind' in edge.why && edge.why.kind === 'negation' ? 'negation' : 'aggregation';
  const at = 'kind' in edge.why ? positionOfLiteral(edge.why) : edge.why.at;
  return new MangleStratificationError(
    at,
    `recursion through ${kind} cannot be stratified: ${cycle}`,
    { cycle },
  );
}

function positionOfLiteral(literal: Literal): Position {
  return literal.kind === 'atom' ? literal.atom.at : literal.at;
}
