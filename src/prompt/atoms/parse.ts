/**
 * One YAML file's text → its atoms and its errors. A file holds one atom (a
 * mapping) or a list of atoms, in one or more `---` documents. A bad atom is
 * reported with its position and skipped; the others in the file are kept.
 */
import {
  type Document,
  isMap,
  isNode,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseAllDocuments,
  type YAMLError,
} from 'yaml';
import type { z } from 'zod';
import { describeUnknownError } from '../../core/index.js';
import { fieldName, lineColumn, locate } from './positions.js';
import { type Atom, atomSchema } from './schema.js';

export type AtomLoadError = {
  file: string;
  /** 1-based; 0 when the error is not about a place in a file (an unreadable directory). */
  line: number;
  column: number;
  atomId: string | null;
  field: string | null;
  message: string;
};

/** A valid atom and where its definition starts, for duplicate-id messages. */
export type LocatedAtom = { atom: Atom; file: string; line: number; column: number };

export type ParsedAtomFile = { atoms: LocatedAtom[]; errors: AtomLoadError[] };

export function parseAtomFile(file: string, text: string): ParsedAtomFile {
  const lineCounter = new LineCounter();
  // prettyErrors would append a code excerpt to every message; positions are
  // reported in their own fields instead.
  const documents = parseAllDocuments(text, { lineCounter, prettyErrors: false });
  const out: ParsedAtomFile = { atoms: [], errors: [] };
  const at = (offset: number) => lineColumn(lineCounter, offset);
  for (const document of documents) {
    readDocument(document, file, at, out);
  }
  return out;
}

type Locator = (offset: number) => { line: number; column: number };

function readDocument(
  document: Document.Parsed,
  file: string,
  at: Locator,
  out: ParsedAtomFile,
): void {
  const root = document.contents;
  const items: Node[] = isSeq(root) ? root.items.filter(isNode) : isNode(root) ? [root] : [];
  const itemErrors = new Map<Node, YAMLError[]>();
  const strayErrors: YAMLError[] = [];
  for (const error of document.errors) {
    const offset = error.pos[0];
    const item = items.find((node) => {
      const range = node.range;
      return range !== null && range !== undefined && offset >= range[0] && offset < range[2];
    });
    if (item) itemErrors.set(item, [...(itemErrors.get(item) ?? []), error]);
    else strayErrors.push(error);
  }
  // An error outside every atom (a broken list, bad indentation at the top)
  // leaves no item trustworthy: the whole document is skipped, loudly.
  if (strayErrors.length > 0) {
    for (const error of document.errors) {
      out.errors.push(syntaxError(file, at, error, null));
    }
    return;
  }
  if (root === null) return; // an empty document (comments only): nothing to load
  if (!isSeq(root) && !isMap(root)) {
    const offset = isNode(root) ? (root.range?.[0] ?? 0) : 0;
    out.errors.push({
      file,
      ...at(offset),
      atomId: null,
      field: null,
      message: 'expected an atom (a mapping) or a list of atoms',
    });
    return;
  }
  for (const item of items) {
    const errors = itemErrors.get(item);
    if (errors) {
      for (const error of errors) out.errors.push(syntaxError(file, at, error, rawId(item)));
      continue;
    }
    readAtom(document, item, file, at, out);
  }
}

function syntaxError(
  file: string,
  at: Locator,
  error: YAMLError,
  atomId: string | null,
): AtomLoadError {
  return {
    file,
    ...at(error.pos[0]),
    atomId,
    field: null,
    message: `invalid YAML (${error.code}): ${error.message}`,
  };
}

/** The id as written, even when the atom is invalid, so its errors can name it. */
function rawId(item: Node): string | null {
  if (!isMap(item)) return null;
  const id = item.get('id', true);
  return isScalar(id) && typeof id.value === 'string' && id.value.trim() !== ''
    ? id.value.trim()
    : null;
}

function readAtom(
  document: Document.Parsed,
  item: Node,
  file: string,
  at: Locator,
  out: ParsedAtomFile,
): void {
  const start = at(item.range?.[0] ?? 0);
  if (!isMap(item)) {
    out.errors.push({
      file,
      ...start,
      atomId: null,
      field: null,
      message: 'expected an atom (a mapping)',
    });
    return;
  }
  let value: unknown;
  try {
    value = item.toJS(document);
  } catch (error) {
    // e.g. an alias bomb past maxAliasCount, or an undefined alias
    out.errors.push({
      file,
      ...start,
      atomId: rawId(item),
      field: null,
      message: `cannot read atom: ${describeUnknownError(error)}`,
    });
    return;
  }
  const result = atomSchema.safeParse(value);
  if (result.success) {
    out.atoms.push({ atom: result.data, file, ...start });
    return;
  }
  const atomId = rawId(item);
  for (const issue of result.error.issues) {
    for (const error of issueErrors(issue, item, file, at, atomId)) out.errors.push(error);
  }
}

function issueErrors(
  issue: z.core.$ZodIssue,
  item: Node,
  file: string,
  at: Locator,
  atomId: string | null,
): AtomLoadError[] {
  if (issue.code === 'unrecognized_keys') {
    // One error per unknown key, each at the key itself: a typo is easiest to
    // find where it was typed.
    return issue.keys.map((key) => {
      const path = [...issue.path, key];
      return {
        file,
        ...at(locate(item, path, 'key').offset),
        atomId,
        field: fieldName(path),
        message: `unknown field "${key}"`,
      };
    });
  }
  const location = locate(item, issue.path);
  const field = fieldName(issue.path);
  const missing = !location.found && issue.code === 'invalid_type';
  return [
    {
      file,
      ...at(location.offset),
      atomId,
      field,
      message: missing ? `missing required field "${field ?? ''}"` : issue.message,
    },
  ];
}

export function formatAtomLoadError(error: AtomLoadError): string {
  const where = error.line > 0 ? `${error.file}:${error.line}:${error.column}` : error.file;
  const atom = error.atomId === null ? '' : ` atom "${error.atomId}"`;
  const field = error.field === null ? '' : ` field "${error.field}"`;
  return `${where}:${atom}${field} ${error.message}`;
}
