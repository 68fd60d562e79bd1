/**
 * The policy gate: before a tool runs, the sandbox mode, the kernel's
 * constitution and, when the approval policy says so, a human decide.
 */
import type { Clock } from '../../core/index.js';
import { describeIssues, describeUnknownError, NerdloopError } from '../../core/index.js';
import { type Kernel, nameValue, pattern, renderProofs } from '../../kernel/index.js';
import { decide, type World } from '../../rules/index.js';
import type { CallTerms } from '../tool.js';
import type { ApprovalHook } from './approval.js';
import {
  type ActionClass,
  type CallMode,
  callModeSchema,
  classify,
  HARD_REASONS,
  type StoreMode,
  type StoreModeInit,
  sandboxAllows,
  storeModeSchema,
  tightenMode,
} from './modes.js';
import { checkPersona } from './persona.js';

type Verdict = ReturnType<typeof decide>;

/**
 * The call's own verdict narrowed by its delegators': permitted only when
 * every one permits it, with each refusing delegator's reasons and proofs
 * added, and `/delegator_not_allowed` saying where they came from.
 */
function withDelegators(
  own: Verdict,
  delegators: ReadonlyArray<{ delegator: string; verdict: Verdict }>,
): Verdict & { refusedFor?: readonly string[] } {
  const refusing = delegators.filter(({ verdict }) => !verdict.permitted);
  if (refusing.length === 0) return own;
  const reasons = new Set([...own.reasons, '/delegator_not_allowed']);
  for (const { verdict } of refusing) for (const reason of verdict.reasons) reasons.add(reason);
  return {
    refusedFor: refusing.map(({ delegator }) => delegator),
    permitted: false,
    reasons: [...reasons].sort(),
    dangers: [...new Set([...own.dangers, ...refusing.flatMap(({ verdict }) => verdict.dangers)])],
    proofs: [
      ...(own.permitted ? [] : (own.proofs ?? [])),
      ...refusing.flatMap(({ verdict }) => verdict.proofs ?? []),
    ],
  };
}

export class InvalidStoreModeError extends NerdloopError {
  readonly code = 'store_invalid_mode';
}

export type GateVerdict = 'permitted' | 'approved' | 'denied';

export type GateDecision = {
  readonly verdict: GateVerdict;
  /** Why: the constitution's `blocked` reasons and the gate's own (`/sandbox_read_only`, `/not_approved`, …). */
  readonly reasons: readonly string[];
  /** The proofs behind the verdict, as text, or what was missing. */
  readonly explanation: string;
};

export type GateRequest = {
  readonly callId: string;
  readonly tool: string;
  readonly args: unknown;
  /** The action as the constitution sees it. */
  readonly action: { readonly action: string; readonly target: string; readonly payload: string };
  readonly signal: AbortSignal;
  /** Who is acting in this call; default: the gate's persona. */
  readonly persona?: string;
  /** Limits the gate's mode for this call: each axis given can only make it stricter. */
  readonly mode?: CallMode;
};

export type PolicyGateOptions = {
  readonly kernel: Kernel;
  readonly world: World;
  readonly persona: string;
  readonly mode?: StoreModeInit;
  readonly onApprovalRequest?: ApprovalHook;
  readonly clock: Pick<Clock, 'now'>;
  /**
   * The personas of the agents that delegated to this one, nearest last. Each
   * call must be permitted for every one of them too: a sub-agent may not do
   * what an agent above it may not (a rule that vetoes one persona holds for
   * the work it hands on).
   */
  readonly delegators?: readonly string[];
};

export class PolicyGate {
  /** The mode every call gets, unless the call's own `mode` is stricter. */
  readonly mode: StoreMode;
  readonly #options: PolicyGateOptions;

  constructor(options: PolicyGateOptions) {
    this.#options = options;
    const mode = storeModeSchema.safeParse(options.mode ?? {});
    if (!mode.success) {
      throw new InvalidStoreModeError(
        `invalid store mode: ${describeIssues(mode.error.issues, '')}`,
      );
    }
    this.mode = mode.data;
  }

