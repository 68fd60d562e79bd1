import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type AtomLoadError,
  formatAtomLoadError,
  loadAtoms,
  parseAtomFile,
  SHIPPED_ATOMS_DIR,
} from '../src/prompt/atoms/index.js';
import { tokenCounter } from '../src/prompt/compiler/index.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nerdloop-atoms-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function put(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, text);
  return path;
}

/** 1-based line and column of the `occurrence`-th appearance of `needle` in `text`. */
function pos(text: string, needle: string, occurrence = 1): { line: number; column: number } {
  let offset = -1;
  for (let i = 0; i < occurrence; i++) {
    offset = text.indexOf(needle, offset + 1);
    if (offset < 0) throw new Error(`${needle} not found`);
  }
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

const VALID = `- id: good
  category: identity
  priority: 5
  content: Fine.
`;

describe('loadAtoms: valid files', () => {
  it('reads a file with one atom and a file with a list, normalising and defaulting', async () => {
    await put(
      'one.yaml',
      `id: one
category: protocol
priority: 10
mandatory: true
selectors:
  personas: [/Coder, tester, coder]
  languages: [TypeScript]
depends_on: [two]
content: |

  Line one.
  Line two.

content_min: Short.
`,
    );
    await put(
      'list.yml',
      `- id: two
  category: exemplar
  priority: -3
  content: Two.
- id: three
  category: language
  priority: 0
  selectors: { world_states: [/tests_failing] }
  conflicts_with: [two]
  content: Three.
  content_concise: Three, short.
`,
    );
    await put('notes.txt', 'id: ignored');
    const { atoms, errors } = await loadAtoms([dir]);
    expect(errors).toEqual([]);
    expect(atoms.map((atom) => atom.id)).toEqual(['two', 'three', 'one']);
    const one = atoms.find((atom) => atom.id === 'one');
    expect(one).toEqual({
      id: 'one',
      category: 'protocol',
      priority: 10,
      mandatory: true,
      selectors: { personas: ['coder', 'tester'], languages: ['typescript'] },
      depends_on: ['two'],
      content: 'Line one.\nLine two.',
      content_min: 'Short.',
    });
    const two = atoms.find((atom) => atom.id === 'two');
    expect(two?.mandatory).toBe(false);
    expect(two?.selectors).toEqual({});
    expect(atoms.find((atom) => atom.id === 'three')?.selectors).toEqual({
      world_states: ['tests_failing'],
    });
  });

  it('reads several documents in one file, sub-folders, and ignores empty documents and hidden files', async () => {
    await put(
      'multi.yaml',
      `# only a comment
---
id: a
category: safety
priority: 1
content: A.
---
- id: b
  category: safety
  priority: 1
  content: B.
`,
    );
    await put('nested/deeper/c.yaml', 'id: c\ncategory: context\npriority: 1\ncontent: C.\n');
    await put('.hidden/d.yaml', 'id: d\ncategory: context\npriority: 1\ncontent: D.\n');
    await put('empty.yaml', '');
    const { atoms, errors } = await loadAtoms([dir]);
    expect(errors).toEqual([]);
    expect(atoms.map((atom) => atom.id)).toEqual(['a', 'b', 'c']);
  });

  it('loads the shipped atoms cleanly, each a reasonable size', async () => {
    const { atoms, errors } = await loadAtoms([SHIPPED_ATOMS_DIR]);
    expect(errors).toEqual([]);
    const ids = atoms.map((atom) => atom.id);
    for (const persona of ['coder', 'tester', 'reviewer', 'researcher']) {
      expect(ids).toContain(`identity-${persona}`);
      expect(ids).toContain(`methodology-${persona}`);
    }
    for (const id of [
      'language-typescript',
      'language-javascript',
      'language-python',
      'language-go',
      'framework-vitest',
      'framework-jest',
      'framework-pytest',
      'context-tests-failing',
      'context-dirty-worktree',
    ]) {
      expect(ids).toContain(id);
    }
    expect(
      atoms
        .filter((atom) => atom.mandatory)
        .map((atom) => atom.category)
        .sort(),
    ).toEqual(['protocol', 'safety']);
    expect(atoms.some((atom) => atom.category === 'exemplar')).toBe(true);
    const counter = tokenCounter('o200k_base');
    for (const atom of atoms) {
      const full = counter.count(atom.content);
      expect(full, atom.id).toBeGreaterThanOrEqual(40);
      expect(full, atom.id).toBeLessThanOrEqual(200);
      // Long atoms can shrink under budget pressure.
      if (full > 80) expect(atom.content_concise ?? atom.content_min, atom.id).toBeDefined();
      for (const shorter of [atom.content_concise, atom.content_min]) {
        if (shorter !== undefined) expect(counter.count(shorter), atom.id).toBeLessThan(full);
      }
    }
  });
});

describe('loadAtoms: invalid atoms', () => {
  // Each case: the bad atom's YAML (second in a list after a valid one), the
  // field the error must name, the text its position must point at, and a
  // piece of the message.
  const cases: Array<{
    name: string;
    atom: string;
    id: string | null;
    field: string;
    at: string;
    message: RegExp;
  }> = [
    {
      name: 'a priority that is not a number',
      atom: '- id: bad\n  category: identity\n  priority: high\n  content: x\n',
      id: 'bad',
      field: 'priority',
      at: 'high',
      message: /number/,
    },
    {
      name: 'a fractional priority',
      atom: '- id: bad\n  category: identity\n  priority: 1.5\n  content: x\n',
      id: 'bad',
      field: 'priority',
      at: '1.5',
      message: /int/i,
    },
    {
      name: 'an unknown category',
      atom: '- id: bad\n  category: persona\n  priority: 1\n  content: x\n',
      id: 'bad',
      field: 'category',
      at: 'persona',
      message: /identity/,
    },
    {
      name: 'a missing content',
      atom: '- id: bad\n  category: identity\n  priority: 1\n',
      id: 'bad',
      field: 'content',
      at: 'id: bad',
      message: /missing required field "content"/,
    },
    {
      name: 'an unknown field (a typo)',
      atom: '- id: bad\n  category: identity\n  prioirty: 1\n  priority: 1\n  content: x\n',
      id: 'bad',
      field: 'prioirty',
      at: 'prioirty',
      message: /unknown field "prioirty"/,
    },
    {
      name: 'an unknown selector',
      atom: '- id: bad\n  category: identity\n  priority: 1\n  selectors:\n    colours: [red]\n  content: x\n',
      id: 'bad',
      field: 'selectors.colours',
      at: 'colours',
      message: /unknown field "colours"/,
    },
    {
      name: 'an empty selector list',
      atom: '- id: bad\n  category: identity\n  priority: 1\n  selectors:\n    personas: []\n  content: x\n',
      id: 'bad',
      field: 'selectors.personas',
      at: '[]',
      message: /at least one/,
    },
    {
      name: 'a selector value that is not a string',
      atom: '- id: bad\n  category: identity\n  priority: 1\n  selectors:\n    languages: [go, 42]\n  content: x\n',
      id: 'bad',
      field: 'selectors.languages[1]',
      at: '42',
      message: /string/,
    },
    {
      name: 'a selector value that is only a slash',
      atom: '- id: bad\n  category: identity\n  priority: 1\n  selectors:\n    personas: [coder, "/"]\n  content: x\n',
      id: 'bad',
      field: 'selectors.personas[1]',
      at: '"/"',
      message: /empty/,
    },
    {
      name: 'a mandatory flag that is not a boolean',
      atom: '- id: bad\n  category: identity\n  priority: 1\n  mandatory: sometimes\n  content: x\n',
      id: 'bad',
      field: 'mandatory',
      at: 'sometimes',
      message: /boolean/,
    },
    {
      name: 'an id with spaces',
      atom: '- id: bad id\n  category: identity\n  priority: 1\n  content: x\n',
      id: 'bad id',
      field: 'id',
      at: 'bad id',
      message: /letter or digit/,
    },
    {
      name: 'an atom depending on itself',
      atom: '- id: bad\n  category: identity\n  priority: 1\n  depends_on: [good, bad]\n  content: x\n',
      id: 'bad',
      field: 'depends_on[1]',
      at: 'bad]',
      message: /itself/,
    },
    {
      name: 'a conflict that is also a dependency',
      atom: '- id: bad\n  category: identity\n  priority: 1\n  depends_on: [good]\n  conflicts_with: [good]\n  content: x\n',
      id: 'bad',
      field: 'depends_on[0]',
      at: 'good]',
      message: /both a dependency and a conflict/,
    },
    {
      name: 'content with a brief line',
      atom: '- id: bad\n  category: identity\n  priority: 1\n  content: |\n    Hello.\n    Target: src/x.ts\n',
      id: 'bad',
      field: 'content',
      at: '|',
      message: /Target:/,
    },
    {
      name: 'an empty concise text',
      atom: '- id: bad\n  category: identity\n  priority: 1\n  content: x\n  content_concise: "  "\n',
      id: 'bad',
      field: 'content_concise',
      at: '"  "',
      message: /must not be empty/,
    },
    {
      name: 'an empty content value',
      atom: '- id: bad\n  category: identity\n  priority: 1\n  content:\n',
      id: 'bad',
      field: 'content',
      at: 'content:',
      message: /string/,
    },
    {
      name: 'an atom that is not a mapping',
      atom: '- just a string\n',
      id: null,
      field: '',
      at: 'just a string',
      message: /expected an atom \(a mapping\)/,
    },
  ];

  for (const testCase of cases) {
    it(`reports ${testCase.name} at file:line:column with the atom id and field, keeping the valid atom`, async () => {
      const text = `${VALID}${testCase.atom}`;
      const file = await put('atoms.yaml', text);
      const { atoms, errors } = await loadAtoms([dir]);
      expect(atoms.map((atom) => atom.id)).toEqual(['good']);
      expect(errors).toHaveLength(1);
      const [error] = errors as [AtomLoadError];
      // The position is searched for after the valid atom, in the bad one.
      const at = pos(text, testCase.at, text.slice(0, VALID.length).split(testCase.at).length);
      expect(error).toMatchObject({
        file,
        ...at,
        atomId: testCase.id,
        field: testCase.field === '' ? null : testCase.field,
      });
      expect(error.message).toMatch(testCase.message);
      expect(formatAtomLoadError(error)).toContain(`${file}:${at.line}:${at.column}:`);
    });
  }

  it('reports every problem of one atom separately', async () => {
    const text = 'id: bad\ncategory: nope\npriority: x\nextra: 1\n';
    const file = await put('bad.yaml', text);
    const { atoms, errors } = await loadAtoms([dir]);
    expect(atoms).toEqual([]);
    expect(errors.map((error) => [error.field, error.line, error.column])).toEqual(
      expect.arrayContaining([
        ['category', 2, 11],
        ['priority', 3, 11],
        ['extra', 4, 1],
        ['content', 1, 1],
      ]),
    );
    expect(errors.every((error) => error.file === file && error.atomId === 'bad')).toBe(true);
  });

  it('reports a root that is neither an atom nor a list', async () => {
    const file = await put('scalar.yaml', '# comment\n42\n');
    const { errors } = await loadAtoms([dir]);
    expect(errors).toEqual([
      {
        file,
        line: 2,
        column: 1,
        atomId: null,
        field: null,
        message: 'expected an atom (a mapping) or a list of atoms',
      },
    ]);
  });

  it('reports an unreadable directory without a position', async () => {
    const missing = join(dir, 'nope');
    const { atoms, errors } = await loadAtoms([missing]);
    expect(atoms).toEqual([]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ file: missing, line: 0, column: 0, atomId: null });
    expect(errors[0]?.message).toMatch(/cannot read atoms directory/);
  });
});

