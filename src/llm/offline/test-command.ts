/**
 * Guessing how a project runs its tests from the files at its root (and its
 * package.json, when there is one). First match wins, in this order:
 * package.json `scripts.test` → vitest → jest → go → cargo → pytest.
 */
import { z } from 'zod';
import { baseName, segmentsOf } from './paths.js';

export type TestCommandGuess =
  | { readonly command: string; readonly reason: string }
  | { readonly command: null; readonly reason: string };

const packageJsonSchema = z.looseObject({
  scripts: z.record(z.string(), z.unknown()).optional(),
  dependencies: z.record(z.string(), z.unknown()).optional(),
  devDependencies: z.record(z.string(), z.unknown()).optional(),
});
type PackageJson = z.infer<typeof packageJsonSchema>;

// What `npm init` writes: a test script that only fails.
const NPM_PLACEHOLDER = /no test specified/i;

export type PackageJsonRead = {
  readonly json: PackageJson | null;
  readonly problem: string | null;
};

export function readPackageJson(text: string | undefined): PackageJsonRead {
  if (text === undefined || text.trim() === '') return { json: null, problem: null };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { json: null, problem: 'package.json is not valid JSON' };
  }
  const parsed = packageJsonSchema.safeParse(value);
  return parsed.success
    ? { json: parsed.data, problem: null }
    : { json: null, problem: 'package.json does not have the usual shape' };
}

export function guessTestCommand(
  listed: readonly string[],
  packageJson: PackageJson | null,
): TestCommandGuess {
  const root = new Set(listed.filter((path) => segmentsOf(path).length === 1).map(baseName));
  const has = (pattern: RegExp) => [...root].some((name) => pattern.test(name));
  const depends = (name: string) =>
    packageJson?.dependencies?.[name] !== undefined ||
    packageJson?.devDependencies?.[name] !== undefined;

  const script = packageJson?.scripts?.test;
  if (typeof script === 'string' && script.trim() !== '' && !NPM_PLACEHOLDER.test(script)) {
    return { command: 'npm test', reason: `package.json has a test script (\`${script}\`)` };
  }
  if (has(/^vitest\.config\./) || has(/^vitest\.workspace\./) || depends('vitest')) {
    return { command: 'npx vitest run', reason: 'the project uses vitest' };
  }
  if (has(/^jest\.config\./) || depends('jest')) {
    return { command: 'npx jest', reason: 'the project uses jest' };
  }
  if (root.has('go.mod')) return { command: 'go test ./...', reason: 'there is a go.mod' };
  if (root.has('Cargo.toml')) return { command: 'cargo test', reason: 'there is a Cargo.toml' };
  const python = [
    'pytest.ini',
    'conftest.py',
    'pyproject.toml',
    'setup.cfg',
    'tox.ini',
    'setup.py',
  ];
  const marker = python.find((name) => root.has(name));
  if (marker !== undefined) {
    return { command: 'python -m pytest', reason: `there is a ${marker}` };
  }
  return {
    command: null,
    reason:
      'no package.json test script, vitest/jest config, go.mod, Cargo.toml or pytest config at the workspace root',
  };
}
