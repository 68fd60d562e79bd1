/**
 * TODO / FIXME / XXX markers left in code: the marker opens a comment
 * (`// TODO`, `# FIXME`, `* XXX`) or is written `TODO:` / `TODO(name):`.
 * Prose that mentions markers ("counts TODO/FIXME lines") is not a marker.
 */
import type { Finding } from './findings.js';

const OPENS_COMMENT = /(?:\/\/|#|\/\*|^\s*\*|<!--|--)\s*@?(?:TODO|FIXME|XXX)\b(?![/-])/;
const WITH_COLON = /\b(?:TODO|FIXME|XXX)(?:\([^)]*\))?:/;
const MAX_SHOWN = 160;

export function isTodoLine(line: string): boolean {
  return OPENS_COMMENT.test(line) || WITH_COLON.test(line);
}

export function scanTodos(path: string, text: string): Finding[] {
  const findings: Finding[] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    if (!isTodoLine(line)) return;
    const shown = line.trim();
    findings.push({
      kind: 'todo',
      path,
      line: index + 1,
      detail: shown.length > MAX_SHOWN ? `${shown.slice(0, MAX_SHOWN)}…` : shown,
    });
  });
  return findings;
}
