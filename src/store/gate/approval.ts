/** The hook an embedding app uses to ask a human before an action runs. */
export type ApprovalRequest = {
  readonly callId: string;
  readonly tool: string;
  /** The arguments as the model sent them (already validated). */
  readonly args: unknown;
  /** Why a human is asked: the policy's reasons, or the approval policy `always`. */
  readonly reasons: readonly string[];
  readonly signal: AbortSignal;
};

export type ApprovalAnswer = { readonly approved: boolean; readonly note?: string };

export type ApprovalHook = (request: ApprovalRequest) => Promise<ApprovalAnswer> | ApprovalAnswer;
