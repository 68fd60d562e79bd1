/**
 * Runs compiled plans: the join of one rule body over relations (or over a
 * delta for semi-naive rounds), expressions, comparisons, builtins and the
 * `|>` transforms. Stateless: the engine owns the relations and decides what
 * each premise reads.
 */
import type { ComparisonOperator, Position, Value } from './ast.js';
import { valueKey } from './ast.js';
import { BuiltinTypeError, compareNumbers } from './builtins.js';
import { MangleEvaluationError } from './errors.js';
import type { ArgMatch, ClauseShape, Expr, Step } from './plan.js';
import { type Fact, keyOf, type Relation } from './relation.js';

export type Frame = (Value | undefined)[];

export type PlanSources = {
  relation(predicate: string): Relation;
  /**
   * Makes sure an external predicate's relation holds its answers for
   * `inputs` (asking its callback the first time); `at` is the premise.
   */
  readonly external: (predicate: string, inputs: readonly Value[], at: Position) => void;
  /** The delta read by the premise at literal `deltaLiteral`, if any. */
  readonly deltaLiteral: number;
  readonly delta: readonly Fact[];
  /** Premises newer than this rank are skipped (explanations only). */
  readonly maxRank?: number;
  /**
   * With `hidden`, a view of the state before a change (delete-and-rederive
   * looks for the derivations that held then): `extra` are facts read besides
   * each relation's own (those removed since), and `hidden` facts of a
   * relation are read as absent (those added since). Scans and negations
   * both see the view.
   */
  readonly extra?: { get(predicate: string): Relation | undefined };
  readonly hidden?: { get(predicate: string): ReadonlyMap<string, Fact> | undefined };
};

export type Emit = (frame: Frame, premises: readonly Fact[]) => boolean | undefined;

function typeError(at: Position, error: unknown): never {
  if (error instanceof BuiltinTypeError) throw new MangleEvaluationError(at, error.message);
  throw error;
}

export function evalExpr(expr: Expr, frame: Frame): Value | undefined {
  switch (expr.kind) {
    case 'slot':
      return frame[expr.slot];
    case 'const':
      return expr.value;
    case 'list': {
      const items: Value[] = [];
      for (const item of expr.items) {
        const value = evalExpr(item, frame);
        if (value === undefined) return undefined;
        items.push(value);
      }
      return { type: 'list', items };
    }
    case 'apply': {
      const args: Value[] = [];
      for (const arg of expr.args) {
        const value = evalExpr(arg, frame);
        if (value === undefined) return undefined;
        args.push(value);
      }
      try {
        return expr.fn.apply(args);
      } catch (error) {
        return typeError(expr.at, error);
      }
    }
  }
}

function keyFor(args: readonly ArgMatch[], frame: Frame): string | undefined {
  let key = '';
  let first = true;
  for (const arg of args) {
    if (arg.kind !== 'key') continue;
    const value = evalExpr(arg.expr, frame);
    if (value === undefined) return undefined;
    key = first ? valueKey(value) : `${key}\u001f${valueKey(value)}`;
    first = false;
  }
  return key;
}

/** Binds a fact's values into the frame; false when a repeated variable disagrees. */
function bindFact(args: readonly ArgMatch[], fact: Fact, frame: Frame): boolean {
  for (let position = 0; position < args.length; position++) {
    const arg = args[position] as ArgMatch;
    const value = fact.values[position] as Value;
    if (arg.kind === 'bind') frame[arg.slot] = value;
    else if (arg.kind === 'same' && valueKey(frame[arg.slot] as Value) !== valueKey(value))
      return false;
  }
  return true;
}

/** One enumeration in progress: module-level `visit` reads it instead of closing over it. */
type Run = {
  readonly steps: readonly Step[];
  readonly sources: PlanSources;
  readonly frame: Frame;
  readonly emit: Emit;
  readonly premises: Fact[];
  stopped: boolean;
};

/**
 * Enumerates the solutions of `steps` from `start`; `emit` returning `true`
 * stops the enumeration (an explanation needs only one).
 */
export function runPlan(
  steps: readonly Step[],
  sources: PlanSources,
  frame: Frame,
  emit: Emit,
): void {
  // A plain function over a state object: no closure is allocated per call,
  // and this runs for every rule on every assert and retract.
  visit({ steps, sources, frame, emit, premises: [], stopped: false }, 0);
}

