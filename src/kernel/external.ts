/**
 * External predicates: relations served by a TypeScript callback instead of
 * facts and rules, declared `Decl p(A, B) descr [external(), mode("+", "-")].`
 * and registered by name when loading (`externals: { p: callback }`).
 *
 * The callback gets the values of the `+` arguments and answers rows holding
 * the other arguments, in order — Mangle's protocol, without its filter
 * pushdown. It is synchronous because evaluation is: a fixpoint is computed in
 * one synchronous pass, and `assert`, `query` and `explain` return answers, not
 * promises. Data that arrives asynchronously is fetched ahead and served from
 * memory; `kernel.refreshExternal(name)` re-reads it.
 *
 * This module binds callbacks to declarations and checks what they answer:
 * the engine owns the cache of answers and when callbacks are asked.
 */
import { z } from 'zod';
import { describeUnknownError } from '../core/errors.js';
import type { Position, Value } from './ast.js';
import { show } from './builtins.js';
import {
  ExternalCallbackError,
  ExternalResultError,
  KernelExternalOptionError,
  MangleExternalError,
} from './errors.js';
import type { ArgMode, ExternalSpec } from './modes.js';
import { isNameChar } from './parse/syntax.js';
import type { Program } from './program.js';

/** What a callback is told besides its inputs. */
export type ExternalCall = {
  readonly predicate: string;
  /** The declared mode of every argument; inputs are the `+` ones, in order. */
  readonly modes: readonly ArgMode[];
};

/**
 * Serves an external predicate: given the values of its `+` arguments (in
 * argument order), every matching tuple as a row of the other arguments'
 * values (in argument order). An empty iterable means no tuple matches.
 * Synchronous; a throw becomes an `ExternalCallbackError`.
 */
export type ExternalPredicate = (
  inputs: readonly Value[],
  call: ExternalCall,
) => Iterable<readonly Value[]>;

/** Callbacks by predicate name, the `externals` load option. */
export type ExternalPredicates = Readonly<Record<string, ExternalPredicate>>;

export type RegisteredExternal = {
  readonly spec: ExternalSpec;
  readonly callback: ExternalPredicate;
};

/** `/a/b.c`: what the lexer reads as a name, so every name a callback gives prints back. */
function isNameText(text: string): boolean {
  if (text.length < 2 || text.charCodeAt(0) !== 47) return false;
  let segment = 0;
  for (let i = 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 47) {
      if (segment === 0) return false;
      segment = 0;
    } else if (isNameChar(c)) segment++;
    else return false;
  }
  return segment > 0;
}

/**
 * A kernel value as a callback must hand it over. Answers cross from
 * arbitrary TypeScript into the engine, whose indexes and printer trust
 * every value's shape.
 */
export const valueSchema: z.ZodType<Value> = z.lazy(() =>
  z.discriminatedUnion('type', [
    z.object({
      type: z.literal('name'),
      value: z.string().refine(isNameText, 'a name is "/" then segments, like /a or /tool/x'),
    }),
    z.object({ type: z.literal('string'), value: z.string() }),
    z.object({
      type: z.literal('int'),
      value: z
        .bigint()
        .refine((n) => BigInt.asIntN(64, n) === n, 'integers are 64-bit: use intValue(…)'),
    }),
    z.object({ type: z.literal('float'), value: z.number() }),
    z.object({ type: z.literal('list'), items: z.array(valueSchema) }),
    z.object({ type: z.literal('pair'), first: valueSchema, second: valueSchema }),
  ]),
);

const rowSchema = z.array(valueSchema);

/**
 * Pairs each `external()` predicate with its callback. Every external
 * predicate needs one, and a callback may only serve a predicate declared
 * external: a typo on either side would otherwise be a silently empty
 * relation or a silently ignored callback.
 */
