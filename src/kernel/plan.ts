/**
 * Compiles one clause into an evaluation plan: variables become frame slots,
 * premises are scheduled so every negation, comparison and function runs as
 * soon as the premises before it bound its variables (the source order of
 * premises does not matter, as in Mangle), and what no order can bind is an
 * error naming the variable.
 */
import type {
  Atom,
  ComparisonOperator,
  Literal,
  Position,
  Term,
  TransformStage,
  Value,
} from './ast.js';
import {
  arityAccepts,
  type BuiltinFunction,
  type BuiltinPredicate,
  builtinFunctions,
  builtinPredicates,
  builtinReducers,
  describeArity,
  type Reducer,
} from './builtins.js';
import {
  MangleExternalError,
  MangleTransformError,
  MangleUnknownBuiltinError,
  MangleUnsafeVariableError,
} from './errors.js';
import type { ExternalSpec } from './modes.js';

export type Expr =
  | { readonly kind: 'slot'; readonly slot: number }
  | { readonly kind: 'const'; readonly value: Value }
  | {
      readonly kind: 'apply';
      readonly fn: BuiltinFunction;
      readonly args: readonly Expr[];
      readonly at: Position;
    }
  | { readonly kind: 'list'; readonly items: readonly Expr[] };

/** How one argument of a scanned atom meets the tuple's value. */
export type ArgMatch =
  /** Already known: the tuple's value must equal it (part of the index key). */
  | { readonly kind: 'key'; readonly expr: Expr }
  /** First occurrence of a variable: take the tuple's value. */
  | { readonly kind: 'bind'; readonly slot: number }
  /** A variable bound by an earlier argument of the same atom: must be equal. */
  | { readonly kind: 'same'; readonly slot: number }
  | { readonly kind: 'ignore' };

export type Step =
  | {
      readonly kind: 'scan';
      readonly predicate: string;
      /** Index of the literal in the clause body; a delta plan reads this one from the delta. */
      readonly literal: number;
      readonly args: readonly ArgMatch[];
      /** Argument positions known before the scan: the index it looks up. */
      readonly keyPositions: readonly number[];
      readonly at: Position;
    }
  | {
      readonly kind: 'negation';
      readonly predicate: string;
      readonly args: readonly ArgMatch[];
      readonly keyPositions: readonly number[];
      readonly at: Position;
    }
  | {
      readonly kind: 'compare';
      readonly op: ComparisonOperator;
      readonly left: Expr;
      readonly right: Expr;
      readonly at: Position;
    }
  | { readonly kind: 'assign'; readonly slot: number; readonly expr: Expr; readonly at: Position }
  | {
      /**
       * A premise on an external predicate: its `+` arguments are evaluated
       * and handed to the engine (which asks the callback once per distinct
       * inputs), then the answers are matched like a scan, or, negated,
       * must not match.
       */
      readonly kind: 'external';
      readonly predicate: string;
      readonly negated: boolean;
      /** The `+` arguments, in argument order. */
      readonly inputs: readonly Expr[];
      readonly args: readonly ArgMatch[];
      /** Always includes the input positions. */
      readonly keyPositions: readonly number[];
      readonly at: Position;
    }
  | {
      readonly kind: 'builtin';
      readonly predicate: BuiltinPredicate;
      /** An Expr where the value is known, a slot number to bind where it is not. */
      readonly args: readonly (Expr | { readonly kind: 'out'; readonly slot: number })[];
      readonly at: Position;
    };

export type CompiledLet = {
  readonly slot: number;
  readonly at: Position;
} & (
  | { readonly kind: 'reduce'; readonly reducer: Reducer; readonly args: readonly Expr[] }
  | { readonly kind: 'map'; readonly expr: Expr }
);

export type CompiledStage = {
  /** Slots of the grouping variables, or null for a let-only stage. */
  readonly groupBy: readonly number[] | null;
  readonly lets: readonly CompiledLet[];
  /** Slots that hold a value after this stage; the rest are cleared by grouping. */
  readonly live: readonly number[];
};