  /** read, write or exec: the rules' `action_class` first (users declare their tools' there). */
  #classify(action: string): ActionClass {
    const declared = this.#options.kernel
      .query(pattern('action_class', [nameValue(`/${action}`), 'C']))
      .flatMap((answer) => (answer.bindings.C?.type === 'name' ? [answer.bindings.C.value] : []));
    if (declared.includes('/exec')) return 'exec';
    if (declared.includes('/write')) return 'write';
    if (declared.includes('/delegate')) return 'delegate';
    if (declared.includes('/read')) return 'read';
    return classify(action);
  }

  /**
   * The persona and mode one call is judged by: the gate's, as the request
   * narrows them. Throws for a persona or mode that is not one.
   */
  termsFor(request: Pick<GateRequest, 'persona' | 'mode'>): CallTerms {
    const limit = request.mode === undefined ? undefined : callModeSchema.safeParse(request.mode);
    if (limit !== undefined && !limit.success)
      throw new InvalidStoreModeError(
        `invalid call mode: ${describeIssues(limit.error.issues, '')}`,
      );
    return {
      persona:
        request.persona === undefined ? this.#options.persona : checkPersona(request.persona),
      mode: tightenMode(this.mode, limit?.data),
    };
  }

  /** Throws only for a bad call persona or mode; the store turns that into a `/policy_error` denial. */
  async decide(request: GateRequest): Promise<GateDecision> {
    const { persona, mode } = this.termsFor(request);
    const kind = this.#classify(request.action.action);
    // The constitution always runs: an approval may lift the sandbox's limit,
    // never a hard reason the rules found.
    const judge = (as: string) =>
      decide(
        this.#options.kernel,
        {
          id: request.callId,
          action: request.action.action,
          target: request.action.target,
          payload: request.action.payload,
          time: Math.floor(this.#options.clock.now()),
          persona: as,
        },
        this.#options.world,
        { explain: true },
      );
    const verdict = withDelegators(
      judge(persona),
      (this.#options.delegators ?? [])
        .filter((delegator) => delegator !== persona)
        .map((delegator) => ({ delegator, verdict: judge(delegator) })),
    );
    const rendered =
      verdict.proofs && verdict.proofs.length > 0
        ? renderProofs(verdict.proofs)
        : verdict.permitted
          ? 'permitted'
          : `no rule permits ${request.action.action} ${JSON.stringify(request.action.target)}`;
    // The proofs say what was refused; only this says for whom.
    const explanation = verdict.refusedFor
      ? `refused for the agent's delegator ${verdict.refusedFor.join(', ')} (a sub-agent may not do what an agent above it may not):\n${rendered}`
      : rendered;
    const reasons = verdict.permitted ? [] : [...verdict.reasons];
    const hard = reasons.some((reason) => HARD_REASONS.has(reason));
    if (hard) return { verdict: 'denied', reasons, explanation };
    if (!sandboxAllows(mode.sandbox, kind)) {
      const sandbox = [...reasons, '/sandbox_read_only'];
      const why = `the sandbox is read-only: ${request.tool} ${kind === 'write' ? 'writes' : 'runs commands'}\n${explanation}`;
      if (mode.approval === 'never')
        return { verdict: 'denied', reasons: sandbox, explanation: why };
      return this.#ask(request, sandbox, why);
    }
    if (verdict.permitted) {
      if (mode.approval === 'always' && kind !== 'read') {
        return this.#ask(request, ['/approval_always'], explanation);
      }
      return { verdict: 'permitted', reasons: [], explanation };
    }
    // Full access lifts the constitution's soft limits, never the hard ones.
    if (mode.sandbox === 'full-access')
      return { verdict: 'permitted', reasons, explanation: `full access: ${explanation}` };
    if (mode.approval === 'never') return { verdict: 'denied', reasons, explanation };
    return this.#ask(request, reasons, explanation);
  }

  async #ask(
    request: GateRequest,
    reasons: readonly string[],
    explanation: string,
  ): Promise<GateDecision> {
    const hook = this.#options.onApprovalRequest;
    if (!hook) {
      return {
        verdict: 'denied',
        reasons: [...reasons, '/approval_unavailable'],
        explanation: `${explanation}\n(approval needed, and no onApprovalRequest hook is set)`,
      };
    }
    try {
      const answer = await hook({
        callId: request.callId,
        tool: request.tool,
        args: request.args,
        reasons,
        signal: request.signal,
      });
      if (answer.approved) {
        return {
          verdict: 'approved',
          reasons,
          explanation: `${explanation}\napproved${answer.note ? `: ${answer.note}` : ''}`,
        };
      }
      return {
        verdict: 'denied',
        reasons: [...reasons, '/not_approved'],
        explanation: `${explanation}\nnot approved${answer.note ? `: ${answer.note}` : ''}`,
      };
    } catch (error) {
      return {
        verdict: 'denied',
        reasons: [...reasons, '/not_approved'],
        explanation: `${explanation}\nthe approval hook failed: ${describeUnknownError(error)}`,
      };
    }
  }
}
