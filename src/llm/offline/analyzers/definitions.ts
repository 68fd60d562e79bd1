/**
 * Where a name is defined, by the shapes definitions take in common languages:
 * `function x`, `class x`, `const x =`, `def x`, `func x`, `fn x`, a method
 * `x(...) {`. A line that only mentions the name is a use.
 */

const KEYWORDS =
  '(?:function\\*?|class|interface|type|enum|const|let|var|def|func|fn|fun|struct|trait|module|namespace|record)';

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Whether `line` defines `name`. */
export function definesName(line: string, name: string): boolean {
  const word = escapeRegExp(name);
  const patterns = [
    new RegExp(`\\b${KEYWORDS}\\s+${word}(?![\\w$])`),
    new RegExp(`\\bfunc\\s+\\([^)]*\\)\\s*${word}\\s*\\(`),
    new RegExp(
      `^\\s*(?:(?:public|private|protected|static|async|override|readonly|get|set)\\s+)*${word}\\s*(?:<[^>]*>)?\\s*\\([^;]*\\)\\s*(?::[^=;]*)?\\{\\s*$`,
    ),
    new RegExp(
      `^\\s*(?:readonly\\s+)?${word}\\s*[:=]\\s*(?:async\\s+)?(?:\\([^)]*\\)|[\\w$]+)\\s*=>`,
    ),
  ];
  return patterns.some((pattern) => pattern.test(line));
}

export type Outline = { readonly name: string; readonly kind: string; readonly line: number };

const TOP_LEVEL = new RegExp(
  `^(?:export\\s+)?(?:default\\s+)?(?:declare\\s+)?(?:abstract\\s+)?(?:async\\s+)?(?:pub(?:\\([^)]*\\))?\\s+)?(${KEYWORDS})\\s+([A-Za-z_$][\\w$]*)`,
);

/** The file's top-level definitions (not indented), in order. */
export function outline(text: string): Outline[] {
  const found: Outline[] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    const match = TOP_LEVEL.exec(line);
    const kind = match?.[1];
    const name = match?.[2];
    if (kind !== undefined && name !== undefined) found.push({ name, kind, line: index + 1 });
  });
  return found;
}