export type ClauseShape = {
  readonly slots: readonly string[];
  readonly head: readonly Expr[];
  readonly transforms: readonly CompiledStage[];
  /** Slots of the named body variables: rows of a multi-premise aggregation are distinct on them. */
  readonly bodySlots: readonly number[];
};

type Scope = {
  slotOf: Map<string, number>;
  names: string[];
  /** The program's external predicates: their premises are planned by mode, not scanned. */
  readonly externals: ReadonlyMap<string, ExternalSpec>;
};

const NO_EXTERNALS: ReadonlyMap<string, ExternalSpec> = new Map();

const slotFor = (scope: Scope, name: string): number => {
  const known = scope.slotOf.get(name);
  if (known !== undefined) return known;
  const slot = scope.names.length;
  scope.names.push(name);
  scope.slotOf.set(name, slot);
  return slot;
};

/** Named variables of a term (wildcards are not variables). */
export function termVariables(term: Term, into: string[] = []): string[] {
  switch (term.kind) {
    case 'var':
      into.push(term.name);
      break;
    case 'apply':
      for (const arg of term.args) termVariables(arg, into);
      break;
    case 'list':
      for (const item of term.items) termVariables(item, into);
      break;
  }
  return into;
}

const atomVariables = (atom: Atom): string[] => atom.args.flatMap((arg) => termVariables(arg));

export function literalVariables(literal: Literal): string[] {
  if (literal.kind === 'comparison')
    return [...termVariables(literal.left), ...termVariables(literal.right)];
  return atomVariables(literal.atom);
}

function lookupFunction(name: string, arity: number, at: Position): BuiltinFunction {
  const fn = builtinFunctions.get(name);
  if (!fn) {
    if (builtinReducers.has(name))
      throw new MangleUnknownBuiltinError(
        at,
        `${name} is a reducer: use it in a transform, |> do fn:group_by(…), let N = ${name}(…)`,
      );
    throw new MangleUnknownBuiltinError(at, `unknown function ${name}`);
  }
  if (!arityAccepts(fn.arity, arity))
    throw new MangleUnknownBuiltinError(
      at,
      `${name} takes ${describeArity(fn.arity)} argument(s), got ${arity}`,
    );
  return fn;
}

export function lookupBuiltinPredicate(atom: Atom): BuiltinPredicate {
  const predicate = builtinPredicates.get(atom.predicate);
  if (!predicate)
    throw new MangleUnknownBuiltinError(atom.at, `unknown builtin predicate ${atom.predicate}`);
  if (!arityAccepts(predicate.arity, atom.args.length))
    throw new MangleUnknownBuiltinError(
      atom.at,
      `${atom.predicate} takes ${describeArity(predicate.arity)} argument(s), got ${atom.args.length}`,
    );
  return predicate;
}

/** An expression over bound slots; callers check boundness first. */
function compileExpr(term: Term, scope: Scope): Expr {
  switch (term.kind) {
    case 'var':
      return { kind: 'slot', slot: slotFor(scope, term.name) };
    case 'const':
      return { kind: 'const', value: term.value };
    case 'apply':
      return {
        kind: 'apply',
        fn: lookupFunction(term.fn, term.args.length, term.at),
        args: term.args.map((arg) => compileExpr(arg, scope)),
        at: term.at,
      };
    case 'list':
      return { kind: 'list', items: term.items.map((item) => compileExpr(item, scope)) };
    case 'wildcard':
      // Unreachable by construction: wildcards are filtered before compiling expressions.
      throw new MangleUnsafeVariableError(term.at, '_ cannot be used as a value here');
  }
}

const isBound = (term: Term, bound: ReadonlySet<string>): boolean =>
  term.kind !== 'wildcard' && termVariables(term).every((name) => bound.has(name));

