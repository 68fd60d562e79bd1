/**
 * Every error nerdloop raises is a NerdloopError with a stable `code`, so an
 * embedding app can branch on codes instead of parsing messages.
 */
export abstract class NerdloopError extends Error {
  abstract readonly code: string;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.details = options.details ?? {};
  }

  toJSON(): { name: string; code: string; message: string; details: Record<string, unknown> } {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      details: { ...this.details },
    };
  }
}

export function describeUnknownError(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  try {
    return JSON.stringify(error) ?? String(error);
  } catch {
    return String(error);
  }
}

/** A zod issue, or anything shaped like one: where in the value, and what is wrong there. */
export type IssueLike = { readonly path: ReadonlyArray<PropertyKey>; readonly message: string };

/** `path: message` for each issue; `whole` names the value itself when the path is empty. */
export function issueLines(issues: ReadonlyArray<IssueLike>, whole = '(root)'): string[] {
  return issues.map((issue) => `${issue.path.map(String).join('.') || whole}: ${issue.message}`);
}

/** The issues as one line, `; `-separated (see `issueLines`). */
export function describeIssues(issues: ReadonlyArray<IssueLike>, whole = '(root)'): string {
  return issueLines(issues, whole).join('; ');
}
