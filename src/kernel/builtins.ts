/**
 * Mangle's builtins, with Mangle's exact names: functions (`fn:…`), reducers
 * (only inside a `|> do …` transform) and builtin predicates (`:…`).
 * A function answers `undefined` when there is no value (a list index out of
 * range): the premise then simply does not hold. A type error throws.
 */
import {
  floatValue,
  intValue,
  listValue,
  nameValue,
  pairValue,
  stringValue,
  type Value,
  valueKey,
} from './ast.js';

export class BuiltinTypeError extends Error {}

type Arity = { min: number; max: number | null };

export type BuiltinFunction = {
  readonly name: string;
  readonly arity: Arity;
  apply(args: readonly Value[]): Value | undefined;
};

export type Reducer = {
  readonly name: string;
  readonly arity: Arity;
  /** Folds the rows of one group; `undefined` means the group yields no fact. */
  reduce(rows: readonly (readonly Value[])[]): Value | undefined;
};

export type BuiltinPredicate = {
  readonly name: string;
  readonly arity: Arity;
  /** Positions that may be unbound when the premise runs; the rest must be bound. */
  readonly mayBind: readonly number[];
  /** Every completion of the arguments that holds. */
  solve(args: readonly (Value | undefined)[]): Iterable<readonly Value[]>;
};

const exactly = (n: number): Arity => ({ min: n, max: n });
const atLeast = (n: number): Arity => ({ min: n, max: null });

export const TRUE = nameValue('/true');
export const FALSE = nameValue('/false');

function int(value: Value, fn: string): bigint {
  if (value.type !== 'int')
    throw new BuiltinTypeError(`${fn} expects integers, got ${show(value)}`);
  return value.value;
}

function num(value: Value, fn: string): number {
  if (value.type === 'int') return Number(value.value);
  if (value.type === 'float') return value.value;
  throw new BuiltinTypeError(`${fn} expects numbers, got ${show(value)}`);
}

function str(value: Value, fn: string): string {
  if (value.type !== 'string')
    throw new BuiltinTypeError(`${fn} expects strings, got ${show(value)}`);
  return value.value;
}

function list(value: Value, fn: string): readonly Value[] {
  if (value.type !== 'list') throw new BuiltinTypeError(`${fn} expects a list, got ${show(value)}`);
  return value.items;
}

/** How a value reads inside a message. */
export function show(value: Value): string {
  switch (value.type) {
    case 'name':
      return value.value;
    case 'string':
      return JSON.stringify(value.value);
    case 'int':
      return value.value.toString();
    case 'float':
      return String(value.value);
    case 'list':
      return `[${value.items.map(show).join(', ')}]`;
    case 'pair':
      return `fn:pair(${show(value.first)}, ${show(value.second)})`;
  }
}

/** The text `fn:string:concat` uses for a value. */
function textOf(value: Value): string {
  return value.type === 'string' ? value.value : show(value);
}

const fold = (name: string, op: (a: bigint, b: bigint) => bigint): BuiltinFunction => ({
  name,
  arity: atLeast(1),
  apply: (args) => {
    const [first, ...rest] = args.map((arg) => int(arg, name));
    return intValue(rest.reduce(op, first ?? 0n));
  },
});

const floatFold = (name: string, op: (a: number, b: number) => number): BuiltinFunction => ({
  name,
  arity: atLeast(1),
  apply: (args) => {
    const [first, ...rest] = args.map((arg) => num(arg, name));
    return floatValue(rest.reduce(op, first ?? 0));
  },
});

