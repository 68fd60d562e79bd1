/**
 * What a model reads back for one tool call: the result as JSON, or
 * `{ "error": { code, message } }`. Shared by the VirtualStore and the loop
 * machine (which must not load the store), so both always write the same text.
 */
import { describeUnknownError } from './errors.js';

export type ToolResultLike =
  | { readonly ok: true; readonly result: unknown }
  | { readonly ok: false; readonly error: { readonly code: string; readonly message: string } };

export function toolResultText(outcome: ToolResultLike): string {
  try {
    return JSON.stringify(outcome.ok ? outcome.result : { error: outcome.error }) ?? 'null';
  } catch (error) {
    // A result JSON cannot hold (a bigint, a cycle) still reaches the model, as an error.
    return JSON.stringify({
      error: { code: 'store_unserializable_result', message: describeUnknownError(error) },
    });
  }
}
