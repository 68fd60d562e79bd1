/**
 * A relation: a set of tuples with hash indexes on the argument positions
 * that plans look up. Indexes are built the first time a plan asks for one
 * and kept current on every insert and delete.
 */
import { type Value, valueKey } from './ast.js';

export type Fact = {
  readonly values: readonly Value[];
  readonly key: string;
  /**
   * When the fact was derived, on one clock for the whole kernel. Every
   * premise of its first derivation is older, which is what lets `explain`
   * find a well-founded proof instead of a cycle.
   */
  readonly rank: number;
};

// Value keys of strings are JSON-quoted, so this separator cannot occur inside one.
const SEPARATOR = '\u001f';

export const tupleKey = (values: readonly Value[]): string => {
  // Concatenated in a loop: no intermediate array, on every fact staged.
  let key = '';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) key += SEPARATOR;
    key += valueKey(values[i] as Value);
  }
  return key;
};

export const keyOf = (values: readonly Value[], positions: readonly number[]): string => {
  let key = '';
  for (let i = 0; i < positions.length; i++) {
    if (i > 0) key += SEPARATOR;
    key += valueKey(values[positions[i] as number] as Value);
  }
  return key;
};

type Index = { positions: readonly number[]; buckets: Map<string, Map<string, Fact>> };

export class Relation {
  #facts = new Map<string, Fact>();

  /** Every fact, by key. */
  get facts(): ReadonlyMap<string, Fact> {
    return this.#facts;
  }

  constructor(readonly arity: number) {}

  readonly #indexes = new Map<string, Index>();

  get size(): number {
    return this.#facts.size;
  }

  has(key: string): boolean {
    return this.#facts.has(key);
  }

  get(key: string): Fact | undefined {
    return this.#facts.get(key);
  }

  add(fact: Fact): boolean {
    if (this.#facts.has(fact.key)) return false;
    this.#facts.set(fact.key, fact);
    for (const index of this.#indexes.values()) bucketOf(index, fact).set(fact.key, fact);
    return true;
  }

  delete(key: string): Fact | undefined {
    const fact = this.#facts.get(key);
    if (!fact) return undefined;
    this.#facts.delete(key);
    for (const index of this.#indexes.values()) {
      const bucketKey = keyOf(fact.values, index.positions);
      const bucket = index.buckets.get(bucketKey);
      bucket?.delete(key);
      if (bucket?.size === 0) index.buckets.delete(bucketKey);
    }
    return fact;
  }

  /**
   * Empties the relation and hands back its former facts: a stratum being
   * recomputed compares old and new without copying the old ones first.
   */
  reset(): ReadonlyMap<string, Fact> {
    const old = this.#facts;
    this.#facts = new Map();
    // The plans that asked for these indexes will ask again: keep them, empty.
    for (const index of this.#indexes.values()) index.buckets.clear();
    return old;
  }

  /** Facts whose values at `positions` have the key `key` (all facts when no positions). */
  lookup(positions: readonly number[], key: string): Iterable<Fact> {
    if (positions.length === 0) return this.#facts.values();
    if (positions.length === this.arity) {
      // Every position known (positions are ascending, so they are 0…arity-1): a point lookup.
      const fact = this.#facts.get(key);
      return fact ? [fact] : [];
    }
    const id = positions.join(',');
    let index = this.#indexes.get(id);
    if (!index) {
      index = { positions, buckets: new Map() };
      for (const fact of this.#facts.values()) bucketOf(index, fact).set(fact.key, fact);
      this.#indexes.set(id, index);
    }
    return index.buckets.get(key)?.values() ?? [];
  }
}

function bucketOf(index: Index, fact: Fact): Map<string, Fact> {
  const key = keyOf(fact.values, index.positions);
  let bucket = index.buckets.get(key);
  if (!bucket) {
    bucket = new Map();
    index.buckets.set(key, bucket);
  }
  return bucket;
}
