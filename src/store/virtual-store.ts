/**
 * The VirtualStore: the one place an agent's actions reach the world. A call
 * is validated, judged by the policy gate, run inside the workspace boundary,
 * audited and reported; whatever goes wrong comes back to the model as a tool
 * error, never as a crash of the runtime.
 */
import { type Observable, Subject } from 'rxjs';
import type { z } from 'zod';
import {
  type Clock,
  describeIssues,
  describeUnknownError,
  type IdGenerator,
  NerdloopError,
  toolResultText,
} from '../core/index.js';
import type { ToolDefinition } from '../llm/port.js';
import type { StoreEvent } from './events.js';
import { type AuditEntry, AuditLog, type AuditSink, digestArgs } from './gate/audit.js';
import type { GateDecision, PolicyGate } from './gate/gate.js';
import type { CallMode } from './gate/modes.js';
import type { AnyStoreTool, Workspace } from './tool.js';

export type ToolOutcome =
  | { readonly callId: string; readonly tool: string; readonly ok: true; readonly result: unknown }
  | {
      readonly callId: string;
      readonly tool: string;
      readonly ok: false;
      readonly error: { readonly code: string; readonly message: string };
    };

export type CallOptions = {
  /** Aborts the tool, and the approval question if one is open. */
  readonly signal?: AbortSignal;
  /** The id events and the audit log use; default: `ids('call')`. */
  readonly callId?: string;
  /**
   * Who is acting in this call, when not the store's persona: one store
   * serves an Executor whose tasks route to different personas.
   */
  readonly persona?: string;
  /** Makes the store's mode stricter for this call (never looser), axis by axis. */
  readonly mode?: CallMode;
  /**
   * Called once the gate has let the call through, just before the tool
   * runs: where a time limit on the tool itself starts, so the time a person
   * takes to approve the call does not count against it.
   */
  readonly onPermitted?: () => void;
};

export type VirtualStoreParts = {
  readonly workspace: Workspace;
  readonly gate: PolicyGate;
  readonly tools: readonly AnyStoreTool[];
  readonly clock: Pick<Clock, 'now'>;
  readonly ids: IdGenerator;
  readonly audit?: readonly AuditSink[];
};

export class VirtualStore {
  readonly workspace: Workspace;
  readonly gate: PolicyGate;
  readonly events$: Observable<StoreEvent>;
  readonly audit$: Observable<AuditEntry>;
  readonly #events = new Subject<StoreEvent>();
  readonly #audit: AuditLog;
  readonly #tools: ReadonlyMap<string, AnyStoreTool>;
  /**
   * Made once: the LLM port converts each definition to JSON Schema once per
   * definition object (a WeakMap), so new objects on every turn would have it
   * generate the schemas again on every model call.
   */
  readonly #definitions: readonly ToolDefinition[];
  readonly #clock: Pick<Clock, 'now'>;
  readonly #ids: IdGenerator;

