/**
 * Model-based tests for every machine listed in stately.config.json: paths are
 * generated from the machine's graph and replayed against real actors; the
 * coverage check fails when any state or transition definition was not taken.
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  allStateIds,
  allTransitionKeys,
  loadMachine,
  loadManifest,
  planPaths,
  replayPath,
} from '../src/stately/index.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const manifest = await loadManifest(resolve(root, 'stately.config.json'));

describe.each(manifest.machines.map((entry) => [entry.name, entry] as const))(
  'machine %s',
  (_name, entry) => {
    it('agrees with its model on every generated path and covers every state and transition', async () => {
      const machine = await loadMachine(entry, root);
      const paths = planPaths(machine, entry.model);
      expect(paths.some((path) => path.kind === 'shortest')).toBe(true);
      expect(paths.some((path) => path.kind === 'simple')).toBe(true);

      const takenTransitions = new Set<string>();
      const visitedStates = new Set<string>();
      const mismatches: string[] = [];
      for (const path of paths) {
        const result = replayPath(machine, path);
        for (const key of result.transitions) takenTransitions.add(key);
        for (const id of result.states) visitedStates.add(id);
        for (const problem of result.mismatches)
          mismatches.push(`${path.kind} ${path.description}: ${problem}`);
      }
      expect(mismatches).toEqual([]);

      const missingStates = [...allStateIds(machine)].filter((id) => !visitedStates.has(id));
      const missingTransitions = [...allTransitionKeys(machine)].filter(
        (key) => !takenTransitions.has(key),
      );
      expect(missingStates, 'states no generated path reached').toEqual([]);
      expect(missingTransitions, 'transitions no generated path took').toEqual([]);
    });
  },
);