const functions: BuiltinFunction[] = [
  fold('fn:plus', (a, b) => a + b),
  {
    name: 'fn:minus',
    arity: atLeast(1),
    apply: (args) => {
      const [first = 0n, ...rest] = args.map((arg) => int(arg, 'fn:minus'));
      return intValue(rest.length === 0 ? -first : rest.reduce((a, b) => a - b, first));
    },
  },
  fold('fn:mult', (a, b) => a * b),
  {
    name: 'fn:div',
    arity: atLeast(2),
    apply: (args) => {
      const [first = 0n, ...rest] = args.map((arg) => int(arg, 'fn:div'));
      if (rest.some((divisor) => divisor === 0n)) throw new BuiltinTypeError('fn:div by zero');
      return intValue(rest.reduce((a, b) => a / b, first));
    },
  },
  {
    name: 'fn:mod',
    arity: exactly(2),
    apply: ([a, b]) => {
      const divisor = int(b as Value, 'fn:mod');
      if (divisor === 0n) throw new BuiltinTypeError('fn:mod by zero');
      return intValue(int(a as Value, 'fn:mod') % divisor);
    },
  },
  floatFold('fn:float:plus', (a, b) => a + b),
  floatFold('fn:float:minus', (a, b) => a - b),
  floatFold('fn:float:mult', (a, b) => a * b),
  floatFold('fn:float:div', (a, b) => a / b),
  { name: 'fn:list', arity: atLeast(0), apply: (args) => listValue(args) },
  {
    name: 'fn:list:len',
    arity: exactly(1),
    apply: ([l]) => intValue(list(l as Value, 'fn:list:len').length),
  },
  {
    name: 'fn:list:get',
    arity: exactly(2),
    apply: ([l, i]) => {
      const items = list(l as Value, 'fn:list:get');
      const index = int(i as Value, 'fn:list:get');
      return index < 0n || index >= BigInt(items.length) ? undefined : items[Number(index)];
    },
  },
  {
    name: 'fn:list:cons',
    arity: exactly(2),
    apply: ([head, tail]) => listValue([head as Value, ...list(tail as Value, 'fn:list:cons')]),
  },
  {
    name: 'fn:list:append',
    arity: exactly(2),
    apply: ([l, item]) => listValue([...list(l as Value, 'fn:list:append'), item as Value]),
  },
  {
    name: 'fn:list:contains',
    arity: exactly(2),
    apply: ([l, item]) => {
      const key = valueKey(item as Value);
      return list(l as Value, 'fn:list:contains').some((x) => valueKey(x) === key) ? TRUE : FALSE;
    },
  },
  {
    name: 'fn:pair',
    arity: exactly(2),
    apply: ([a, b]) => pairValue(a as Value, b as Value),
  },
  {
    name: 'fn:string:concat',
    arity: atLeast(0),
    apply: (args) => stringValue(args.map(textOf).join('')),
  },
  {
    name: 'fn:string:replace',
    arity: { min: 3, max: 4 },
    apply: ([s, old, replacement, count]) => {
      const text = str(s as Value, 'fn:string:replace');
      const from = str(old as Value, 'fn:string:replace');
      const to = str(replacement as Value, 'fn:string:replace');
      let n = count === undefined ? -1n : int(count, 'fn:string:replace');
      if (n < 0n) return stringValue(from === '' ? text : text.split(from).join(to));
      let out = text;
      let from_index = 0;
      while (n > 0n && from !== '') {
        const hit = out.indexOf(from, from_index);
        if (hit === -1) break;
        out = out.slice(0, hit) + to + out.slice(hit + from.length);
        from_index = hit + to.length;
        n -= 1n;
      }
      return stringValue(out);
    },
  },
  {
    name: 'fn:number:to_string',
    arity: exactly(1),
    apply: ([n]) => {
      const value = n as Value;
      if (value.type !== 'int' && value.type !== 'float') num(value, 'fn:number:to_string');
      return stringValue(show(value));
    },
  },
  {
    name: 'fn:name:to_string',
    arity: exactly(1),
    apply: ([n]) => {
      const value = n as Value;
      if (value.type !== 'name')
        throw new BuiltinTypeError(`fn:name:to_string expects a name, got ${show(value)}`);
      return stringValue(value.value);
    },
  },
];

const firstColumn = (rows: readonly (readonly Value[])[]): Value[] =>
  rows.flatMap((row) => (row[0] === undefined ? [] : [row[0]]));

const distinct = (values: readonly Value[]): Value[] => {
  const seen = new Map<string, Value>();
  for (const value of values) seen.set(valueKey(value), value);
  return [...seen.values()];
};

