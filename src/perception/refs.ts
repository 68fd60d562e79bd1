/**
 * Finds what a request is about: code in backquotes, URLs, file paths and
 * code-like symbols (`parseConfig`, `UserService`, `parse_config`, `run()`).
 * Plain English nouns are deliberately not targets; "the login bug" names no
 * file or symbol the kernel could reason about.
 */
import { MAX_TARGET_CHARS } from './intent.js';
import { clip } from './normalize.js';

export type RefKind = 'code' | 'url' | 'path' | 'symbol';

export type CodeRef = {
  readonly kind: RefKind;
  /** What the target would be: the code without its backquotes, a path without punctuation. */
  readonly value: string;
  readonly start: number;
  readonly end: number;
};

const FENCE_OR_BACKQUOTE = /```([\s\S]*?)```|`([^`\n]+)`/g;
const URL = /\b(?:https?|ftp|file):\/\/[^\s<>"'`]+/gi;
const LEADING_PUNCTUATION = /^[([{<'"]+/;
const CLOSING_PUNCTUATION = ')]}>.,:;!?\'"';
const CHUNK = /[^\s,;"`<>\uE000]+/g;

const FILE_EXTENSIONS = new Set(
  (
    'ts tsx mts cts js jsx mjs cjs json jsonc json5 md mdx txt yml yaml toml ini cfg conf env ' +
    'lock go mod sum py pyi ipynb rs java kt kts scala groovy gradle c h cc cpp cxx hpp hh cs ' +
    'fs rb php swift dart lua jl ex exs erl hs ml clj sql graphql gql proto sh bash zsh fish ' +
    'ps1 bat css scss sass less html htm vue svelte astro xml svg csv tsv mg tf hcl nix zig ' +
    'sol wasm log patch diff snap'
  ).split(' '),
);

// Directory names that make `a/b` a path rather than "and/or" or "read/write".
const KNOWN_DIRS = new Set(
  (
    'src test tests spec specs lib libs docs doc app apps packages pkg cmd internal bin ' +
    'scripts script machines bench benchmarks examples example config configs public ' +
    'assets static dist build vendor node_modules tools fixtures migrations api components'
  ).split(' '),
);

// Capitalised file names that carry no extension.
const BARE_FILES = new Set([
  'Makefile',
  'Dockerfile',
  'Containerfile',
  'Justfile',
  'Gemfile',
  'Rakefile',
  'Procfile',
  'Jenkinsfile',
  'Vagrantfile',
  'README',
  'LICENSE',
  'CHANGELOG',
  'CODEOWNERS',
]);

// Product names spelled like code; "migrate to TypeScript" has no target.
const NOT_SYMBOLS = new Set(
  (
    'typescript javascript coffeescript github gitlab bitbucket postgresql mysql mongodb ' +
    'graphql openai nodejs powershell macos ios ipados iphone ipad youtube linkedin dynamodb ' +
    'bigquery vscode intellij chatgpt devops webassembly nextjs nestjs jetbrains pycharm ' +
    'webstorm sqlserver mariadb couchdb rabbitmq elasticsearch opensearch jsdoc tsdoc'
  ).split(' '),
);

// `node.js` looks like a file but is a runtime.
const JS_PRODUCT =
  /^(node|vue|next|nuxt|react|express|three|d3|chart|ember|backbone|angular|solid|alpine|p5|moment|day|socket|ext|knockout)\.js$/i;

// Words that introduce a symbol: "function parse", "class User". Only words
// with no everyday meaning: "hook up" and "property test" name no symbol.
const SYMBOL_KEYWORDS = new Set(
  'function method class interface enum struct trait def func fn const macro decorator'.split(' '),
);
const NOT_AFTER_KEYWORD = new Set(
  'a an the that this which it its to for in of and or with is are was that names name'.split(' '),
);

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
// `parseConfig()`, `cache.get(key`: an identifier directly followed by a parenthesis.
const CALL = /^([A-Za-z_$][\w$]*(?:[.#][A-Za-z_$][\w$]*)*)\(/;
const MEMBER = /^[A-Za-z_$][\w$]*(?:[.#][A-Za-z_$][\w$]*)+$/;

function isCodeLikeIdentifier(word: string): boolean {
  if (!IDENTIFIER.test(word) || NOT_SYMBOLS.has(word.toLowerCase())) return false;
  return (
    /^[a-z_$][a-z0-9_$]*[A-Z]/.test(word) || // camelCase
    /^[A-Z][a-z0-9]+[A-Z]/.test(word) || // PascalCase with an inner capital
    /^[A-Z]{2,}[a-z]/.test(word) || // HTTPServer
    /[A-Za-z0-9]_[A-Za-z0-9]/.test(word) || // snake_case, SCREAMING_CASE
    /^[_$]/.test(word)
  );
}

function isMemberAccess(word: string): boolean {
  if (!MEMBER.test(word)) return false;
  const parts = word.split(/[.#]/);
  const [owner, member] = parts;
  if (FILE_EXTENSIONS.has(parts.at(-1)?.toLowerCase() ?? '')) return false;
  return (
    word.includes('#') ||
    parts.some(isCodeLikeIdentifier) ||
    // Range.contains, Math.max: a type and its member.
    (owner !== undefined && member !== undefined && /^[A-Z]/.test(owner) && /^[a-z_$]/.test(member))
  );
}

// Hand-written rather than /[…]+$/: that regex is quadratic on a long run of punctuation.
function trimEnd(text: string, characters: string): string {
  let end = text.length;
  while (end > 0 && characters.includes(text.charAt(end - 1))) end--;
  return text.slice(0, end);
}

function extensionOf(name: string): string | undefined {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot + 1).toLowerCase() : undefined;
}

function isFileName(name: string): boolean {
  if (BARE_FILES.has(name)) return true;
  if (/^\.[\p{L}][\w.-]*$/u.test(name)) return true; // .env, .eslintrc.json
  if (/^\*+\.[a-z0-9]+$/i.test(name)) return true; // *.ts
  if (!/^[\p{L}\p{N}_@+*-][\p{L}\p{N}_@+.*-]*$/u.test(name) || JS_PRODUCT.test(name)) return false;
  const extension = extensionOf(name);
  return extension !== undefined && FILE_EXTENSIONS.has(extension);
}

function isPath(chunk: string): boolean {
  const path = chunk.replace(/:\d+(?::\d+)?$/, ''); // src/a.ts:42:7
  if (!/^[\p{L}\p{N}_@~.+\-/\\:*$]+$/u.test(path)) return false;
  if (!/[/\\]/.test(path)) return isFileName(path);
  const segments = path.split(/[/\\]+/).filter((segment) => segment !== '');
  const first = segments[0];
  const last = segments.at(-1);
  if (first === undefined || last === undefined) return false;
  return (
    /^(?:\.{1,2}[/\\]|~[/\\]|\/|[A-Za-z]:\\)/.test(path) ||
    /[/\\]$/.test(path) ||
    path.includes('*') ||
    segments.length >= 3 ||
    KNOWN_DIRS.has(first.toLowerCase()) ||
    isFileName(last)
  );
}

// Neither a word nor a space: a masked reference still occupies its place in the sentence.
const MASK = '\uE000';

function maskSpans(text: string, spans: readonly { start: number; end: number }[]): string {
  // One pass over sorted spans: a text full of paths has thousands of them.
  const ordered = [...spans].sort((a, b) => a.start - b.start);
  const parts: string[] = [];
  let cursor = 0;
  for (const span of ordered) {
    if (span.start < cursor) continue;
    parts.push(text.slice(cursor, span.start), MASK.repeat(span.end - span.start));
    cursor = span.end;
  }
  parts.push(text.slice(cursor));
  return parts.join('');
}

function quotedAndUrls(text: string): CodeRef[] {
  const refs: CodeRef[] = [];
  for (const match of text.matchAll(FENCE_OR_BACKQUOTE)) {
    const value = (match[1] ?? match[2] ?? '').trim();
    refs.push({ kind: 'code', value, start: match.index, end: match.index + match[0].length });
  }
  const masked = maskSpans(text, refs);
  for (const match of masked.matchAll(URL)) {
    const value = trimEnd(match[0], CLOSING_PUNCTUATION);
    refs.push({ kind: 'url', value, start: match.index, end: match.index + value.length });
  }
  return refs;
}

/** Strips quotes, brackets and sentence punctuation around a chunk. */
function trimChunk(chunk: string): { text: string; offset: number } {
  const offset = LEADING_PUNCTUATION.exec(chunk)?.[0].length ?? 0;
  const bare = trimEnd(chunk.slice(offset), CLOSING_PUNCTUATION);
  const text = bare.endsWith("'s") ? trimEnd(bare.slice(0, -2), CLOSING_PUNCTUATION) : bare;
  return { text, offset };
}

function chunkRef(chunk: string, start: number, previous: string | undefined): CodeRef | undefined {
  const { text, offset } = trimChunk(chunk);
  if (text === '') return undefined;
  const span = { start: start + offset, end: start + offset + text.length };
  const call = CALL.exec(text);
  if (call?.[1] !== undefined) return { kind: 'symbol', value: call[1], ...span };
  if (isPath(text)) return { kind: 'path', value: text, ...span };
  if (isCodeLikeIdentifier(text) || isMemberAccess(text)) {
    return { kind: 'symbol', value: text, ...span };
  }
  if (
    previous !== undefined &&
    SYMBOL_KEYWORDS.has(previous.toLowerCase()) &&
    IDENTIFIER.test(text) &&
    text.length >= 2 &&
    !NOT_AFTER_KEYWORD.has(text.toLowerCase())
  ) {
    return { kind: 'symbol', value: text, ...span };
  }
  return undefined;
}

/** Every reference in `text`, in order of appearance, without overlaps. */
export function findCodeRefs(text: string): CodeRef[] {
  const refs = quotedAndUrls(text);
  const masked = maskSpans(text, refs);
  let previous: string | undefined;
  for (const match of masked.matchAll(CHUNK)) {
    const ref = chunkRef(match[0], match.index, previous);
    if (ref !== undefined) refs.push(ref);
    previous = match[0];
  }
  return refs
    .filter((ref) => ref.value !== '')
    .map((ref) => ({ ...ref, value: clip(ref.value, MAX_TARGET_CHARS) }))
    .sort((a, b) => a.start - b.start);
}

// Documentation files stay readable as words, so "update the README" matches "update readme".
const DOC_FILE = /^(?:readme|changelog|license|contributing)(?:\.[a-z]+)?$/i;

/** `text` with every reference masked, offsets unchanged, so words inside code match nothing. */
export function maskRefs(text: string, refs: readonly CodeRef[]): string {
  return maskSpans(
    text,
    refs.filter((ref) => !(ref.kind === 'path' && DOC_FILE.test(ref.value))),
  );
}
