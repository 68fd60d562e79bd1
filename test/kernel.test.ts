/**
 * The kernel's evaluation: classic programs with exact answers, negation and
 * aggregation, incremental assert/retract against a fresh evaluation, explain,
 * queries, and every analysis error with its position.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NerdloopError } from '../src/core/errors.js';
import { intValue, nameValue, type Position, stringValue, type Value } from '../src/kernel/ast.js';
import {
  type BuiltinDoc,
  builtinTables,
  FUNCTION_DOCS,
  PREDICATE_DOCS,
  REDUCER_DOCS,
  signatureName,
} from '../src/kernel/builtin-docs.js';
import {
  builtinFunctions,
  builtinPredicates,
  builtinReducers,
  describeArity,
  show,
} from '../src/kernel/builtins.js';
import * as kernelModule from '../src/kernel/index.js';
import { createKernel, type Kernel } from '../src/kernel/kernel.js';

const rows = (kernel: Kernel, predicate: string): string[] =>
  kernel
    .facts(predicate)
    .map((values) => values.map(show).join(' '))
    .sort();

describe('classic programs', () => {
  it('transitive closure', () => {
    const kernel = createKernel(`
      edge(/a, /b). edge(/b, /c). edge(/c, /d). edge(/d, /b).
      path(X, Y) :- edge(X, Y).
      path(X, Z) :- path(X, Y), edge(Y, Z).
    `);
    expect(rows(kernel, 'path')).toEqual(
      [
        '/a /b',
        '/a /c',
        '/a /d',
        '/b /b',
        '/b /c',
        '/b /d',
        '/c /b',
        '/c /c',
        '/c /d',
        '/d /b',
        '/d /c',
        '/d /d',
      ].sort(),
    );
  });

  it('same generation', () => {
    const kernel = createKernel(`
      parent(/ann, /bob). parent(/ann, /cat). parent(/bob, /dan). parent(/cat, /eve).
      parent(/dan, /fay).
      person(X) :- parent(X, _).
      person(X) :- parent(_, X).
      sg(X, X) :- person(X).
      sg(X, Y) :- parent(P, X), sg(P, Q), parent(Q, Y).
    `);
    const pairs = rows(kernel, 'sg').filter((row) => {
      const [a, b] = row.split(' ');
      return a !== b;
    });
    expect(pairs).toEqual(['/bob /cat', '/cat /bob', '/dan /eve', '/eve /dan'].sort());
  });

  it('negation: unreachable nodes', () => {
    const kernel = createKernel(`
      node(/a). node(/b). node(/c). node(/d).
      edge(/a, /b). edge(/b, /c).
      start(/a).
      reach(X) :- start(X).
      reach(Y) :- reach(X), edge(X, Y).
      unreachable(X) :- node(X), !reach(X).
    `);
    expect(rows(kernel, 'unreachable')).toEqual(['/d']);
  });

  it('negation may come before the premises that bind it, and _ in it means "no tuple"', () => {
    const kernel = createKernel(`
      person(/a). person(/b). person(/c).
      owns(/a, /car). owns(/c, /bike).
      walker(X) :- !owns(X, _), person(X).
    `);
    expect(rows(kernel, 'walker')).toEqual(['/b']);
  });

  it('aggregation: count, sum, max, min per group, and no fact for an empty group', () => {
    const kernel = createKernel(`
      sale(/north, 10). sale(/north, 5). sale(/south, 7). sale(/north, 5).
      region_stats(R, N, S, Hi, Lo) :- sale(R, A)
        |> do fn:group_by(R), let N = fn:count(), let S = fn:sum(A), let Hi = fn:max(A), let Lo = fn:min(A).
      total(N) :- sale(_, A) |> do fn:group_by(), let N = fn:sum(A).
      none(N) :- sale(/west, A) |> do fn:group_by(), let N = fn:count().
    `);
    // One positive premise: every matching fact is a row, and the duplicates
    // sale(/north, 5) are one fact.
    expect(rows(kernel, 'region_stats')).toEqual(['/north 2 15 10 5', '/south 1 7 7 7']);
    expect(rows(kernel, 'total')).toEqual(['22']);
    expect(rows(kernel, 'none')).toEqual([]);
  });

  it('aggregation over a join counts distinct bindings of the named variables', () => {
    const kernel = createKernel(`
      member(/t1, /ann). member(/t1, /bob). member(/t2, /ann).
      skill(/ann, /go). skill(/ann, /ts). skill(/bob, /ts).
      team_people_with_skills(T, N) :- member(T, P), skill(P, _)
        |> do fn:group_by(T), let N = fn:count().
    `);
    // /ann has two skills but is one binding of (T, P): counted once per team.
    expect(rows(kernel, 'team_people_with_skills')).toEqual(['/t1 2', '/t2 1']);
  });

  it('builtins, comparisons and let-only transforms', () => {
    const kernel = createKernel(`
      n(1). n(2). n(3).
      double(X, Y) :- n(X), Y = fn:mult(X, 2).
      big(X) :- n(X), X >= 2.
      label(X, L) :- n(X) |> let L = fn:string:concat("n", X).
      tagged(L) :- n(X), L = fn:list(X, /tag), fn:list:len(L) = 2.
      recent(X) :- n(X), fn:minus(10, X) < 9.
    `);
    expect(rows(kernel, 'double')).toEqual(['1 2', '2 4', '3 6']);
    expect(rows(kernel, 'big')).toEqual(['2', '3']);
    expect(rows(kernel, 'label')).toEqual(['1 "n1"', '2 "n2"', '3 "n3"']);
    expect(rows(kernel, 'tagged')).toHaveLength(3);
    expect(rows(kernel, 'recent')).toEqual(['2', '3']);
  });

  it('string predicates are false, not errors, on non-strings', () => {
    const kernel = createKernel(`
      v("hello world"). v(/name). v(3).
      hit(X) :- v(X), :string:contains(X, "world").
    `);
    expect(rows(kernel, 'hit')).toEqual(['"hello world"']);
  });
});

describe('assert and retract', () => {
  const program = `
    Decl edge(X, Y).
    Decl blocked(X).
    start(/a).
    reach(X) :- start(X).
    reach(Y) :- reach(X), edge(X, Y), !blocked(Y).
    unreached(X) :- edge(_, X), !reach(X).
    fanout(X, N) :- edge(X, _) |> do fn:group_by(X), let N = fn:count().
  `;
  const edges = (kernel: Kernel, list: Array<[string, string]>) => {
    for (const [a, b] of list)
      kernel.assert({ predicate: 'edge', args: [nameValue(a), nameValue(b)] });
  };

  it('maintains the same model as evaluating from scratch', () => {
    const kernel = createKernel(program);
    edges(kernel, [
      ['/a', '/b'],
      ['/b', '/c'],
      ['/c', '/d'],
      ['/x', '/y'],
    ]);
    expect(rows(kernel, 'reach')).toEqual(['/a', '/b', '/c', '/d']);
    kernel.assert('blocked(/c).');
    expect(rows(kernel, 'reach')).toEqual(['/a', '/b']);
    expect(rows(kernel, 'unreached')).toEqual(['/c', '/d', '/y']);
    kernel.retract('blocked(/c)');
    kernel.retract({ predicate: 'edge', args: [nameValue('/a'), nameValue('/b')] });
    expect(rows(kernel, 'reach')).toEqual(['/a']);
    const fresh = createKernel(`${program}\n edge(/b, /c). edge(/c, /d). edge(/x, /y).`);
    for (const predicate of ['reach', 'unreached', 'fanout']) {
      expect(rows(kernel, predicate)).toEqual(rows(fresh, predicate));
    }
  });

  it('assert of an existing base fact and retract of a missing one report false', () => {
    const kernel = createKernel(program);
    expect(kernel.assert('edge(/a, /b)')).toBe(true);
    expect(kernel.assert('edge(/a, /b)')).toBe(false);
    expect(kernel.retract('edge(/q, /r)')).toBe(false);
  });

  it('an assert or retract that fails while maintaining the model leaves it as it was', () => {
    const kernel = createKernel(`
      Decl p(X).
      p(1).
      q(Y) :- p(X), Y = fn:plus(X, 1).
    `);
    expect(() => kernel.assert('p("a").')).toThrow(/fn:plus expects integers/);
    expect(rows(kernel, 'p')).toEqual(['1']);
    expect(rows(kernel, 'q')).toEqual(['2']);
    expect(kernel.assert('p(2).')).toBe(true);
    expect(rows(kernel, 'q')).toEqual(['2', '3']);
  });

  it('a retracted base fact that a rule still derives stays', () => {
    const kernel = createKernel(`
      base(/a).
      derived(X) :- base(X).
      derived(/a).
    `);
    kernel.retract('derived(/a)');
    expect(rows(kernel, 'derived')).toEqual(['/a']);
    kernel.retract('base(/a)');
    expect(rows(kernel, 'derived')).toEqual([]);
  });

  it('a premise with a function of variables bound elsewhere still sees its new facts', () => {
    // The delta plan cannot look up r(fn:plus(X, 1)) first: X is not bound yet.
    const kernel = createKernel('q(1). q(4). r(9).\np(X) :- q(X), r(fn:plus(X, 1)).');
    kernel.assert('r(2).');
    expect(rows(kernel, 'p')).toEqual(['1']);
    kernel.assertAll(['r(5).', 'q(8).']);
    expect(rows(kernel, 'p')).toEqual(['1', '4', '8']);
    kernel.retract('r(2).');
    expect(rows(kernel, 'p')).toEqual(['4', '8']);
  });

  it('assertAll and retractAll bring the model up to date once, and say which facts were new', () => {
    const kernel = createKernel(program);
    expect(kernel.assertAll(['edge(/a, /b)', 'edge(/b, /c)', 'edge(/a, /b)', 'start(/a)'])).toEqual(
      [true, true, false, false],
    );
    expect(rows(kernel, 'reach')).toEqual(['/a', '/b', '/c']);
    expect(kernel.retractAll(['edge(/b, /c)', 'edge(/q, /r)', 'edge(/b, /c)'])).toEqual([
      true,
      false,
      false,
    ]);
    expect(rows(kernel, 'reach')).toEqual(['/a', '/b']);
    expect(rows(kernel, 'unreached')).toEqual([]);
  });

  it('assertAll is all or nothing', () => {
    const kernel = createKernel('Decl p(X) bound [/number].\nq(Y) :- p(X), Y = fn:plus(X, 1).');
    expect(() => kernel.assertAll(['p(1).', 'p("a").'])).toThrow(/outside its declared bound/);
    expect(rows(kernel, 'p')).toEqual([]);
    const unbound = createKernel('p(0).\nq(Y) :- p(X), Y = fn:plus(X, 1).');
    expect(() => unbound.assertAll(['p(1).', 'p("a").'])).toThrow(/fn:plus expects integers/);
    expect(rows(unbound, 'p')).toEqual(['0']);
    expect(rows(unbound, 'q')).toEqual(['1']);
    expect(() => unbound.assertAll(['p(2).', 'nope(1).'])).toThrow(/unknown predicate nope/);
    expect(rows(unbound, 'p')).toEqual(['0']);
  });

  it('withFacts retracts exactly what it added, also when the inspection throws', () => {
    const kernel = createKernel(program);
    kernel.assert('edge(/a, /b)');
    const seen = kernel.withFacts(['edge(/a, /b)', 'edge(/b, /c)'], (k) => rows(k, 'reach'));
    expect(seen).toEqual(['/a', '/b', '/c']);
    expect(rows(kernel, 'edge')).toEqual(['/a /b']);
    expect(() =>
      kernel.withFacts(['edge(/b, /d)'], () => {
        throw new Error('inspection failed');
      }),
    ).toThrow('inspection failed');
    expect(rows(kernel, 'reach')).toEqual(['/a', '/b']);
  });
});

describe('query', () => {
  const kernel = createKernel(`
    permitted(/write_file, "a.ts", "x"). permitted(/read_file, "b.ts", "").
    permitted(/write_file, "c.ts", "y").
  `);

  it('matches a pattern and binds its variables', () => {
    const answers = kernel.query('permitted(/write_file, T, _)');
    expect(answers.map((answer) => show(answer.bindings.T as Value)).sort()).toEqual([
      '"a.ts"',
      '"c.ts"',
    ]);
    expect(answers[0]?.values).toHaveLength(3);
  });

  it('answers Atom patterns, whose plans are cached by shape, with their own constants', () => {
    const at = { file: '<test>', line: 1, column: 1 };
    const atom = (action: string, target: Value | null) => ({
      predicate: 'permitted',
      args: [
        { kind: 'const' as const, value: nameValue(action), at },
        target === null
          ? { kind: 'var' as const, name: 'T', at }
          : { kind: 'const' as const, value: target, at },
        { kind: 'wildcard' as const, at },
      ],
      at,
    });
    const targets = (action: string) =>
      kernel.query(atom(action, null)).map((answer) => show(answer.bindings.T as Value));
    expect(targets('/write_file').sort()).toEqual(['"a.ts"', '"c.ts"']);
    expect(targets('/read_file')).toEqual(['"b.ts"']);
    expect(kernel.holds(atom('/read_file', stringValue('b.ts')))).toBe(true);
    expect(kernel.holds(atom('/read_file', stringValue('a.ts')))).toBe(false);
    expect(kernel.query(atom('/write_file', stringValue('c.ts')))[0]?.bindings).toEqual({});
    expect(() => kernel.query({ ...atom('/x', null), predicate: 'nope' })).toThrow(
      /unknown predicate nope/,
    );
  });

  it('answers holds() and rejects unknown predicates and wrong arities', () => {
    expect(kernel.holds('permitted(/read_file, "b.ts", _)')).toBe(true);
    expect(kernel.holds('permitted(/read_file, "zzz", _)')).toBe(false);
    expect(() => kernel.query('nope(X)')).toThrow(/unknown predicate nope/);
    expect(() => kernel.query('permitted(X)')).toThrow(/3 argument/);
  });
});

describe('explain', () => {
  it('gives the proof tree of a derived fact down to base facts', () => {
    const kernel = createKernel(`
      edge(/a, /b). edge(/b, /c).
      path(X, Y) :- edge(X, Y).
      path(X, Z) :- path(X, Y), edge(Y, Z).
    `);
    const proof = kernel.explain('path(/a, /c)');
    expect(proof?.via).toBe('rule');
    expect(proof?.rule?.text).toContain('path(X, Z) :- path(X, Y), edge(Y, Z)');
    expect(proof?.premises.map((p) => p.text)).toEqual(['path(/a, /b)', 'edge(/b, /c)']);
    expect(proof?.premises[0]?.premises.map((p) => [p.text, p.via])).toEqual([
      ['edge(/a, /b)', 'base'],
    ]);
    expect(kernel.explain('path(/c, /a)')).toBeNull();
  });

  it('names negations and comparisons that held, and aggregation sizes', () => {
    const kernel = createKernel(`
      verb(/dance). specialist(/fix).
      route(V, /coder) :- verb(V), !specialist(V).
      score(3). ok(X) :- score(X), X > 2.
      n(/a, 1). n(/a, 2). total(K, S) :- n(K, V) |> do fn:group_by(K), let S = fn:sum(V).
    `);
    expect(kernel.explain('route(/dance, /coder)')?.conditions).toEqual(['!specialist(/dance)']);
    expect(kernel.explain('ok(3)')?.conditions).toEqual(['3 > 2']);
    const device = createKernel(
      'p("/dev/sda"). q(X) :- p(X), :string:starts_with(X, "/dev/"), X != "/dev/null".',
    );
    expect(device.explain('q("/dev/sda")')?.conditions).toEqual([
      ':string:starts_with("/dev/sda", "/dev/")',
      '"/dev/sda" != "/dev/null"',
    ]);
    const total = kernel.explain('total(/a, 3)');
    expect(total?.aggregate).toEqual({ rows: 2 });
    expect(total?.premises).toHaveLength(2);
  });
});

describe('errors name the file, line and column', () => {
  const fails = (text: string, pattern: RegExp, code: string) => {
    let error: unknown;
    try {
      createKernel({ file: 'rules.mg', text });
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ code });
    expect(String((error as Error).message)).toMatch(pattern);
  };

  it('arity mismatch', () => {
    fails(
      'p(/a).\nq(X) :- p(X, Y).',
      /^rules\.mg:2:9: p has 2 argument\(s\) here but was first used with 1 at rules\.mg:1:1/,
      'mangle_arity',
    );
  });

  it('arity against a declaration', () => {
    fails(
      'Decl p(A).\np(/a, /b).',
      /^rules\.mg:2:1: p has 2 .* is declared with 1/,
      'mangle_arity',
    );
  });

  it('unsafe head variable', () => {
    fails(
      'p(/a).\nq(X, Y) :- p(X).',
      /^rules\.mg:2:1: variable Y in the head of q is not bound/,
      'mangle_unsafe_variable',
    );
  });

  it('a variable only in a negation', () => {
    fails(
      'p(/a). r(/b).\nq(X) :- p(X), !r(Y).',
      /^rules\.mg:2:15: variable Y is not bound/,
      'mangle_unsafe_variable',
    );
  });

  it('a comparison no premise can bind', () => {
    fails(
      'p(/a).\nq(X) :- p(X), Y > 3.',
      /^rules\.mg:2:15: variable Y is not bound/,
      'mangle_unsafe_variable',
    );
  });

  it('recursion through negation, naming the cycle', () => {
    fails(
      'node(/a).\np(X) :- node(X), !q(X).\nq(X) :- node(X), p(X).',
      /^rules\.mg:2:18: recursion through negation cannot be stratified: p → !q → p/,
      'mangle_unstratifiable',
    );
  });

  it('recursion through aggregation', () => {
    fails(
      'n(/a, 1).\nc(K, N) :- c(K, _) |> do fn:group_by(K), let N = fn:count().\nc(K, V) :- n(K, V).',
      /recursion through aggregation cannot be stratified: c → !c/,
      'mangle_unstratifiable',
    );
  });

  it('unknown builtin function and predicate, and a reducer outside a transform', () => {
    fails(
      'p(1).\nq(Y) :- p(X), Y = fn:nope(X).',
      /^rules\.mg:2:19: unknown function fn:nope/,
      'mangle_unknown_builtin',
    );
    fails(
      'p("a").\nq(X) :- p(X), :string:nope(X, "a").',
      /unknown builtin predicate :string:nope/,
      'mangle_unknown_builtin',
    );
    fails(
      'p(1).\nq(Y) :- p(X), Y = fn:count(X).',
      /fn:count is a reducer/,
      'mangle_unknown_builtin',
    );
  });

  it('unknown predicate in a body', () => {
    fails(
      'q(X) :- missing(X).',
      /^rules\.mg:1:9: unknown predicate missing\/1/,
      'mangle_unknown_predicate',
    );
  });

  it('a predicate declared twice names both places', () => {
    fails(
      'Decl p(A).\nDecl p(B).',
      /^rules\.mg:2:1: p is declared twice: here and at rules\.mg:1:1/,
      'mangle_duplicate_declaration',
    );
  });

  it('a fact outside its declared bound', () => {
    fails(
      'Decl p(A) bound [/string].\np(3).',
      /p\(3\) is outside its declared bound \[\/string\]/,
      'mangle_bound_violation',
    );
  });

  it('a type error while evaluating is positioned at the function', () => {
    fails(
      'p("a").\nq(Y) :- p(X), Y = fn:plus(X, 1).',
      /^rules\.mg:2:19: fn:plus expects integers, got "a"/,
      'mangle_evaluation',
    );
  });
});

describe('bounds modes', () => {
  it('warn reports and keeps the fact; ignore keeps it silently', () => {
    const warned = createKernel('Decl p(A) bound [/string].\np(3).', { bounds: 'warn' });
    expect(warned.warnings.map((w) => w.code)).toEqual(['bound_violation']);
    expect(warned.facts('p')).toEqual([[intValue(3)]]);
    const ignored = createKernel('Decl p(A) bound [/string].\np(3).', { bounds: 'ignore' });
    expect(ignored.warnings).toEqual([]);
  });

  it('a derived tuple outside its bound is reported at the rule that made it', () => {
    let error: unknown;
    try {
      createKernel({ file: 'b.mg', text: 'Decl r(A) bound [/string].\np(3).\nr(X) :- p(X).' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ code: 'mangle_bound_violation', file: 'b.mg', line: 3 });
    const warned = createKernel(
      { file: 'b.mg', text: 'Decl r(A) bound [/string].\np(3).\nr(X) :- p(X).' },
      { bounds: 'warn' },
    );
    expect(warned.warnings).toMatchObject([
      { predicate: 'r', values: [intValue(3)], at: { file: 'b.mg', line: 3, column: 1 } },
    ]);
  });

  it('accepts values that fit', () => {
    const kernel = createKernel('Decl p(A, B, C) bound [/string, /name, /number].\np("x", /y, 3).');
    expect(kernel.facts('p')).toEqual([[stringValue('x'), nameValue('/y'), intValue(3)]]);
  });
});

describe('docs/kernel.md cannot drift from the code', () => {
  const docs = readFileSync(new URL('../docs/kernel.md', import.meta.url), 'utf8');

  /** `fn:x(A, B[, C])` → "2 to 3"; `…` means "at least". */
  const signatureArity = (signature: string): string => {
    const inner = signature.slice(signature.indexOf('(') + 1, signature.lastIndexOf(')'));
    const optional = (inner.match(/\[/g) ?? []).length;
    const parts = inner
      .replace(/\[[^\]]*\]/g, '')
      .split(',')
      .map((part) => part.trim())
      .filter((part) => part !== '');
    const min = parts.filter((part) => part !== '…').length;
    return describeArity({ min, max: parts.includes('…') ? null : min + optional });
  };

  const families: Array<
    [
      string,
      readonly BuiltinDoc[],
      ReadonlyMap<string, { arity: { min: number; max: number | null } }>,
    ]
  > = [
    ['functions', FUNCTION_DOCS, builtinFunctions],
    ['reducers', REDUCER_DOCS, builtinReducers],
    ['builtin predicates', PREDICATE_DOCS, builtinPredicates],
  ];

  it.each(families)(
    'the reference names exactly the %s of builtins.ts, with their arities',
    (_, docsList, code) => {
      expect(docsList.map((doc) => signatureName(doc.signature)).sort()).toEqual(
        [...code.keys()].sort(),
      );
      for (const doc of docsList) {
        const builtin = code.get(signatureName(doc.signature));
        expect([doc.signature, signatureArity(doc.signature)]).toEqual([
          doc.signature,
          builtin ? describeArity(builtin.arity) : 'missing',
        ]);
      }
    },
  );

  it('embeds the current builtin tables, which mention every builtin by name', () => {
    expect(docs).toContain(builtinTables());
    const section = docs.slice(
      docs.indexOf('<!-- builtins:begin'),
      docs.indexOf('<!-- builtins:end'),
    );
    for (const name of [
      ...builtinFunctions.keys(),
      ...builtinReducers.keys(),
      ...builtinPredicates.keys(),
    ]) {
      expect(section).toContain(`\`${name}(`);
    }
  });

  it('lists every error code of the kernel', () => {
    const at: Position = { file: 'f', line: 1, column: 1 };
    const codes = Object.values(kernelModule).flatMap((value) => {
      if (typeof value !== 'function' || !(value.prototype instanceof NerdloopError)) return [];
      // Positioned errors take (at, message); the others read the first argument as their message.
      const ErrorClass = value as new (at: Position, message: string) => NerdloopError;
      return [new ErrorClass(at, 'm').code];
    });
    expect(codes.length).toBeGreaterThan(10);
    const table = docs.slice(docs.indexOf('## Errors'), docs.indexOf('## Adding your own rules'));
    for (const code of codes) expect(table).toContain(`| \`${code}\``);
  });

  it('documents every option, every KernelWarning field and every Proof via', () => {
    for (const option of ['bounds', 'onWarning', 'externals', 'strategy'])
      expect(docs).toContain(`| \`${option}\``);
    for (const word of ['warnings$', 'refreshExternal', "'external'", 'declaredAt'])
      expect(docs).toContain(word);
  });
});