function visit(run: Run, index: number): void {
  if (run.stopped) return;
  const { steps, frame } = run;
  if (index === steps.length) {
    if (run.emit(frame, run.premises) === true) run.stopped = true;
    return;
  }
  const step = steps[index] as Step;
  switch (step.kind) {
    case 'scan': {
      const key = keyFor(step.args, frame);
      if (key === undefined) return;
      const sources = run.sources;
      if (step.literal === sources.deltaLiteral) {
        // The delta is a short array: filter it in place rather than copying.
        const all = step.keyPositions.length === 0;
        for (const fact of sources.delta) {
          if (!all && keyOf(fact.values, step.keyPositions) !== key) continue;
          if (!match(run, step.args, fact, index)) return;
        }
        return;
      }
      const hidden = sources.hidden?.get(step.predicate);
      for (const fact of sources.relation(step.predicate).lookup(step.keyPositions, key)) {
        if (hidden?.has(fact.key)) continue;
        if (!match(run, step.args, fact, index)) return;
      }
      const extra = sources.extra?.get(step.predicate);
      if (extra === undefined) return;
      for (const fact of extra.lookup(step.keyPositions, key)) {
        if (!match(run, step.args, fact, index)) return;
      }
      return;
    }
    case 'negation': {
      const key = keyFor(step.args, frame);
      if (key === undefined) return;
      const sources = run.sources;
      const hidden = sources.hidden?.get(step.predicate);
      for (const fact of sources.relation(step.predicate).lookup(step.keyPositions, key)) {
        if (hidden === undefined || !hidden.has(fact.key)) return;
      }
      const extra = sources.extra?.get(step.predicate);
      if (extra !== undefined) for (const _ of extra.lookup(step.keyPositions, key)) return;
      visit(run, index + 1);
      return;
    }
    case 'external': {
      const inputs: Value[] = [];
      for (const input of step.inputs) {
        const value = evalExpr(input, frame);
        if (value === undefined) return;
        inputs.push(value);
      }
      run.sources.external(step.predicate, inputs, step.at);
      // Now a lookup like any scan: the inputs are part of the key, so the
      // bucket read here only holds answers to exactly these inputs, and
      // answers added by a nested premise asking other inputs land elsewhere.
      const key = keyFor(step.args, frame);
      if (key === undefined) return;
      const facts = run.sources.relation(step.predicate).lookup(step.keyPositions, key);
      if (step.negated) {
        for (const _ of facts) return;
        visit(run, index + 1);
        return;
      }
      for (const fact of facts) {
        if (!match(run, step.args, fact, index)) return;
      }
      return;
    }
    case 'compare': {
      const left = evalExpr(step.left, frame);
      const right = evalExpr(step.right, frame);
      if (left === undefined || right === undefined) return;
      if (compare(step.op, left, right, step.at)) visit(run, index + 1);
      return;
    }
    case 'assign': {
      const value = evalExpr(step.expr, frame);
      if (value === undefined) return;
      frame[step.slot] = value;
      visit(run, index + 1);
      return;
    }
    case 'builtin': {
      const inputs: (Value | undefined)[] = [];
      for (const arg of step.args) {
        if (arg.kind === 'out') inputs.push(undefined);
        else {
          const value = evalExpr(arg, frame);
          if (value === undefined) return;
          inputs.push(value);
        }
      }
      let solutions: Iterable<readonly Value[]>;
      try {
        solutions = [...step.predicate.solve(inputs)];
      } catch (error) {
        typeError(step.at, error);
      }
      for (const solution of solutions) {
        for (let position = 0; position < step.args.length; position++) {
          const arg = step.args[position];
          if (arg?.kind === 'out') frame[arg.slot] = solution[position];
        }
        visit(run, index + 1);
        if (run.stopped) return;
      }
      return;
    }
  }
}

/** Binds one scanned fact and goes on with the next step; false once the run is stopped. */
function match(run: Run, args: readonly ArgMatch[], fact: Fact, index: number): boolean {
  const maxRank = run.sources.maxRank;
  if (maxRank !== undefined && fact.rank >= maxRank) return true;
  if (!bindFact(args, fact, run.frame)) return true;
  run.premises.push(fact);
  visit(run, index + 1);
  run.premises.pop();
  return !run.stopped;
}