export function bindExternals(
  program: Program,
  registry: ExternalPredicates = {},
): Map<string, RegisteredExternal> {
  const bound = new Map<string, RegisteredExternal>();
  for (const [name, callback] of Object.entries(registry)) {
    const info = program.predicates.get(name);
    if (!info) {
      throw new KernelExternalOptionError(
        `externals.${name}: the program has no predicate ${name} (declare it: Decl ${name}(…) descr [external()].)`,
        { details: { predicate: name } },
      );
    }
    if (!info.external) {
      throw new MangleExternalError(
        info.declaration?.at ?? info.firstSeen,
        `a callback is registered for ${name}, but ${name} is not declared external(): add descr [external()] to its Decl`,
        { predicate: name },
      );
    }
    if (typeof callback !== 'function') {
      throw new KernelExternalOptionError(`externals.${name} must be a function`, {
        details: { predicate: name },
      });
    }
    bound.set(name, { spec: info.external, callback });
  }
  for (const info of program.predicates.values()) {
    if (info.external && !bound.has(info.name)) {
      throw new MangleExternalError(
        info.external.declaredAt,
        `${info.name} is declared external() but no callback is registered for it: load with externals: { ${info.name}: (inputs) => rows }`,
        { predicate: info.name },
      );
    }
  }
  return bound;
}

const showCall = (predicate: string, inputs: readonly Value[]): string =>
  `${predicate} with inputs (${inputs.map(show).join(', ')})`;

/** The iterator of an iterable answer, or undefined when it is not one (strings are not rows). */
function iteratorOf(value: unknown): Iterator<unknown> | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const method: unknown = Reflect.get(value, Symbol.iterator);
  // Calling it is the callback's own code (a custom iterable): the caller catches.
  return typeof method === 'function' ? (method.call(value) as Iterator<unknown>) : undefined;
}

const isThenable = (value: unknown): boolean =>
  value !== null &&
  (typeof value === 'object' || typeof value === 'function') &&
  typeof Reflect.get(value, 'then') === 'function';

/**
 * Asks a callback for the tuples matching `inputs` and returns them whole
 * (inputs and answered outputs in argument order), checked: a throw is an
 * `ExternalCallbackError`, anything but rows of kernel values with one value
 * per output an `ExternalResultError`, both positioned at `at`.
 */
export function callExternal(
  external: RegisteredExternal,
  inputs: readonly Value[],
  at: Position,
): Value[][] {
  const { spec, callback } = external;
  const details = { predicate: spec.predicate, inputs: inputs.map(show) };
  const failed = (error: unknown) =>
    new ExternalCallbackError(
      at,
      `the callback of external predicate ${showCall(spec.predicate, inputs)} threw: ${describeUnknownError(error)}`,
      details,
      error,
    );
  const invalid = (what: string) =>
    new ExternalResultError(
      at,
      `the callback of external predicate ${showCall(spec.predicate, inputs)} ${what}`,
      details,
    );

  let answer: unknown;
  let iterator: Iterator<unknown> | undefined;
  try {
    answer = callback(inputs, { predicate: spec.predicate, modes: spec.modes });
    iterator = isThenable(answer) ? undefined : iteratorOf(answer);
  } catch (error) {
    throw failed(error);
  }
  if (isThenable(answer)) {
    throw invalid(
      'returned a promise: callbacks are synchronous (evaluation is); fetch the data ahead, serve it from memory and call refreshExternal when it changes',
    );
  }
  if (!iterator) throw invalid('must return an iterable of rows (arrays of values)');

  const rows: Value[][] = [];
  for (let index = 0; ; index++) {
    let step: IteratorResult<unknown>;
    try {
      step = iterator.next();
    } catch (error) {
      throw failed(error);
    }
    if (step.done) break;
    const parsed = rowSchema.safeParse(step.value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue && issue.path.length > 0 ? ` at [${issue.path.join('][')}]` : '';
      throw invalid(
        `answered row ${index} that is not an array of kernel values${where}: ${issue?.message ?? 'invalid'} (build values with nameValue, stringValue, intValue, …)`,
      );
    }
    const row = parsed.data;
    if (row.length !== spec.outputs.length) {
      throw invalid(
        `answered row ${index} with ${row.length} value(s), but ${spec.predicate} has ${spec.outputs.length} output argument(s) (the arguments not marked "+")`,
      );
    }
    const values = new Array<Value>(spec.arity);
    spec.inputs.forEach((position, i) => {
      values[position] = inputs[i] as Value;
    });
    spec.outputs.forEach((position, i) => {
      values[position] = row[i] as Value;
    });
    rows.push(values);
  }
  return rows;
}
