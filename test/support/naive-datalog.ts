/**
 * A deliberately naive Datalog evaluator, the reference the kernel is checked
 * against: its own stratification (by relaxing stratum numbers), rules
 * evaluated by nested loops over whole relations until nothing changes, and
 * non-atom premises applied in whatever order becomes possible. Slow and
 * obviously correct; shares only the AST and the builtin functions.
 */
import type { Atom, Literal, SourceUnit, Term, Value } from '../../src/kernel/ast.js';
import { valueKey } from '../../src/kernel/ast.js';
import {
  builtinFunctions,
  builtinPredicates,
  builtinReducers,
  compareNumbers,
} from '../../src/kernel/builtins.js';

type Binding = Map<string, Value>;
type Db = Map<string, Map<string, Value[]>>;

const tupleKey = (values: readonly Value[]) => values.map(valueKey).join('|');

function evalTerm(term: Term, binding: Binding): Value | undefined {
  switch (term.kind) {
    case 'var':
      return binding.get(term.name);
    case 'wildcard':
      return undefined;
    case 'const':
      return term.value;
    case 'list': {
      const items = term.items.map((item) => evalTerm(item, binding));
      return items.every((item) => item !== undefined)
        ? { type: 'list', items: items as Value[] }
        : undefined;
    }
    case 'apply': {
      const args = term.args.map((arg) => evalTerm(arg, binding));
      if (args.some((arg) => arg === undefined)) return undefined;
      return builtinFunctions.get(term.fn)?.apply(args as Value[]);
    }
  }
}

function vars(term: Term): string[] {
  if (term.kind === 'var') return [term.name];
  if (term.kind === 'apply') return term.args.flatMap(vars);
  if (term.kind === 'list') return term.items.flatMap(vars);
  return [];
}

function matchAtom(atom: Atom, tuple: readonly Value[], binding: Binding): Binding | undefined {
  const next = new Map(binding);
  for (let i = 0; i < atom.args.length; i++) {
    const term = atom.args[i] as Term;
    const value = tuple[i] as Value;
    if (term.kind === 'wildcard') continue;
    if (term.kind === 'var' && !next.has(term.name)) {
      next.set(term.name, value);
      continue;
    }
    const expected = evalTerm(term, next);
    if (expected === undefined || valueKey(expected) !== valueKey(value)) return undefined;
  }
  return next;
}

/** Applies one non-atom premise if it can run; undefined = cannot run yet. */
function applyFilter(literal: Literal, binding: Binding, db: Db): Binding[] | undefined {
  if (literal.kind === 'negation') {
    const free = literal.atom.args.flatMap(vars).some((name) => !binding.has(name));
    if (free) return undefined;
    for (const tuple of db.get(literal.atom.predicate)?.values() ?? []) {
      if (matchAtom(literal.atom, tuple, binding)) return [];
    }
    return [binding];
  }
  if (literal.kind === 'comparison') {
    const left = evalTerm(literal.left, binding);
    const right = evalTerm(literal.right, binding);
    const freeLeft = vars(literal.left).some((name) => !binding.has(name));
    const freeRight = vars(literal.right).some((name) => !binding.has(name));
    if (literal.op === '=' && literal.left.kind === 'var' && freeLeft && !freeRight) {
      return right === undefined ? [] : [new Map(binding).set(literal.left.name, right)];
    }
    if (literal.op === '=' && literal.right.kind === 'var' && freeRight && !freeLeft) {
      return left === undefined ? [] : [new Map(binding).set(literal.right.name, left)];
    }
    if (freeLeft || freeRight) return undefined;
    if (left === undefined || right === undefined) return [];
    const holds =
      literal.op === '='
        ? valueKey(left) === valueKey(right)
        : literal.op === '!='
          ? valueKey(left) !== valueKey(right)
          : compareNumbers(left, right, literal.op, (a, b) =>
              literal.op === '<'
                ? a < b
                : literal.op === '<='
                  ? a <= b
                  : literal.op === '>'
                    ? a > b
                    : a >= b,
            );
    return holds ? [binding] : [];
  }
  const predicate = builtinPredicates.get(literal.atom.predicate);
  if (!predicate) return [];
  const inputs = literal.atom.args.map((arg) => evalTerm(arg, binding));
  const missing = inputs.flatMap((value, index) => (value === undefined ? [index] : []));
  if (missing.some((index) => !predicate.mayBind.includes(index))) return undefined;
  const out: Binding[] = [];
  for (const solution of predicate.solve(inputs)) {
    const next = new Map(binding);
    literal.atom.args.forEach((arg, index) => {
      if (arg.kind === 'var' && !next.has(arg.name)) next.set(arg.name, solution[index] as Value);
    });
    out.push(next);
  }
  return out;
}

