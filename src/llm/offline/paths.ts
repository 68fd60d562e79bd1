/**
 * What a workspace path is: ignored, a lockfile, binary, source, a test. The
 * rules work on listed paths only, so everything here is about names.
 */

// Generated, vendored or tool-owned trees: findings there are not the user's code.
const IGNORED_DIRS = new Set([
  'node_modules',
  '.git',
  'dist',
  'build',
  'coverage',
  '.next',
  '.nuxt',
  '.nerdloop',
  '__pycache__',
  '.venv',
  'venv',
  '.tox',
  '.mypy_cache',
  '.pytest_cache',
  'vendor',
]);

const LOCKFILES = new Set([
  'package-lock.json',
  'npm-shrinkwrap.json',
  'yarn.lock',
  'pnpm-lock.yaml',
  'bun.lockb',
  'Cargo.lock',
  'go.sum',
  'poetry.lock',
  'Pipfile.lock',
  'composer.lock',
  'Gemfile.lock',
]);

const BINARY_EXTENSIONS = new Set(
  (
    'png jpg jpeg gif bmp ico webp svgz pdf zip gz tgz bz2 xz 7z rar tar jar war class ' +
    'wasm exe dll so dylib a o obj bin dat woff woff2 ttf otf eot mp3 mp4 wav ogg mov avi ' +
    'sqlite db pyc lockb'
  ).split(' '),
);

/** Languages whose blocks are braces. */
const BRACE_EXTENSIONS = new Set(
  (
    'ts tsx mts cts js jsx mjs cjs java kt kts scala groovy c h cc cpp cxx hpp hh cs go rs ' +
    'swift dart php'
  ).split(' '),
);

const OTHER_SOURCE_EXTENSIONS = new Set(['py', 'pyi', 'rb', 'lua', 'ex', 'exs', 'sh']);

const JVM_EXTENSIONS = new Set(['java', 'kt', 'kts', 'scala', 'groovy', 'cs']);

const TEST_DIRS = new Set(['test', 'tests', '__tests__', 'spec', 'specs']);

export type SourceFamily = 'brace' | 'python' | 'other';

/** Forward slashes, no leading `./`, no surrounding blanks. */
export function normalizePath(path: string): string {
  return path
    .trim()
    .replace(/\\/g, '/')
    .replace(/^(?:\.\/)+/, '');
}

export function segmentsOf(path: string): string[] {
  return normalizePath(path)
    .split('/')
    .filter((part) => part !== '' && part !== '.');
}

export function baseName(path: string): string {
  const parts = segmentsOf(path);
  return parts[parts.length - 1] ?? '';
}

export function extensionOf(path: string): string {
  const base = baseName(path);
  const dot = base.lastIndexOf('.');
  return dot <= 0 ? '' : base.slice(dot + 1).toLowerCase();
}

/** The base name without its last extension: `foo.test.ts` → `foo.test`. */
export function stemOf(path: string): string {
  const base = baseName(path);
  const dot = base.lastIndexOf('.');
  return dot <= 0 ? base : base.slice(0, dot);
}

export function isIgnoredPath(path: string): boolean {
  return segmentsOf(path).some((part) => IGNORED_DIRS.has(part));
}

export function isLockfile(path: string): boolean {
  return LOCKFILES.has(baseName(path));
}

export function isBinaryPath(path: string): boolean {
  return BINARY_EXTENSIONS.has(extensionOf(path));
}

export function sourceFamily(path: string): SourceFamily {
  const extension = extensionOf(path);
  if (BRACE_EXTENSIONS.has(extension)) return 'brace';
  if (extension === 'py' || extension === 'pyi') return 'python';
  return 'other';
}

/** Code a review reads: a known source extension outside ignored trees. */
export function isSourcePath(path: string): boolean {
  const extension = extensionOf(path);
  if (isIgnoredPath(path) || isLockfile(path) || isBinaryPath(path)) return false;
  if (baseName(path).endsWith('.d.ts')) return false;
  return BRACE_EXTENSIONS.has(extension) || OTHER_SOURCE_EXTENSIONS.has(extension);
}

export function isInTestDir(path: string): boolean {
  return segmentsOf(path)
    .slice(0, -1)
    .some((part) => TEST_DIRS.has(part));
}

/** `foo.test.ts`, `foo.spec.js`, `foo_test.go`, `test_foo.py`, `FooTest.java`, or anything under a test folder. */
export function isTestPath(path: string): boolean {
  return isInTestDir(path) || testedStem(path) !== null;
}

/**
 * The stem of the source file a test file names, or null when the name
 * follows no test convention: `foo.test.ts` → `foo`, `test_foo.py` → `foo`.
 */
export function testedStem(path: string): string | null {
  const stem = stemOf(path);
  const patterns = [/^(.+)[.-](?:test|spec)$/, /^(.+)_test$/, /^test_(.+)$/];
  // `FooTest` is a JVM/.NET convention; elsewhere `getTest.ts` is ordinary code.
  if (JVM_EXTENSIONS.has(extensionOf(path))) patterns.push(/^(.+)Tests?$/);
  for (const pattern of patterns) {
    const match = pattern.exec(stem);
    if (match?.[1]) return match[1];
  }
  return null;
}

export function isUnder(path: string, scope: string): boolean {
  const inner = segmentsOf(path).join('/');
  const outer = segmentsOf(scope).join('/');
  return outer === '' || inner === outer || inner.startsWith(`${outer}/`);
}
