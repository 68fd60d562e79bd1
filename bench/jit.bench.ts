/**
 * JIT prompt compiler benchmarks, with 500 generated atoms (seeded, so every
 * run compiles the same set). Each figure is printed beside the naive way to
 * build a system prompt from the same atoms, measured in the same run: join
 * all 500 contents and count the tokens of the result.
 *   - cold: a new compiler per compile (atoms validated, every text of the
 *     atoms that apply tokenized, no cache)
 *   - warm: one compiler, a different context each time (cache misses, but
 *     section token counts already known)
 *   - cached: the same context again (an LRU hit)
 *   - size: the compiled prompt's tokens vs the concatenation's
 */
import type { Atom } from '../src/prompt/atoms/index.js';
import { atomSchema, CATEGORIES } from '../src/prompt/atoms/index.js';
import {
  type CompilationContext,
  createPromptCompiler,
  tokenCounter,
} from '../src/prompt/compiler/index.js';
import { type BenchRow, measure, timeIt } from './support.js';

const ATOMS = 500;
const BUDGET = 2000;

const PERSONAS = ['coder', 'tester', 'reviewer', 'researcher'];
const VERBS = ['fix', 'implement', 'test', 'review', 'research'];
const LANGUAGES = ['typescript', 'javascript', 'python', 'go', 'rust'];
const FRAMEWORKS = ['vitest', 'jest', 'pytest', 'go_test'];
const STATES = ['tests_failing', 'dirty_worktree', 'clean'];
const WORDS = (
  'read the file before you edit it and run the tests after every change keep edits small ' +
  'never invent output report what was done check types handle errors explicitly prefer ' +
  'pure functions name things for what they mean avoid global state document why not what'
).split(' ');

/** A linear congruential generator: the same atoms on every run and machine. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

function generateAtoms(count: number, seed: number): Atom[] {
  const next = random(seed);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(next() * values.length)] as T;
  const some = (values: readonly string[]): string[] | undefined =>
    next() < 0.5 ? undefined : [...new Set([pick(values), pick(values)])];
  const text = (words: number): string =>
    Array.from({ length: words }, (_, i) => (i % 12 === 11 ? `${pick(WORDS)}.\n` : pick(WORDS)))
      .join(' ')
      .replace(/\n /g, '\n');
  return Array.from({ length: count }, (_, i) => {
    const words = 30 + Math.floor(next() * 120);
    const selectors = {
      ...(next() < 0.6 ? { personas: some(PERSONAS) } : {}),
      ...(next() < 0.3 ? { intent_verbs: some(VERBS) } : {}),
      ...(next() < 0.4 ? { languages: some(LANGUAGES) } : {}),
      ...(next() < 0.2 ? { frameworks: some(FRAMEWORKS) } : {}),
      ...(next() < 0.1 ? { world_states: some(STATES) } : {}),
    };
    return atomSchema.parse({
      id: `atom-${String(i).padStart(3, '0')}`,
      category: pick(CATEGORIES),
      priority: Math.floor(next() * 100),
      mandatory: i < 3,
      selectors: Object.fromEntries(
        Object.entries(selectors).filter(([, values]) => values !== undefined),
      ),
      ...(i >= 3 && next() < 0.1 ? { depends_on: [`atom-${String(i - 1).padStart(3, '0')}`] } : {}),
      ...(i >= 3 && next() < 0.05
        ? { conflicts_with: [`atom-${String(Math.floor(next() * i)).padStart(3, '0')}`] }
        : {}),
      content: text(words),
      ...(words > 60 ? { content_concise: text(Math.ceil(words / 3)) } : {}),
      ...(words > 90 ? { content_min: text(10) } : {}),
    });
  });
}

function contextFor(i: number): CompilationContext {
  const persona = PERSONAS[i % PERSONAS.length] ?? 'coder';
  return {
    persona,
    intentVerb: VERBS[i % VERBS.length] ?? 'fix',
    languages: [LANGUAGES[i % LANGUAGES.length] ?? 'typescript'],
    frameworks: [FRAMEWORKS[(i >> 1) % FRAMEWORKS.length] ?? 'vitest'],
    worldStates: [STATES[i % STATES.length] ?? 'clean'],
    brief: { persona, target: 'src/app.ts', task: `Task number ${i}.` },
  };
}

export async function jitBench(options: {
  quick: boolean;
  report: (row: BenchRow) => void;
}): Promise<void> {
  const atoms = generateAtoms(ATOMS, 42);
  const counter = tokenCounter('o200k_base');
  const concatenate = (): number => counter.count(atoms.map((atom) => atom.content).join('\n\n'));
  const baselineRuns = options.quick ? 5 : 20;
  const baseline = {
    name: `join all ${ATOMS} contents and count their tokens (o200k_base)`,
    run: () =>
      timeIt(baselineRuns, () => {
        for (let i = 0; i < baselineRuns; i++) concatenate();
      }),
  };

  const coldRuns = options.quick ? 5 : 20;
  options.report(
    await measure(
      `compile from ${ATOMS} atoms, cold (new compiler each time: validation, tokenizing, no cache)`,
      'compiles/s',
      () =>
        timeIt(coldRuns, () => {
          for (let i = 0; i < coldRuns; i++) {
            createPromptCompiler({ atoms, cacheSize: 0 }).compile(contextFor(i));
          }
        }),
      { baselines: [baseline] },
    ),
  );

  const warmRuns = options.quick ? 50 : 500;
  const warm = createPromptCompiler({ atoms, cacheSize: 0 });
  let round = 0;
  options.report(
    await measure(
      `compile from ${ATOMS} atoms, warm compiler, a new context each time (cache miss)`,
      'compiles/s',
      () => {
        round += 1;
        return timeIt(warmRuns, () => {
          for (let i = 0; i < warmRuns; i++) warm.compile(contextFor(round * warmRuns + i));
        });
      },
      { baselines: [baseline] },
    ),
  );

  const cachedRuns = options.quick ? 20_000 : 200_000;
  const cached = createPromptCompiler({ atoms });
  const same = contextFor(0);
  options.report(
    await measure(
      `compile from ${ATOMS} atoms, cached (same context again)`,
      'compiles/s',
      () =>
        timeIt(cachedRuns, () => {
          for (let i = 0; i < cachedRuns; i++) cached.compile(same);
        }),
      { baselines: [baseline], target: '≥ 100,000' },
    ),
  );

  const compiled = cached.compile(same);
  options.report({
    name: `system prompt size, budget ${BUDGET} (${compiled.atoms.length} atoms in, ${compiled.excluded.length} out)`,
    unit: 'tokens',
    value: compiled.tokens,
    baselines: [{ name: `all ${ATOMS} contents joined`, value: concatenate() }],
    target: `≤ ${BUDGET}`,
  });
}
