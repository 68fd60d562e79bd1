/**
 * Which atoms a context calls for, before any budget: mandatory atoms, atoms
 * whose selectors match, and what those depend on; conflicts settled by rank.
 * Every atom of the set ends up either chosen or excluded, with a reason.
 */
import { type Atom, SELECTOR_KEYS, type SelectorKey } from '../atoms/index.js';
import type { NormalisedContext } from './context.js';
import type { AtomTable } from './table.js';

export type ChosenAtom = {
  atom: Atom;
  reason: string;
  /** In the prompt only because another chosen atom depends on it. */
  dependencyOnly: boolean;
};

export type Selection = {
  /** In rank order. */
  chosen: ChosenAtom[];
  excluded: Map<string, string>;
};

const LABELS: Record<SelectorKey, [singular: string, plural: string]> = {
  personas: ['persona', 'personas'],
  intent_verbs: ['intent verb', 'intent verbs'],
  languages: ['language', 'languages'],
  frameworks: ['framework', 'frameworks'],
  world_states: ['world state', 'world states'],
};

function contextValues(context: NormalisedContext, key: SelectorKey): string[] {
  switch (key) {
    case 'personas':
      return [context.persona];
    case 'intent_verbs':
      return [context.intentVerb];
    case 'languages':
      return context.languages;
    case 'frameworks':
      return context.frameworks;
    case 'world_states':
      return context.worldStates;
  }
}

export type Match = { matches: boolean; reason: string };

/** Every selector the atom sets must match; a set selector matches when the context has one of its values. */
export function matchAtom(atom: Atom, context: NormalisedContext): Match {
  const hits: string[] = [];
  const misses: string[] = [];
  for (const key of SELECTOR_KEYS) {
    const wanted = atom.selectors[key];
    if (!wanted) continue;
    const [singular, plural] = LABELS[key];
    const values = contextValues(context, key);
    const found = values.filter((value) => wanted.includes(value));
    const list = `[${wanted.join(', ')}]`;
    if (found.length > 0) {
      hits.push(`${found.length === 1 ? singular : plural} ${found.join(' and ')}`);
    } else if (values.length === 0) {
      misses.push(`no ${singular} in context, wants ${list}`);
    } else {
      misses.push(`${values.length === 1 ? singular : plural} ${values.join(', ')} not in ${list}`);
    }
  }
  if (misses.length > 0) return { matches: false, reason: misses.join('; ') };
  if (hits.length === 0) return { matches: true, reason: 'matches every context (no selectors)' };
  return { matches: true, reason: `matches ${hits.join(', ')}` };
}

/** The atom's dependencies, transitively, in a fixed order; or the first one that does not exist. */
function dependencyClosure(
  atom: Atom,
  table: AtomTable,
): { ids: string[]; missing: null } | { ids: null; missing: { id: string; via: string } } {
  const ids: string[] = [];
  const seen = new Set([atom.id]);
  const pending: Array<{ id: string; via: string }> = (atom.depends_on ?? []).map((id) => ({
    id,
    via: atom.id,
  }));
  for (let next = pending.shift(); next !== undefined; next = pending.shift()) {
    if (seen.has(next.id)) continue;
    seen.add(next.id);
    const dependency = table.byId.get(next.id);
    if (!dependency) return { ids: null, missing: next };
    ids.push(next.id);
    for (const id of dependency.depends_on ?? []) pending.push({ id, via: next.id });
  }
  return { ids, missing: null };
}

export function selectAtoms(table: AtomTable, context: NormalisedContext): Selection {
  const accepted = new Map<string, ChosenAtom>();
  const excluded = new Map<string, string>();
  // Why an accepted atom is there, as seen by a loser of a conflict with it.
  const standing = (id: string, loser: Atom): string => {
    const chosen = accepted.get(id);
    if (table.required.has(id)) {
      return chosen?.atom.mandatory ? 'mandatory' : 'needed by a mandatory atom';
    }
    const winnerRank = table.rank.get(id) ?? 0;
    const loserRank = table.rank.get(loser.id) ?? 0;
    if (winnerRank < loserRank || !chosen?.dependencyOnly) return 'higher priority';
    return `${chosen.reason}, higher priority`;
  };

  for (const atom of table.ranked) {
    if (!table.required.has(atom.id)) continue;
    const by = table.requiredBy.get(atom.id);
    const reason = atom.mandatory || by === undefined ? 'mandatory' : `dependency of ${by}`;
    accepted.set(atom.id, { atom, reason, dependencyOnly: !atom.mandatory });
  }

  for (const atom of table.ranked) {
    if (table.required.has(atom.id)) continue;
    const match = matchAtom(atom, context);
    const already = accepted.get(atom.id);
    if (already) {
      // Pulled in earlier as a dependency; its own match is the better reason.
      if (match.matches)
        accepted.set(atom.id, { atom, reason: match.reason, dependencyOnly: false });
      continue;
    }
    if (!match.matches) {
      excluded.set(atom.id, match.reason);
      continue;
    }
    const closure = dependencyClosure(atom, table);
    if (closure.ids === null) {
      const { id, via } = closure.missing;
      excluded.set(
        atom.id,
        via === atom.id ? `missing dependency ${id}` : `missing dependency ${id} (through ${via})`,
      );
      continue;
    }
    const members = [atom.id, ...closure.ids.filter((id) => !accepted.has(id))];
    const clash = findConflict(members, accepted, table);
    if (clash) {
      const subject = clash.member === atom.id ? '' : `dependency ${clash.member} `;
      const why = clash.withinUnit ? 'in the same dependency set' : standing(clash.other, atom);
      excluded.set(atom.id, `${subject}conflicts with ${clash.other} (${why})`);
      continue;
    }
    accepted.set(atom.id, { atom, reason: match.reason, dependencyOnly: false });
    for (const id of members.slice(1)) {
      const dependency = table.byId.get(id);
      if (!dependency) continue;
      // A higher-ranked dependency may have been turned down on its own
      // selectors before this dependent claimed it. (One ranked lower gets
      // its own match reason, if it matches, when its turn comes.)
      excluded.delete(id);
      accepted.set(id, {
        atom: dependency,
        reason: `dependency of ${atom.id}`,
        dependencyOnly: true,
      });
    }
  }

  const chosen = table.ranked.flatMap((atom) => {
    const entry = accepted.get(atom.id);
    return entry ? [entry] : [];
  });
  return { chosen, excluded };
}

function findConflict(
  members: readonly string[],
  accepted: ReadonlyMap<string, ChosenAtom>,
  table: AtomTable,
): { member: string; other: string; withinUnit: boolean } | null {
  for (const [index, member] of members.entries()) {
    for (const other of [...(table.conflicts.get(member) ?? [])].sort()) {
      if (accepted.has(other)) return { member, other, withinUnit: false };
      if (members.indexOf(other) > index) return { member, other, withinUnit: true };
    }
  }
  return null;
}