const reducers: Reducer[] = [
  { name: 'fn:count', arity: exactly(0), reduce: (rows) => intValue(rows.length) },
  {
    name: 'fn:count_distinct',
    arity: exactly(1),
    reduce: (rows) => intValue(distinct(firstColumn(rows)).length),
  },
  {
    name: 'fn:sum',
    arity: exactly(1),
    reduce: (rows) => intValue(firstColumn(rows).reduce((acc, v) => acc + int(v, 'fn:sum'), 0n)),
  },
  {
    name: 'fn:max',
    arity: exactly(1),
    reduce: (rows) => extreme(firstColumn(rows), 'fn:max', (a, b) => a > b),
  },
  {
    name: 'fn:min',
    arity: exactly(1),
    reduce: (rows) => extreme(firstColumn(rows), 'fn:min', (a, b) => a < b),
  },
  {
    name: 'fn:avg',
    arity: exactly(1),
    reduce: (rows) => {
      const values = firstColumn(rows).map((v) => num(v, 'fn:avg'));
      return values.length === 0
        ? undefined
        : floatValue(values.reduce((a, b) => a + b, 0) / values.length);
    },
  },
  {
    name: 'fn:float:sum',
    arity: exactly(1),
    reduce: (rows) =>
      floatValue(firstColumn(rows).reduce((acc, v) => acc + num(v, 'fn:float:sum'), 0)),
  },
  {
    name: 'fn:float:max',
    arity: exactly(1),
    reduce: (rows) => floatExtreme(firstColumn(rows), 'fn:float:max', Math.max),
  },
  {
    name: 'fn:float:min',
    arity: exactly(1),
    reduce: (rows) => floatExtreme(firstColumn(rows), 'fn:float:min', Math.min),
  },
  {
    name: 'fn:collect',
    arity: atLeast(1),
    reduce: (rows) =>
      listValue(rows.map((row) => (row.length === 1 ? (row[0] as Value) : listValue(row)))),
  },
  {
    name: 'fn:collect_distinct',
    arity: atLeast(1),
    reduce: (rows) =>
      listValue(
        distinct(rows.map((row) => (row.length === 1 ? (row[0] as Value) : listValue(row)))),
      ),
  },
];

function extreme(
  values: readonly Value[],
  fn: string,
  better: (a: bigint, b: bigint) => boolean,
): Value | undefined {
  let best: bigint | undefined;
  for (const value of values) {
    const n = int(value, fn);
    if (best === undefined || better(n, best)) best = n;
  }
  return best === undefined ? undefined : intValue(best);
}

function floatExtreme(
  values: readonly Value[],
  fn: string,
  pick: (a: number, b: number) => number,
): Value | undefined {
  if (values.length === 0) return undefined;
  return floatValue(values.map((v) => num(v, fn)).reduce(pick));
}

const stringTest = (
  name: string,
  test: (s: string, part: string) => boolean,
): BuiltinPredicate => ({
  name,
  arity: exactly(2),
  mayBind: [],
  // Not a string is "false", not an error: Mangle's behaviour, relied on by rule files.
  *solve([s, part]) {
    if (s?.type === 'string' && part?.type === 'string' && test(s.value, part.value))
      yield [s, part];
  },
});

const numericTest = (name: string, test: (a: number, b: number) => boolean): BuiltinPredicate => ({
  name,
  arity: exactly(2),
  mayBind: [],
  *solve([a, b]) {
    if (a && b && compareNumbers(a, b, name, test)) yield [a, b];
  },
});

/** `<`-family comparison of two numbers; bigints compare exactly. */
export function compareNumbers(
  a: Value,
  b: Value,
  op: string,
  test: (a: number, b: number) => boolean,
): boolean {
  if (a.type === 'int' && b.type === 'int') {
    const order = a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
    return test(order, 0);
  }
  return test(num(a, op), num(b, op));
}

const predicates: BuiltinPredicate[] = [
  stringTest(':string:contains', (s, part) => s.includes(part)),
  stringTest(':string:starts_with', (s, part) => s.startsWith(part)),
  stringTest(':string:ends_with', (s, part) => s.endsWith(part)),
  {
    name: ':list:member',
    arity: exactly(2),
    mayBind: [0],
    *solve([item, l]) {
      if (l?.type !== 'list') return;
      if (item === undefined) {
        for (const member of distinct(l.items)) yield [member, l];
        return;
      }
      const key = valueKey(item);
      if (l.items.some((member) => valueKey(member) === key)) yield [item, l];
    },
  },
  numericTest(':lt', (a, b) => a < b),
  numericTest(':le', (a, b) => a <= b),
  numericTest(':gt', (a, b) => a > b),
  numericTest(':ge', (a, b) => a >= b),
];

export const builtinFunctions: ReadonlyMap<string, BuiltinFunction> = new Map(
  functions.map((f) => [f.name, f]),
);
export const builtinReducers: ReadonlyMap<string, Reducer> = new Map(
  reducers.map((r) => [r.name, r]),
);
export const builtinPredicates: ReadonlyMap<string, BuiltinPredicate> = new Map(
  predicates.map((p) => [p.name, p]),
);

export const arityAccepts = (arity: Arity, n: number): boolean =>
  n >= arity.min && (arity.max === null || n <= arity.max);

export const describeArity = (arity: Arity): string =>
  arity.max === arity.min
    ? `${arity.min}`
    : arity.max === null
      ? `at least ${arity.min}`
      : `${arity.min} to ${arity.max}`;