function compileAtomArgs(
  atom: Atom,
  scope: Scope,
  bound: Set<string>,
): { args: ArgMatch[]; keyPositions: number[] } {
  const args: ArgMatch[] = [];
  const keyPositions: number[] = [];
  const boundHere = new Set<string>();
  atom.args.forEach((term, position) => {
    if (term.kind === 'wildcard') {
      args.push({ kind: 'ignore' });
    } else if (term.kind === 'var' && !bound.has(term.name)) {
      if (boundHere.has(term.name)) {
        args.push({ kind: 'same', slot: slotFor(scope, term.name) });
      } else {
        boundHere.add(term.name);
        args.push({ kind: 'bind', slot: slotFor(scope, term.name) });
      }
    } else {
      args.push({ kind: 'key', expr: compileExpr(term, scope) });
      keyPositions.push(position);
    }
  });
  for (const name of boundHere) bound.add(name);
  return { args, keyPositions };
}

type Pending = { literal: Literal; index: number };

/** Whether every `+` argument of an external premise has a value now. */
const inputsBound = (atom: Atom, spec: ExternalSpec, bound: ReadonlySet<string>): boolean =>
  spec.inputs.every((position) => {
    const arg = atom.args[position];
    return arg !== undefined && isBound(arg, bound);
  });

/** Whether a non-scan literal can run now, and what it binds. */
function readiness(
  literal: Literal,
  bound: ReadonlySet<string>,
  externals: ReadonlyMap<string, ExternalSpec>,
): 'ready' | 'waiting' {
  switch (literal.kind) {
    case 'negation': {
      const spec = externals.get(literal.atom.predicate);
      if (spec && !inputsBound(literal.atom, spec, bound)) return 'waiting';
      return literal.atom.args.every((arg) => arg.kind === 'wildcard' || isBound(arg, bound))
        ? 'ready'
        : 'waiting';
    }
    case 'comparison': {
      const left = isBound(literal.left, bound);
      const right = isBound(literal.right, bound);
      if (left && right) return 'ready';
      if (literal.op !== '=') return 'waiting';
      const lone = (term: Term) => term.kind === 'var' && !bound.has(term.name);
      return (lone(literal.left) && right) || (lone(literal.right) && left) ? 'ready' : 'waiting';
    }
    case 'atom': {
      const spec = externals.get(literal.atom.predicate);
      if (spec) {
        // Outputs may be unbound variables; a function in one needs its variables.
        return inputsBound(literal.atom, spec, bound) && scanReady(literal, bound)
          ? 'ready'
          : 'waiting';
      }
      if (!isBuiltinAtom(literal.atom)) return 'waiting';
      const predicate = lookupBuiltinPredicate(literal.atom);
      return literal.atom.args.every(
        (arg, position) =>
          isBound(arg, bound) ||
          (predicate.mayBind.includes(position) && (arg.kind === 'var' || arg.kind === 'wildcard')),
      )
        ? 'ready'
        : 'waiting';
    }
  }
}

export const isBuiltinAtom = (atom: Atom): boolean => atom.predicate.startsWith(':');

/**
 * Orders and compiles a body. `first` forces one positive premise to run
 * first (the delta premise of a semi-naive plan); `prebound` are variables
 * known before the body runs (a query's or an explanation's head bindings).
 */
