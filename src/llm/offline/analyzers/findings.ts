/** A review finding, and the one order findings are reported in. */
import { compareText } from '../results.js';

export const FINDING_KINDS = ['todo', 'long-function', 'missing-test', 'long-file'] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];

export type Finding = {
  readonly kind: FindingKind;
  readonly path: string;
  /** 1-based; null for findings about a whole file. */
  readonly line: number | null;
  readonly detail: string;
};

/** By kind, then path, then line, then detail: the same list on every run. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) =>
      FINDING_KINDS.indexOf(a.kind) - FINDING_KINDS.indexOf(b.kind) ||
      compareText(a.path, b.path) ||
      (a.line ?? 0) - (b.line ?? 0) ||
      compareText(a.detail, b.detail),
  );
}
