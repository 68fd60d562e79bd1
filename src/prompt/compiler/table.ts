/**
 * The atom set prepared once per compiler: validated, indexed by id, ranked,
 * with conflicts made symmetric and the always-present set worked out. All of
 * this is independent of the context, so compile() only selects.
 */
import { canonicalDigest, describeIssues } from '../../core/index.js';
import { type Atom, atomSchema } from '../atoms/index.js';
import { PromptAtomsInvalidError } from './errors.js';

export type AtomTable = {
  readonly byId: ReadonlyMap<string, Atom>;
  /** Priority descending, then id: the order in which atoms claim a place. */
  readonly ranked: readonly Atom[];
  /** Position in `ranked`, for comparisons. */
  readonly rank: ReadonlyMap<string, number>;
  /** A conflict declared on either side binds both. */
  readonly conflicts: ReadonlyMap<string, ReadonlySet<string>>;
  /** Mandatory atoms and everything they depend on, transitively: never dropped. */
  readonly required: ReadonlySet<string>;
  /** For a required atom that is not mandatory: the first mandatory atom (by rank) needing it. */
  readonly requiredBy: ReadonlyMap<string, string>;
  /** Identifies the atom set, so cache keys from different sets never collide. */
  readonly digest: string;
};

export const byRank = (a: Atom, b: Atom): number =>
  b.priority - a.priority || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export function buildAtomTable(input: readonly Atom[]): AtomTable {
  // Atoms may be built in code rather than loaded; parsing again normalises
  // them (and is a no-op for loaded ones).
  const atoms = input.map((atom) => {
    const parsed = atomSchema.safeParse(atom);
    if (!parsed.success) {
      throw new PromptAtomsInvalidError(
        `atom ${JSON.stringify(atom.id)} is invalid: ${describeIssues(parsed.error.issues, '')}`,
        { details: { atomId: atom.id } },
      );
    }
    return parsed.data;
  });
  const byId = new Map<string, Atom>();
  for (const atom of atoms) {
    if (byId.has(atom.id)) {
      throw new PromptAtomsInvalidError(`duplicate atom id ${JSON.stringify(atom.id)}`, {
        details: { atomId: atom.id },
      });
    }
    byId.set(atom.id, atom);
  }
  const ranked = [...atoms].sort(byRank);
  const rank = new Map(ranked.map((atom, index) => [atom.id, index]));

  const conflicts = new Map<string, Set<string>>(atoms.map((atom) => [atom.id, new Set()]));
  for (const atom of atoms) {
    for (const other of atom.conflicts_with ?? []) {
      // A conflict with an atom that is not in the set cannot happen: ignored.
      if (!byId.has(other)) continue;
      conflicts.get(atom.id)?.add(other);
      conflicts.get(other)?.add(atom.id);
    }
  }

  const required = new Set<string>();
  const requiredBy = new Map<string, string>();
  for (const atom of ranked) {
    if (!atom.mandatory) continue;
    required.add(atom.id);
    const pending = [...(atom.depends_on ?? [])];
    for (let dependency = pending.shift(); dependency !== undefined; dependency = pending.shift()) {
      const found = byId.get(dependency);
      if (!found) {
        throw new PromptAtomsInvalidError(
          `mandatory atom ${JSON.stringify(atom.id)} depends on ${JSON.stringify(dependency)}, which does not exist`,
          { details: { atomId: atom.id, dependency } },
        );
      }
      if (required.has(dependency)) continue;
      required.add(dependency);
      requiredBy.set(dependency, atom.id);
      pending.push(...(found.depends_on ?? []));
    }
  }
  for (const id of [...required].sort()) {
    for (const other of conflicts.get(id) ?? []) {
      if (required.has(other)) {
        throw new PromptAtomsInvalidError(
          `atoms ${JSON.stringify(id)} and ${JSON.stringify(other)} conflict, but both must always be present (mandatory or needed by a mandatory atom)`,
          { details: { atomIds: [id, other].sort() } },
        );
      }
    }
  }
  return {
    byId,
    ranked,
    rank,
    conflicts,
    required,
    requiredBy,
    digest: canonicalDigest([...atoms].sort((a, b) => (a.id < b.id ? -1 : 1))),
  };
}
