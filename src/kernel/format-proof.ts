/** Proofs as text, for people: CLI output, tool.denied and tool.permitted events. */
import type { Proof } from './kernel.js';

const LEAF_LABELS: Readonly<Record<Proof['via'], string>> = {
  base: 'fact',
  external: 'external',
  rule: 'rule',
  truncated: 'proof cut short',
};

export function renderProofs(proofs: readonly Proof[]): string {
  return proofs.map((proof) => renderProof(proof, '')).join('\n');
}

function renderProof(proof: Proof, indent: string): string {
  const head =
    proof.via === 'rule' && proof.rule
      ? `${indent}${proof.text}  ⟸ ${proof.rule.text}  (${proof.rule.at.file}:${proof.rule.at.line})`
      : `${indent}${proof.text}  [${LEAF_LABELS[proof.via]}]`;
  const conditions = proof.conditions.map((condition) => `${indent}  ✓ ${condition}`);
  const premises = proof.premises.map((premise) => renderProof(premise, `${indent}  `));
  return [head, ...conditions, ...premises].join('\n');
}
