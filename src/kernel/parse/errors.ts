/**
 * The one error the parser raises. It carries the position separately from
 * the message so an editor integration can jump to it without parsing text.
 */
import { NerdloopError } from '../../core/errors.js';
import type { Position } from '../ast.js';

export class MangleSyntaxError extends NerdloopError {
  readonly code = 'mangle_syntax';
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** The message without its `file:line:column: ` prefix. */
  readonly reason: string;

  constructor(at: Position, reason: string) {
    super(`${at.file}:${at.line}:${at.column}: ${reason}`, {
      details: { file: at.file, line: at.line, column: at.column, reason },
    });
    this.file = at.file;
    this.line = at.line;
    this.column = at.column;
    this.reason = reason;
  }
}
