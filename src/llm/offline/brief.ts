/**
 * The brief: which persona to play, on what target, with which test command.
 * Read from `Persona:` / `Target:` / `Test command:` lines of the system
 * messages (the JIT prompt compiler writes them), with fallbacks from the last
 * user message so a bare conversation still gets a sensible answer.
 */
import type { ChatMessage } from '../port.js';
import { extensionOf } from './paths.js';

export const PERSONAS = ['/coder', '/tester', '/reviewer', '/researcher'] as const;
export type Persona = (typeof PERSONAS)[number];

export type Target = { readonly kind: 'path' | 'symbol'; readonly text: string };

export type Brief = {
  readonly persona: Persona;
  readonly target: Target | null;
  readonly testCommand: string | null;
  /** What the reader should know about how the brief was read (an unknown persona, say). */
  readonly notes: readonly string[];
};

const PERSONA_LINE = /^[\s>*-]*persona\s*:\s*(.*)$/im;
const TARGET_LINE = /^[\s>*-]*target\s*:\s*(.*)$/im;
const TEST_COMMAND_LINE = /^[\s>*-]*test command\s*:\s*(.*)$/im;
const PERSONA_PREFIX = /^\s*(\/(?:coder|tester|reviewer|researcher))\b/i;
const BACKQUOTED = /`([^`\n]+)`/;

const PATH_EXTENSIONS = new Set(
  (
    'ts tsx mts cts js jsx mjs cjs json md txt yml yaml toml ini cfg go mod py pyi rs java kt ' +
    'scala c h cc cpp hpp cs rb php swift dart lua sh css scss html vue svelte xml sql proto mg'
  ).split(' '),
);

// First folders that make `a/b` in prose a path rather than "and/or".
const KNOWN_DIRS = new Set(
  'src test tests lib app apps packages pkg cmd internal docs scripts bin spec machines bench'.split(
    ' ',
  ),
);

// Words that end a "Target:" line without naming anything.
const NO_TARGET = new Set(['', 'none', 'n/a', '-', '(none)']);

export function readBrief(messages: readonly ChatMessage[]): Brief {
  const notes: string[] = [];
  const system = messages
    .filter((message) => message.role === 'system')
    .map((message) => message.content)
    .join('\n');
  const lastUser = [...messages].reverse().find((message) => message.role === 'user');
  const userText = lastUser?.role === 'user' ? lastUser.content : '';

  const persona = readPersona(system, userText, notes);
  const targetText = firstCapture(TARGET_LINE, system);
  const target =
    targetText === null ? targetFromText(userText) : toTarget(unquote(targetText.trim()));
  const command = firstCapture(TEST_COMMAND_LINE, system);
  const testCommand = command === null ? null : unquote(command.trim()) || null;
  return { persona, target, testCommand, notes };
}

function readPersona(system: string, userText: string, notes: string[]): Persona {
  const declared = firstCapture(PERSONA_LINE, system);
  if (declared !== null) {
    const word = declared.trim().split(/\s+/)[0] ?? '';
    const persona = asPersona(word.startsWith('/') ? word : `/${word}`);
    if (persona !== null) return persona;
    notes.push(`Unknown persona "${word}"; acting as /coder.`);
    return '/coder';
  }
  const prefixed = PERSONA_PREFIX.exec(userText)?.[1];
  return (prefixed === undefined ? null : asPersona(prefixed)) ?? '/coder';
}

function asPersona(word: string): Persona | null {
  const lower = word.toLowerCase();
  return PERSONAS.find((persona) => persona === lower) ?? null;
}

function firstCapture(pattern: RegExp, text: string): string | null {
  return pattern.exec(text)?.[1] ?? null;
}

/** One pair of matching quotes around the whole value; quotes inside a command stay. */
function unquote(text: string): string {
  const match = /^([`'"])([\s\S]*)\1$/.exec(text);
  return (match?.[2] ?? text).trim();
}

function toTarget(text: string): Target | null {
  const cleaned = text.replace(/^(?:\.\/)+/, '');
  if (NO_TARGET.has(cleaned.toLowerCase())) return null;
  return { kind: looksLikePath(cleaned, false) ? 'path' : 'symbol', text: cleaned };
}

/**
 * An explicit target with a `/` is a path. In free text `/` also joins words
 * ("read/write"), so there a path needs a file extension, a leading `./` or
 * `/`, a well-known first folder, or at least three segments.
 */
function looksLikePath(text: string, inProse: boolean): boolean {
  if (/\s/.test(text) || text.includes('://')) return false;
  if (PATH_EXTENSIONS.has(extensionOf(text))) return true;
  if (!text.includes('/')) return false;
  if (!inProse) return true;
  const segments = text.split('/').filter((part) => part !== '');
  return /^\.{0,2}\//.test(text) || KNOWN_DIRS.has(segments[0] ?? '') || segments.length >= 3;
}

/** A backquoted symbol or path wins; otherwise the first path-like word. */
export function targetFromText(text: string): Target | null {
  const quoted = BACKQUOTED.exec(text)?.[1];
  if (quoted !== undefined) return toTarget(quoted.trim());
  for (const raw of text.split(/\s+/)) {
    const word = raw.replace(/^[([{<'"]+/, '').replace(/[)\]}>.,:;!?'"]+$/, '');
    if (word.startsWith('/') && asPersona(word) !== null) continue;
    if (word.length > 1 && looksLikePath(word, true) && /[A-Za-z0-9]/.test(word)) {
      return toTarget(word);
    }
  }
  return null;
}