export function compileBody(
  body: readonly Literal[],
  scope: Scope,
  options: { first?: number; prebound?: ReadonlySet<string> } = {},
): Step[] {
  const bound = new Set<string>(options.prebound ?? []);
  const steps: Step[] = [];
  const pending: Pending[] = body.map((literal, index) => ({ literal, index }));
  const take = (item: Pending) => pending.splice(pending.indexOf(item), 1);
  const externals = scope.externals;
  const isExternal = (literal: Literal) =>
    literal.kind === 'atom' && externals.has(literal.atom.predicate);
  const isScan = (literal: Literal) =>
    literal.kind === 'atom' && !isBuiltinAtom(literal.atom) && !isExternal(literal);

  if (options.first !== undefined) {
    const forced = pending.find((item) => item.index === options.first);
    // A premise with a function of unbound variables (`q(fn:plus(X, 1))`) cannot
    // be looked up first: it is planned where it fits, and still reads the
    // delta there (the runner reads the delta by literal index, wherever it is).
    if (forced && isScan(forced.literal) && scanReady(forced.literal, bound)) {
      take(forced);
      steps.push(compileScan(forced, scope, bound));
    }
  }
  while (pending.length > 0) {
    // Filters first: they only narrow. Then external premises, as soon as their
    // inputs are known: their outputs can key the scans after them, and the
    // engine asks a callback once per distinct inputs however often a plan
    // reaches it.
    const ready = pending.find(
      (item) =>
        !isScan(item.literal) &&
        !isExternal(item.literal) &&
        readiness(item.literal, bound, externals) === 'ready',
    );
    if (ready) {
      take(ready);
      steps.push(compileFilter(ready.literal, scope, bound));
      continue;
    }
    const external = pending.find(
      (item) => isExternal(item.literal) && readiness(item.literal, bound, externals) === 'ready',
    );
    if (external && external.literal.kind === 'atom') {
      take(external);
      steps.push(compileExternal(external.literal.atom, scope, bound));
      continue;
    }
    const scans = pending.filter((item) => isScan(item.literal) && scanReady(item.literal, bound));
    if (scans.length === 0) {
      const stuck = pending[0];
      if (!stuck) break;
      throwIfExternalStuck(pending, bound, externals);
      const name = literalVariables(stuck.literal).find((variable) => !bound.has(variable));
      throw new MangleUnsafeVariableError(
        positionOf(stuck.literal),
        name === undefined
          ? 'this premise can never be evaluated'
          : `variable ${name} is not bound by any premise that could run before this one`,
        { variable: name },
      );
    }
    // Most-constrained premise first: it narrows the join the most.
    const best = scans.reduce((a, b) =>
      knownArgs(b.literal, bound) > knownArgs(a.literal, bound) ? b : a,
    );
    take(best);
    steps.push(compileScan(best, scope, bound));
  }
  return steps;
}

/** A scan needs the variables inside its function-valued arguments bound. */
function scanReady(literal: Literal, bound: ReadonlySet<string>): boolean {
  if (literal.kind !== 'atom') return false;
  return literal.atom.args.every(
    (arg) => arg.kind === 'var' || arg.kind === 'wildcard' || isBound(arg, bound),
  );
}

function knownArgs(literal: Literal, bound: ReadonlySet<string>): number {
  if (literal.kind !== 'atom') return 0;
  return literal.atom.args.filter((arg) => arg.kind !== 'wildcard' && isBound(arg, bound)).length;
}

function positionOf(literal: Literal): Position {
  return literal.kind === 'atom' ? literal.atom.at : literal.at;
}

function compileScan(item: Pending, scope: Scope, bound: Set<string>): Step {
  if (item.literal.kind !== 'atom') throw new Error('compileScan needs an atom');
  const atom = item.literal.atom;
  const { args, keyPositions } = compileAtomArgs(atom, scope, bound);
  return {
    kind: 'scan',
    predicate: atom.predicate,
    literal: item.index,
    args,
    keyPositions,
    at: atom.at,
  };
}

/**
 * When planning is stuck on an external premise whose `+` arguments nothing
 * can bind, says so in its own terms (which argument, which mode) rather
 * than as a plain unbound variable.
 */