function solveBody(body: readonly Literal[], db: Db): Array<{ binding: Binding; facts: number }> {
  const atoms = body.filter((l) => l.kind === 'atom' && !l.atom.predicate.startsWith(':'));
  let bindings: Binding[] = [new Map()];
  for (const literal of atoms) {
    if (literal.kind !== 'atom') continue;
    const next: Binding[] = [];
    for (const binding of bindings) {
      for (const tuple of db.get(literal.atom.predicate)?.values() ?? []) {
        const matched = matchAtom(literal.atom, tuple, binding);
        if (matched) next.push(matched);
      }
    }
    bindings = next;
  }
  const filters = body.filter((l) => !atoms.includes(l));
  const results: Binding[] = [];
  const work = bindings.map((binding) => ({ binding, filters }));
  while (work.length > 0) {
    const item = work.pop();
    if (!item) break;
    if (item.filters.length === 0) {
      results.push(item.binding);
      continue;
    }
    // A binding no remaining premise can run on is dropped (the analyzer rejects such rules).
    for (const literal of item.filters) {
      const applied = applyFilter(literal, item.binding, db);
      if (applied === undefined) continue;
      const rest = item.filters.filter((other) => other !== literal);
      for (const binding of applied) work.push({ binding, filters: rest });
      break;
    }
  }
  return results.map((binding) => ({ binding, facts: 1 }));
}

/** The model of a program: every fact of every predicate, as sorted text keys. */
export function naiveModel(units: readonly SourceUnit[]): Map<string, Set<string>> {
  const clauses = units.flatMap((unit) => unit.clauses);
  const heads = new Set(clauses.map((clause) => clause.head.predicate));
  // Stratum numbers: s(head) >= s(positive body), > s(negated or aggregated body).
  const stratum = new Map([...heads].map((name) => [name, 0]));
  for (let changed = true, rounds = 0; changed && rounds < 1000; rounds++) {
    changed = false;
    for (const clause of clauses) {
      const aggregates = clause.transforms.some((stage) => stage.groupBy !== null);
      for (const literal of clause.body) {
        if (literal.kind === 'comparison' || literal.atom.predicate.startsWith(':')) continue;
        const strict = literal.kind === 'negation' || aggregates;
        const need = (stratum.get(literal.atom.predicate) ?? 0) + (strict ? 1 : 0);
        if ((stratum.get(clause.head.predicate) ?? 0) < need) {
          stratum.set(clause.head.predicate, need);
          changed = true;
        }
      }
    }
  }
  const db: Db = new Map();
  const add = (predicate: string, values: Value[]) => {
    let relation = db.get(predicate);
    if (!relation) {
      relation = new Map();
      db.set(predicate, relation);
    }
    const key = tupleKey(values);
    if (relation.has(key)) return false;
    relation.set(key, values);
    return true;
  };
  const levels = [...new Set(stratum.values())].sort((a, b) => a - b);
  for (const clause of clauses) {
    if (clause.body.length === 0 && clause.transforms.length === 0) {
      const values = clause.head.args.map((arg) => evalTerm(arg, new Map()));
      if (values.every((value) => value !== undefined))
        add(clause.head.predicate, values as Value[]);
    }
  }
  for (const level of levels) {
    const rules = clauses.filter(
      (clause) =>
        stratum.get(clause.head.predicate) === level &&
        (clause.body.length > 0 || clause.transforms.length > 0),
    );
    for (let changed = true; changed; ) {
      changed = false;
      for (const rule of rules) {
        for (const values of deriveAll(rule, db)) {
          if (add(rule.head.predicate, values)) changed = true;
        }
      }
    }
  }
  const model = new Map<string, Set<string>>();
  for (const [predicate, relation] of db) model.set(predicate, new Set(relation.keys()));
  return model;
}

function deriveAll(rule: SourceUnit['clauses'][number], db: Db): Value[][] {
  let rows = solveBody(rule.body, db).map((row) => row.binding);
  const named = [
    ...new Set(
      rule.body.flatMap((l) =>
        l.kind === 'comparison' ? [...vars(l.left), ...vars(l.right)] : l.atom.args.flatMap(vars),
      ),
    ),
  ];
  const singleAtom = rule.body.length === 1 && rule.body[0]?.kind === 'atom';
  if (rule.transforms.length > 0 && !singleAtom) {
    const distinct = new Map<string, Binding>();
    for (const row of rows) {
      distinct.set(named.map((name) => valueKey(row.get(name) as Value)).join('|'), row);
    }
    rows = [...distinct.values()];
  }
  for (const stage of rule.transforms) {
    if (stage.groupBy === null) {
      rows = rows.flatMap((row) => {
        const next = new Map(row);
        for (const binding of stage.lets) {
          const value = evalTerm(
            { kind: 'apply', fn: binding.fn, args: binding.args, at: binding.at },
            next,
          );
          if (value === undefined) return [];
          next.set(binding.variable, value);
        }
        return [next];
      });
      continue;
    }
    const keys = stage.groupBy;
    const groups = new Map<string, Binding[]>();
    for (const row of rows) {
      const key = keys.map((name) => valueKey(row.get(name) as Value)).join('|');
      groups.set(key, [...(groups.get(key) ?? []), row]);
    }
    rows = [...groups.values()].flatMap((group) => {
      const out = new Map<string, Value>();
      for (const name of keys) out.set(name, (group[0] as Binding).get(name) as Value);
      for (const binding of stage.lets) {
        const reducer = builtinReducers.get(binding.fn);
        if (!reducer) return [];
        const args = group.map((row) => binding.args.map((arg) => evalTerm(arg, row) as Value));
        const value = reducer.reduce(args);
        if (value === undefined) return [];
        out.set(binding.variable, value);
      }
      return [out];
    });
  }
  return rows.flatMap((row) => {
    const values = rule.head.args.map((arg) => evalTerm(arg, row));
    return values.every((value) => value !== undefined) ? [values as Value[]] : [];
  });
}
