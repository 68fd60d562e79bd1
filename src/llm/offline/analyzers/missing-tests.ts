/**
 * Source files no test file is named after. A test names a source file when
 * its stem (`foo` of `foo.test.*`, `foo.spec.*`, `foo_test.*`, `test_foo.*`,
 * `FooTest.*`, or a plain `foo.*` under a test folder) is the file's stem, one
 * of its folders, or folders and stem joined by `-`: `test/kernel.test.ts`
 * covers `src/kernel/**`, `test/llm-offline.test.ts` covers `src/llm/offline/**`.
 * Names only: a test that imports the file under another name is not seen.
 */
import {
  baseName,
  extensionOf,
  isInTestDir,
  isSourcePath,
  isTestPath,
  segmentsOf,
  stemOf,
  testedStem,
} from '../paths.js';
import type { Finding } from './findings.js';

// Entry points and barrels that re-export: their behaviour is tested through what they export.
const EXEMPT_STEMS = new Set(['index', '__init__', '__main__', 'mod', 'main', 'setup', 'conftest']);

const EXEMPT_DIRS = new Set(['bench', 'benchmarks', 'benches', 'examples', 'example']);

// Languages whose tests may live inside the file (`#[cfg(test)]`) or which rarely have unit tests.
const EXEMPT_EXTENSIONS = new Set(['rs', 'sh', 'pyi']);

export function findUntestedSources(paths: readonly string[]): Finding[] {
  const covered = new Set<string>();
  for (const path of paths) {
    if (!isSourcePath(path)) continue;
    const stem = testedStem(path);
    if (stem !== null) covered.add(stem.toLowerCase());
    else if (isInTestDir(path)) covered.add(stemOf(path).toLowerCase());
  }
  return paths
    .filter((path) => isSourcePath(path) && !isTestPath(path))
    .filter((path) => !EXEMPT_EXTENSIONS.has(extensionOf(path)))
    .filter((path) => !isBenchOrExample(path))
    .filter((path) => !isConfigFile(path) && !EXEMPT_STEMS.has(stemOf(path).toLowerCase()))
    .filter((path) => !namesOf(path).some((name) => covered.has(name)))
    .map((path) => ({ kind: 'missing-test', path, line: null, detail: 'no test file found' }));
}

/** Every run of consecutive folders and the stem, joined by `-`, lower-cased. */
function namesOf(path: string): string[] {
  const parts = [...segmentsOf(path).slice(0, -1), stemOf(path)].map((part) => part.toLowerCase());
  const names: string[] = [];
  for (let from = 0; from < parts.length; from += 1) {
    for (let to = from + 1; to <= parts.length; to += 1)
      names.push(parts.slice(from, to).join('-'));
  }
  return names;
}

function isConfigFile(path: string): boolean {
  return /\.config$|^\./.test(stemOf(baseName(path)));
}

/** Benchmarks and examples exercise code rather than being code that needs tests. */
function isBenchOrExample(path: string): boolean {
  if (/\.bench$/.test(stemOf(path))) return true;
  return segmentsOf(path)
    .slice(0, -1)
    .some((part) => EXEMPT_DIRS.has(part));
}