function throwIfExternalStuck(
  pending: readonly Pending[],
  bound: ReadonlySet<string>,
  externals: ReadonlyMap<string, ExternalSpec>,
): void {
  for (const { literal } of pending) {
    if (literal.kind === 'comparison') continue;
    const spec = externals.get(literal.atom.predicate);
    if (!spec) continue;
    for (const position of spec.inputs) {
      const arg = literal.atom.args[position];
      if (arg === undefined || isBound(arg, bound)) continue;
      const name = termVariables(arg).find((variable) => !bound.has(variable));
      const which = `argument ${position + 1} of external predicate ${spec.predicate} is an input (mode "+")`;
      throw new MangleExternalError(
        arg.at,
        name === undefined
          ? `${which}: it needs a value, and _ has none`
          : `${which}, but no premise that could run before it binds ${name}`,
        { predicate: spec.predicate, variable: name, argument: position + 1 },
      );
    }
  }
}

/** An external premise, or with `negation` the negated one at that literal's position. */
function compileExternal(
  atom: Atom,
  scope: Scope,
  bound: Set<string>,
  negation?: { readonly at: Position },
): Step {
  const spec = scope.externals.get(atom.predicate);
  if (!spec) throw new Error(`${atom.predicate} is not external`);
  // Inputs first: compileAtomArgs marks the atom's own variables bound.
  const inputs = spec.inputs.map((position) => compileExpr(atom.args[position] as Term, scope));
  const { args, keyPositions } = compileAtomArgs(atom, scope, bound);
  return {
    kind: 'external',
    predicate: atom.predicate,
    negated: negation !== undefined,
    inputs,
    args,
    keyPositions,
    at: negation?.at ?? atom.at,
  };
}

function compileFilter(literal: Literal, scope: Scope, bound: Set<string>): Step {
  switch (literal.kind) {
    case 'negation': {
      // A copy of `bound`: a negation binds nothing for the literals after it.
      if (scope.externals.has(literal.atom.predicate))
        return compileExternal(literal.atom, scope, new Set(bound), { at: literal.at });
      const { args, keyPositions } = compileAtomArgs(literal.atom, scope, new Set(bound));
      return {
        kind: 'negation',
        predicate: literal.atom.predicate,
        args,
        keyPositions,
        at: literal.at,
      };
    }
    case 'comparison': {
      const { left, right, op } = literal;
      if (isBound(left, bound) && isBound(right, bound)) {
        return {
          kind: 'compare',
          op,
          left: compileExpr(left, scope),
          right: compileExpr(right, scope),
          at: literal.at,
        };
      }
      const [target, source] =
        left.kind === 'var' && !bound.has(left.name) ? [left, right] : [right, left];
      if (target.kind !== 'var') throw new Error('assignment target must be a variable');
      bound.add(target.name);
      return {
        kind: 'assign',
        slot: slotFor(scope, target.name),
        expr: compileExpr(source, scope),
        at: literal.at,
      };
    }
    case 'atom': {
      const predicate = lookupBuiltinPredicate(literal.atom);
      const args = literal.atom.args.map((arg) => {
        if (isBound(arg, bound)) return compileExpr(arg, scope);
        // Unbound and allowed by mayBind (readiness checked it): an output.
        const slot =
          arg.kind === 'var' ? slotFor(scope, arg.name) : slotFor(scope, `_${scope.names.length}`);
        return { kind: 'out' as const, slot };
      });
      for (const arg of literal.atom.args) if (arg.kind === 'var') bound.add(arg.name);
      return { kind: 'builtin', predicate, args, at: literal.atom.at };
    }
  }
}

