/**
 * Loading atoms from directories: every `*.yaml` / `*.yml` file below each
 * directory (subfolders included, hidden entries skipped), in a fixed order
 * (directories as given, then paths sorted), so the same tree always loads
 * the same atoms and reports the same errors.
 */
import type { Dirent } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeUnknownError } from '../../core/index.js';
import { type AtomLoadError, type LocatedAtom, parseAtomFile } from './parse.js';
import type { Atom } from './schema.js';

/** The atoms nerdloop ships. Resolved from this module so it works from src/ (tsx) and dist/. */
export const SHIPPED_ATOMS_DIR: string = fileURLToPath(new URL('./shipped', import.meta.url));

const YAML_FILE = /\.ya?ml$/i;

export async function loadAtoms(
  dirs: readonly string[],
): Promise<{ atoms: Atom[]; errors: AtomLoadError[] }> {
  const errors: AtomLoadError[] = [];
  const atoms: Atom[] = [];
  const seen = new Map<string, LocatedAtom>();
  for (const dir of dirs) {
    for (const file of await yamlFiles(dir, errors)) {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (error) {
        errors.push(placeless(file, `cannot read atom file: ${describeUnknownError(error)}`));
        continue;
      }
      const parsed = parseAtomFile(file, text);
      errors.push(...parsed.errors);
      for (const located of parsed.atoms) {
        const first = seen.get(located.atom.id);
        if (first) {
          // The first definition wins so that the result does not depend on
          // which of two conflicting files a user edited last.
          errors.push({
            file: located.file,
            line: located.line,
            column: located.column,
            atomId: located.atom.id,
            field: 'id',
            message: `duplicate atom id "${located.atom.id}": already defined at ${first.file}:${first.line}:${first.column}; this one is skipped`,
          });
          continue;
        }
        seen.set(located.atom.id, located);
        atoms.push(located.atom);
      }
    }
  }
  return { atoms, errors };
}

async function yamlFiles(dir: string, errors: AtomLoadError[]): Promise<string[]> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    errors.push(placeless(dir, `cannot read atoms directory: ${describeUnknownError(error)}`));
    return [];
  }
  const files: string[] = [];
  for (const entry of [...entries].sort((a, b) => compare(a.name, b.name))) {
    if (entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    // Symlinked directories are not followed: a link cycle would never end.
    if (entry.isDirectory()) files.push(...(await yamlFiles(path, errors)));
    else if (YAML_FILE.test(entry.name) && (entry.isFile() || entry.isSymbolicLink())) {
      files.push(path);
    }
  }
  return files;
}

// Code-unit order, not locale order: the same on every machine.
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function placeless(file: string, message: string): AtomLoadError {
  return { file, line: 0, column: 0, atomId: null, field: null, message };
}