describe('loadAtoms: duplicate ids', () => {
  it('reports a duplicate in a later file, naming both files, and keeps the first', async () => {
    const first = await put(
      'a.yaml',
      'id: same\ncategory: identity\npriority: 1\ncontent: First.\n',
    );
    const secondText = `${VALID}- id: same\n  category: identity\n  priority: 2\n  content: Second.\n`;
    const second = await put('b.yaml', secondText);
    const { atoms, errors } = await loadAtoms([dir]);
    expect(atoms.map((atom) => [atom.id, atom.content])).toEqual([
      ['same', 'First.'],
      ['good', 'Fine.'],
    ]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      file: second,
      ...pos(secondText, 'id: same'),
      atomId: 'same',
      field: 'id',
    });
    expect(errors[0]?.message).toContain(`${first}:1:1`);
    expect(errors[0]?.message).toContain('duplicate atom id "same"');
  });

  it('reports a duplicate across directories and within one file', async () => {
    const other = await mkdtemp(join(tmpdir(), 'nerdloop-atoms-other-'));
    try {
      await put('x.yaml', `${VALID}${VALID}`);
      await writeFile(join(other, 'y.yaml'), VALID);
      const { atoms, errors } = await loadAtoms([dir, other]);
      expect(atoms.map((atom) => atom.id)).toEqual(['good']);
      expect(errors.map((error) => [error.file, error.line])).toEqual([
        [join(dir, 'x.yaml'), 5],
        [join(other, 'y.yaml'), 1],
      ]);
      expect(errors[1]?.message).toContain(`${join(dir, 'x.yaml')}:1:3`);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });
});