/** Compiles the head, the transforms and the slot table of a clause. */
export function compileShape(
  head: Atom,
  body: readonly Literal[],
  transforms: readonly TransformStage[],
  scope: Scope,
): ClauseShape {
  const bodyNames = new Set(body.flatMap(literalVariables));
  const bound = new Set(bodyNames);
  const stages: CompiledStage[] = [];
  for (const stage of transforms) {
    stages.push(compileStage(stage, scope, bound));
  }
  for (const name of atomVariables(head)) {
    if (!bound.has(name)) {
      const where =
        transforms.length > 0 ? 'by the body or a let of its transforms' : 'by any premise';
      throw new MangleUnsafeVariableError(
        head.at,
        `variable ${name} in the head of ${head.predicate} is not bound ${where}`,
        { variable: name },
      );
    }
  }
  for (const arg of head.args) {
    if (arg.kind === 'wildcard')
      throw new MangleUnsafeVariableError(
        arg.at,
        `_ cannot appear in the head of ${head.predicate}`,
      );
  }
  return {
    slots: scope.names,
    head: head.args.map((arg) => compileExpr(arg, scope)),
    transforms: stages,
    bodySlots: [...bodyNames].map((name) => slotFor(scope, name)),
  };
}

function compileStage(stage: TransformStage, scope: Scope, bound: Set<string>): CompiledStage {
  if (stage.groupBy !== null) {
    for (const name of stage.groupBy) {
      if (!bound.has(name))
        throw new MangleUnsafeVariableError(
          stage.at,
          `fn:group_by(${name}): ${name} is not bound by the body`,
          { variable: name },
        );
    }
  }
  const rowBound = new Set(bound);
  const lets: CompiledLet[] = [];
  const introduced: string[] = [];
  for (const binding of stage.lets) {
    if (bound.has(binding.variable) || introduced.includes(binding.variable))
      throw new MangleTransformError(
        binding.at,
        `let ${binding.variable}: ${binding.variable} is already bound`,
      );
    for (const arg of binding.args) {
      const name = termVariables(arg).find((variable) => !rowBound.has(variable));
      if (name !== undefined || arg.kind === 'wildcard')
        throw new MangleUnsafeVariableError(
          binding.at,
          `let ${binding.variable} = ${binding.fn}(…): ${name ?? '_'} is not bound`,
          { variable: name },
        );
    }
    const reducer = builtinReducers.get(binding.fn);
    if (reducer) {
      if (stage.groupBy === null)
        throw new MangleTransformError(
          binding.at,
          `${binding.fn} is a reducer: it needs |> do fn:group_by(…) before its let`,
        );
      if (!arityAccepts(reducer.arity, binding.args.length))
        throw new MangleUnknownBuiltinError(
          binding.at,
          `${binding.fn} takes ${describeArity(reducer.arity)} argument(s), got ${binding.args.length}`,
        );
      lets.push({
        kind: 'reduce',
        reducer,
        args: binding.args.map((arg) => compileExpr(arg, scope)),
        slot: slotFor(scope, binding.variable),
        at: binding.at,
      });
    } else {
      if (stage.groupBy !== null)
        throw new MangleTransformError(
          binding.at,
          `let ${binding.variable} = ${binding.fn}(…) after fn:group_by must use a reducer (fn:count, fn:sum, …)`,
        );
      const fn = lookupFunction(binding.fn, binding.args.length, binding.at);
      lets.push({
        kind: 'map',
        expr: {
          kind: 'apply',
          fn,
          args: binding.args.map((arg) => compileExpr(arg, scope)),
          at: binding.at,
        },
        slot: slotFor(scope, binding.variable),
        at: binding.at,
      });
      // A let-only stage runs per row: later lets may use earlier ones.
      rowBound.add(binding.variable);
    }
    introduced.push(binding.variable);
  }
  if (stage.groupBy !== null) {
    bound.clear();
    for (const name of stage.groupBy) bound.add(name);
  }
  for (const name of introduced) bound.add(name);
  return {
    groupBy: stage.groupBy === null ? null : stage.groupBy.map((name) => slotFor(scope, name)),
    lets,
    live: [...bound].map((name) => slotFor(scope, name)),
  };
}

export function newScope(externals: ReadonlyMap<string, ExternalSpec> = NO_EXTERNALS): Scope {
  return { slotOf: new Map(), names: [], externals };
}

export type { Scope };