  constructor(parts: VirtualStoreParts) {
    this.workspace = parts.workspace;
    this.gate = parts.gate;
    this.#clock = parts.clock;
    this.#ids = parts.ids;
    this.#audit = new AuditLog(parts.audit ?? []);
    this.audit$ = this.#audit.entries$;
    this.events$ = this.#events.asObservable();
    const tools = new Map<string, AnyStoreTool>();
    for (const tool of parts.tools) {
      // The name is also the policy's action name (`/read_file`): a Mangle name segment.
      if (!TOOL_NAME.test(tool.name))
        throw new InvalidToolError(
          `tool name ${JSON.stringify(tool.name)} must match ${TOOL_NAME}`,
        );
      if (tools.has(tool.name)) throw new DuplicateToolError(`two tools are named ${tool.name}`);
      tools.set(tool.name, tool);
    }
    this.#tools = tools;
    this.#definitions = [...tools.values()].map((tool) =>
      Object.freeze({
        name: tool.name,
        description: tool.description,
        parameters: tool.parameters as z.ZodType<unknown>,
      }),
    );
  }

  /** Whether the tool bounds its own running time, so a per-call timeout must not cut it short. */
  selfTimed(name: string): boolean {
    return this.#tools.get(name)?.selfTimed === true;
  }

  /** The tools as the model sees them (sent as JSON Schema through the LLM port). */
  definitions(): ToolDefinition[] {
    return [...this.#definitions];
  }

  /**
   * Runs one tool call. Never throws for anything the model caused or the
   * world did: unknown tools, invalid arguments, denials and tool failures all
   * come back as `{ ok: false, error }`.
   */
  async call(name: string, args: unknown, options: CallOptions = {}): Promise<ToolOutcome> {
    const callId = options.callId ?? this.#ids('call');
    const signal = options.signal ?? new AbortController().signal;
    const started = this.#clock.now();
    const argsDigest = digestArgs(args);
    this.#emit({ type: 'tool.requested', at: started, callId, tool: name, argsDigest });
    const tool = this.#tools.get(name);
    if (!tool) {
      const known = [...this.#tools.keys()].join(', ');
      return this.#refuse(
        callId,
        name,
        argsDigest,
        started,
        'store_unknown_tool',
        `no tool named ${name} (tools: ${known})`,
      );
    }
    const parsed = tool.parameters.safeParse(args);
    if (!parsed.success) {
      const problems = describeIssues(parsed.error.issues, '(arguments)');
      return this.#refuse(
        callId,
        name,
        argsDigest,
        started,
        'store_invalid_arguments',
        `invalid arguments for ${name}: ${problems}`,
      );
    }
    let decision: GateDecision;
    try {
      decision = await this.gate.decide({
        callId,
        tool: name,
        args: parsed.data,
        action: tool.action(parsed.data),
        signal,
        persona: options.persona,
        mode: options.mode,
      });
    } catch (error) {
      // A policy that cannot decide denies: failing open would be the worst outcome.
      decision = {
        verdict: 'denied',
        reasons: ['/policy_error'],
        explanation: `the policy could not decide: ${describeUnknownError(error)}`,
      };
    }
    if (decision.verdict === 'denied') {
      this.#emit({
        type: 'tool.denied',
        at: this.#clock.now(),
        callId,
        tool: name,
        reasons: [...decision.reasons],
        explanation: decision.explanation,
      });
      const outcome: ToolOutcome = {
        callId,
        tool: name,
        ok: false,
        error: {
          code: 'store_denied',
          message: `${name} was denied (${decision.reasons.join(', ')}): ${decision.explanation}`,
        },
      };
      await this.#finish(outcome, argsDigest, 'denied', decision.reasons, started);
      return outcome;
    }
    this.#emit({
      type: 'tool.permitted',
      at: this.#clock.now(),
      callId,
      tool: name,
      verdict: decision.verdict,
      explanation: decision.explanation,
    });
    let outcome: ToolOutcome;
    try {
      // Inside the try: a callback that throws fails this call as a tool error
      // (the tool does not run) instead of breaking call()'s promise never to throw.
      options.onPermitted?.();
      const result = await tool.run(parsed.data, {
        workspace: this.workspace,
        signal,
        clock: this.#clock,
        // Validated when the gate decided, so it cannot throw here.
        terms: this.gate.termsFor({ persona: options.persona, mode: options.mode }),
      });
      const checked = tool.result.safeParse(result);
      outcome = checked.success
        ? { callId, tool: name, ok: true, result: checked.data }
        : {
            callId,
            tool: name,
            ok: false,
            error: {
              code: 'store_invalid_result',
              message: `${name} returned a result that does not fit its schema: ${describeIssues(checked.error.issues, '(result)')}`,
            },
          };
    } catch (error) {
      outcome = {
        callId,
        tool: name,
        ok: false,
        error: {
          code: error instanceof NerdloopError ? error.code : 'store_tool_failed',
          message: describeUnknownError(error),
        },
      };
    }
    await this.#finish(outcome, argsDigest, decision.verdict, decision.reasons, started);
    return outcome;
  }

  /** Ends the streams; calls after this still work but report nothing. */
  close(): void {
    this.#events.complete();
    this.#audit.close();
  }

  async #refuse(
    callId: string,
    tool: string,
    argsDigest: string,
    started: number,
    code: string,
    message: string,
  ): Promise<ToolOutcome> {
    const outcome: ToolOutcome = { callId, tool, ok: false, error: { code, message } };
    await this.#finish(outcome, argsDigest, 'invalid', [], started);
    return outcome;
  }

  async #finish(
    outcome: ToolOutcome,
    argsDigest: string,
    verdict: AuditEntry['verdict'],
    reasons: readonly string[],
    started: number,
  ): Promise<void> {
    const now = this.#clock.now();
    const resultBytes = Buffer.byteLength(toolOutcomeContent(outcome));
    const errorCode = outcome.ok ? null : outcome.error.code;
    this.#emit({
      type: 'tool.finished',
      at: now,
      callId: outcome.callId,
      tool: outcome.tool,
      ok: outcome.ok,
      errorCode,
      durationMs: Math.max(0, now - started),
      resultBytes,
    });
    const failures = await this.#audit.append({
      at: now,
      callId: outcome.callId,
      tool: outcome.tool,
      argsDigest,
      verdict,
      reasons: [...reasons],
      ok: outcome.ok,
      errorCode,
      durationMs: Math.max(0, now - started),
      resultBytes,
    });
    for (const failure of failures) {
      this.#emit({
        type: 'audit.failed',
        at: this.#clock.now(),
        callId: outcome.callId,
        tool: outcome.tool,
        message: describeUnknownError(failure),
      });
    }
  }

  #emit(event: StoreEvent): void {
    this.#events.next(event);
  }
}

/** What the model gets back as the tool message's content. */
export const toolOutcomeContent: (outcome: ToolOutcome) => string = toolResultText;

const TOOL_NAME = /^[a-z][a-z0-9_]*$/;

export class InvalidToolError extends NerdloopError {
  readonly code = 'store_invalid_tool';
}

export class DuplicateToolError extends NerdloopError {
  readonly code = 'store_duplicate_tool';
}