describe('loadAtoms: YAML syntax errors', () => {
  it('positions a syntax error inside one atom of a list and keeps the others', async () => {
    const text = `${VALID}- id: broken
  category: identity
  priority: 1: 2
  content: x
- id: after
  category: identity
  priority: 1
  content: After.
`;
    const file = await put('list.yaml', text);
    const { atoms, errors } = await loadAtoms([dir]);
    expect(atoms.map((atom) => atom.id)).toEqual(['good', 'after']);
    expect(errors).toEqual([
      {
        file,
        ...pos(text, '1: 2'),
        atomId: 'broken',
        field: null,
        message: expect.stringMatching(/^invalid YAML \(BLOCK_AS_IMPLICIT_KEY\): /),
      },
    ]);
  });

  it('positions a duplicate key and skips only that atom', async () => {
    const text = `${VALID}- id: twice
  category: identity
  priority: 1
  priority: 2
  content: x
`;
    const file = await put('dup.yaml', text);
    const { atoms, errors } = await loadAtoms([dir]);
    expect(atoms.map((atom) => atom.id)).toEqual(['good']);
    expect(errors).toEqual([
      expect.objectContaining({ file, ...pos(text, 'priority: 2'), atomId: 'twice', field: null }),
    ]);
    expect(errors[0]?.message).toMatch(/DUPLICATE_KEY/);
  });

  it('skips a whole document broken outside any atom, and keeps other files', async () => {
    // The unclosed quote swallows the rest of the file: no atom after it can be trusted.
    const text = `${VALID}- id: broken
  category: identity
  priority: 1
  content: "never closed
- id: after
  category: identity
  priority: 1
  content: After.
`;
    const file = await put('a.yaml', text);
    await put('b.yaml', VALID.replace('good', 'other'));
    const { atoms, errors } = await loadAtoms([dir]);
    expect(atoms.map((atom) => atom.id)).toEqual(['other']);
    expect(errors).toEqual([
      {
        file,
        line: text.split('\n').length,
        column: 1,
        atomId: null,
        field: null,
        message: 'invalid YAML (MISSING_CHAR): Missing closing "quote',
      },
    ]);
  });

  it('reports an undefined alias at the atom', async () => {
    const text = `${VALID}- id: aliased\n  category: identity\n  priority: 1\n  content: *nowhere\n`;
    const file = await put('alias.yaml', text);
    const { atoms, errors } = await loadAtoms([dir]);
    expect(atoms.map((atom) => atom.id)).toEqual(['good']);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ file, atomId: 'aliased' });
    expect(errors[0]?.line).toBeGreaterThanOrEqual(pos(text, 'id: aliased').line);
  });

  it('parses text without touching the disk', () => {
    const parsed = parseAtomFile('inline.yaml', 'id: [unclosed\n');
    expect(parsed.atoms).toEqual([]);
    expect(parsed.errors[0]).toMatchObject({ file: 'inline.yaml', line: expect.any(Number) });
  });
});
