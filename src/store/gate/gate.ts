/**
 * The policy gate: before a tool runs, the sandbox mode, the kernel's
 * constitution and, when the approval policy says so, a human decide.
 */
import type { Clock } from '../../core/index.js';
import { describeUnknownError } from '../../core/index.js';
import type { Kernel } from '../../kernel/index.js';
import { decide, type World } from '../../rules/index.js';
import type { ApprovalHook } from './approval.js';
import { renderProofs } from './explain.js';
import {
  classify,
  HARD_REASONS,
  type StoreMode,
  type StoreModeInit,
  sandboxAllows,
  storeModeSchema,
} from './modes.js';

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
};

export type PolicyGateOptions = {
  readonly kernel: Kernel;
  readonly world: World;
  readonly persona: string;
  readonly mode?: StoreModeInit;
  readonly onApprovalRequest?: ApprovalHook;
  readonly clock: Pick<Clock, 'now'>;
};

export class PolicyGate {
  readonly mode: StoreMode;
  readonly #options: PolicyGateOptions;

  constructor(options: PolicyGateOptions) {
    this.#options = options;
    this.mode = storeModeSchema.parse(options.mode ?? {});
  }

  async decide(request: GateRequest): Promise<GateDecision> {
    const kind = classify(request.action.action);
    if (!sandboxAllows(this.mode.sandbox, kind)) {
      const reasons = ['/sandbox_read_only'];
      const explanation = `the sandbox is read-only: ${request.tool} ${kind === 'write' ? 'writes' : 'runs commands'}`;
      if (this.mode.approval === 'never') return { verdict: 'denied', reasons, explanation };
      return this.#ask(request, reasons, explanation);
    }
    const verdict = decide(
      this.#options.kernel,
      {
        id: request.callId,
        action: request.action.action,
        target: request.action.target,
        payload: request.action.payload,
        time: Math.floor(this.#options.clock.now()),
        persona: this.#options.persona,
      },
      this.#options.world,
      { explain: true },
    );
    const explanation =
      verdict.proofs && verdict.proofs.length > 0
        ? renderProofs(verdict.proofs)
        : verdict.permitted
          ? 'permitted'
          : `no rule permits ${request.action.action} ${JSON.stringify(request.action.target)}`;
    if (verdict.permitted) {
      if (this.mode.approval === 'always' && kind !== 'read') {
        return this.#ask(request, ['/approval_always'], explanation);
      }
      return { verdict: 'permitted', reasons: [], explanation };
    }
    const reasons = [...verdict.reasons];
    const hard = reasons.some((reason) => HARD_REASONS.has(reason));
    if (hard || this.mode.approval === 'never') {
      // Full access lifts the constitution's soft limits, never the hard ones.
      if (!hard && this.mode.sandbox === 'full-access')
        return { verdict: 'permitted', reasons, explanation: `full access: ${explanation}` };
      return { verdict: 'denied', reasons, explanation };
    }
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
