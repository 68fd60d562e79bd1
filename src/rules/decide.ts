/**
 * A verdict on one pending action from a long-lived kernel: assert the
 * action's facts, read the verdict, retract them again so the next decision
 * starts from the same world.
 */
import {
  type Atom,
  type FactInput,
  type Kernel,
  nameValue,
  type Position,
  type Proof,
  show,
  stringValue,
  type Term,
  type Value,
} from '../kernel/index.js';
import { parsedActionFacts } from './action-facts.js';
import type { World } from './paths.js';
import {
  type PendingAction,
  type PendingActionInput,
  parsePendingAction,
} from './pending-action.js';

export type Decision = {
  readonly permitted: boolean;
  /** The `blocked` reasons, sorted: `/dangerous_command`, `/sensitive_path`, … Empty when permitted. */
  readonly reasons: readonly string[];
  /** The `dangerous_command` kinds that fired, sorted: `/force_push`, `/network`, … */
  readonly dangers: readonly string[];
  /** With `explain: true`: the proof of each `blocked` fact, or of `permitted`. */
  readonly proofs?: readonly Proof[];
};

export type DecideOptions = {
  /** Also return proofs, while the action's facts are still asserted. */
  readonly explain?: boolean;
};

const AT: Position = { file: '<decide>', line: 1, column: 1 };

const constant = (value: Value): Term => ({ kind: 'const', value, at: AT });
const variable = (name: string): Term => ({ kind: 'var', name, at: AT });
const atom = (predicate: string, args: readonly Term[]): Atom => ({ predicate, args, at: AT });

/**
 * Runs `inspect` while the action's facts are asserted, then retracts exactly
 * what this call added (a fact the caller had asserted before stays).
 */
export function withActionFacts<T>(
  kernel: Kernel,
  action: PendingActionInput,
  world: World,
  inspect: (kernel: Kernel) => T,
): T {
  return withParsedActionFacts(kernel, parsePendingAction(action), world, inspect);
}

function withParsedActionFacts<T>(
  kernel: Kernel,
  action: PendingAction,
  world: World,
  inspect: (kernel: Kernel) => T,
): T {
  // A decision asserts about fifteen facts: one pass over the model asserts
  // them all, and taking them back undoes that pass instead of evaluating.
  return kernel.withFacts(parsedActionFacts(action, world), inspect);
}

export function decide(
  kernel: Kernel,
  action: PendingActionInput,
  world: World,
  options: DecideOptions = {},
): Decision {
  const parsed = parsePendingAction(action);
  const id = constant(stringValue(parsed.id));
  const verdict = verdictValues(parsed);
  return withParsedActionFacts(kernel, parsed, world, (k) => {
    const names = (predicate: string): string[] =>
      [
        ...new Set(
          k.query(atom(predicate, [id, variable('X')])).flatMap((answer) => {
            const value = answer.bindings.X;
            return value ? [show(value)] : [];
          }),
        ),
      ].sort();
    const reasons = names('blocked');
    const dangers = names('dangerous_command');
    // The verdict is permitted(...) for this action; a blocked reason of its own
    // vetoes it even if another pending action with the same text was allowed.
    const permitted = k.holds(atom('permitted', verdict.map(constant))) && reasons.length === 0;
    if (!options.explain) return { permitted, reasons, dangers };
    const facts: FactInput[] = permitted
      ? [{ predicate: 'permitted', args: verdict }]
      : reasons.map((reason) => ({
          predicate: 'blocked',
          args: [stringValue(parsed.id), nameValue(reason)],
        }));
    const proofs = facts.flatMap((fact) => {
      const proof = k.explain(fact);
      return proof ? [proof] : [];
    });
    return { permitted, reasons, dangers, proofs };
  });
}

/** The arguments of `permitted(Action, Target, Payload)` for an action. */
function verdictValues(parsed: PendingAction): Value[] {
  return [nameValue(`/${parsed.action}`), stringValue(parsed.target), stringValue(parsed.payload)];
}