function compare(op: ComparisonOperator, left: Value, right: Value, at: Position): boolean {
  switch (op) {
    case '=':
      return valueKey(left) === valueKey(right);
    case '!=':
      return valueKey(left) !== valueKey(right);
    default:
      try {
        return compareNumbers(left, right, op, (a, b) => {
          switch (op) {
            case '<':
              return a < b;
            case '<=':
              return a <= b;
            case '>':
              return a > b;
            case '>=':
              return a >= b;
          }
        });
      } catch (error) {
        return typeError(at, error);
      }
  }
}

/** The head tuple of a solved frame, or undefined when a head function has no value. */
export function headValues(shape: ClauseShape, frame: Frame): Value[] | undefined {
  const values: Value[] = [];
  for (const expr of shape.head) {
    const value = evalExpr(expr, frame);
    if (value === undefined) return undefined;
    values.push(value);
  }
  return values;
}

/**
 * Applies let-only `|>` stages to one solution, in place (the lets write
 * slots the body never reads); false when a function has no value. A rule
 * whose stages are all let-only maps each solution to one head tuple, so the
 * engine treats it like any other rule: incrementally, one solution at a time.
 */
export function applyLets(shape: ClauseShape, frame: Frame): boolean {
  return shape.transforms.every((stage) => applyStageLets(stage, frame));
}

/** One stage's `let` maps on one solution, in place; false when a function has no value. */
function applyStageLets(stage: ClauseShape['transforms'][number], frame: Frame): boolean {
  for (const binding of stage.lets) {
    if (binding.kind !== 'map') continue;
    const value = evalExpr(binding.expr, frame);
    if (value === undefined) return false;
    frame[binding.slot] = value;
  }
  return true;
}

export type Row = { frame: Frame; premises: readonly Fact[] };

/**
 * Applies a clause's `|>` stages to the rows its body produced. Rows follow
 * Mangle: with one positive premise every matching fact is a row; otherwise
 * rows are the distinct bindings of the body's named variables.
 */
export function applyTransforms(shape: ClauseShape, singleAtomBody: boolean, input: Row[]): Row[] {
  let rows = input;
  if (!singleAtomBody) {
    const distinct = new Map<string, Row>();
    for (const row of rows) {
      const key = shape.bodySlots.map((slot) => valueKey(row.frame[slot] as Value)).join('\u001f');
      if (!distinct.has(key)) distinct.set(key, row);
    }
    rows = [...distinct.values()];
  }
  for (const stage of shape.transforms) {
    if (stage.groupBy === null) {
      const next: Row[] = [];
      for (const row of rows) {
        const frame = [...row.frame];
        if (applyStageLets(stage, frame)) next.push({ frame, premises: row.premises });
      }
      rows = next;
      continue;
    }
    const groupSlots = stage.groupBy;
    const groups = new Map<string, Row[]>();
    for (const row of rows) {
      const key = groupSlots.map((slot) => valueKey(row.frame[slot] as Value)).join('\u001f');
      const group = groups.get(key);
      if (group) group.push(row);
      else groups.set(key, [row]);
    }
    const next: Row[] = [];
    for (const group of groups.values()) {
      const first = group[0] as Row;
      const frame: Frame = new Array(first.frame.length).fill(undefined);
      for (const slot of groupSlots) frame[slot] = first.frame[slot];
      let ok = true;
      for (const binding of stage.lets) {
        if (binding.kind !== 'reduce') continue;
        const argRows: Value[][] = [];
        for (const row of group) {
          const values: Value[] = [];
          for (const arg of binding.args) {
            const value = evalExpr(arg, row.frame);
            if (value !== undefined) values.push(value);
          }
          if (values.length === binding.args.length) argRows.push(values);
        }
        let reduced: Value | undefined;
        try {
          reduced = binding.reducer.reduce(argRows);
        } catch (error) {
          return typeError(binding.at, error);
        }
        if (reduced === undefined) {
          ok = false;
          break;
        }
        frame[binding.slot] = reduced;
      }
      if (ok) next.push({ frame, premises: group.flatMap((row) => row.premises) });
    }
    rows = next;
  }
  return rows;
}
