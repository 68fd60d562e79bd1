/** The Mangle parser and printer: every construct, every error path, and print∘parse round trips. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NerdloopError } from '../src/core/errors.js';
import type { Clause, Literal, Term, Value } from '../src/kernel/ast.js';
import {
  formatFloat,
  MangleSyntaxError,
  parseAtom,
  parseClause,
  parseProgram,
  parseTerm,
  printAtom,
  printClause,
  printProgram,
  printTerm,
  printValue,
  quoteString,
} from '../src/kernel/parse/index.js';
import {
  atomArb,
  clauseArb,
  constantValueArb,
  sourceUnitArb,
  stripPositions,
  termArb,
} from './support/mangle-arbitraries.js';

// ------------------------------------------------------------------- helpers

function syntaxErrorOf(parse: () => unknown): MangleSyntaxError {
  try {
    parse();
  } catch (error) {
    if (error instanceof MangleSyntaxError) return error;
    throw error;
  }
  throw new Error('expected a MangleSyntaxError');
}

const programError = (text: string) => syntaxErrorOf(() => parseProgram(text, 'rules.mg'));

const constOf = (text: string): Value => {
  const term = parseTerm(text);
  if (term.kind !== 'const') throw new Error(`${text} is not a constant`);
  return term.value;
};

const onlyClause = (text: string): Clause => {
  const unit = parseProgram(text);
  expect(unit.clauses).toHaveLength(1);
  const [clause] = unit.clauses;
  if (clause === undefined) throw new Error('no clause');
  return clause;
};

const bodyOf = (text: string): readonly Literal[] => onlyClause(text).body;

const roundTrips = (text: string) => {
  const unit = parseProgram(text, 'fixture.mg');
  const again = parseProgram(printProgram(unit), 'fixture.mg');
  expect(stripPositions(again)).toEqual(stripPositions(unit));
  return unit;
};

const stripped = (term: Term) => stripPositions(term);

// ------------------------------------------------------------------ fixtures

/** In the style of codeNERD's rule files: what the kernel must load. */
const RULE_FILE = `# Intent routing schema. codeNERD keeps rules in its "schema" files too.
# =====================================================================

Decl user_intent(ID, Category, Verb, Target, Constraint)
    descr [doc("Parsed user intent from NL input")]
    bound [/name, /name, /name, /string, /string].

Decl current_time(Now) descr [mode("-"), external()].
Decl session_active().
Decl persona_label(P, Label)
    bound [/name, /string]
    bound [/name, /name].

# Facts, with escaped quotes, negative and float constants.
intent_verb(/fix, "Fix the \\"broken\\" build", 0.9).
intent_verb(/explain, 'Don\\'t touch anything', -1).
threshold(-7, -0.25, 1.5e3).
session_active().
route_note(/coder, \`Routes code edits
to the coder persona.\`).

needs_coder(ID) :-
    user_intent(ID, /mutation, Verb, Target, _),   # a mutation...
    :string:contains(Target, ".go"),                 # ...of Go code
    !read_only_mode(),
    Verb != /explain .

label(P, Label) :-
    persona(P),
    persona_name(P, Name),
    Label = fn:string:concat("persona: ", Name).

persona_pair(fn:pair(P, A)) :- persona(P), agent(A).

stale(T) :- last_seen(T, At), current_time(Now), fn:minus(Now, At) < 2592000.

score(T, S) :- raw_score(T, R) |> let S = fn:float:mult(R, 0.5).

intent_count(Verb, N) :-
    user_intent(_, _, Verb, _, _)
    |> do fn:group_by(Verb), let N = fn:count().

safe_mode() ⟸ session_active(), !dangerous().

tagged(X) :- item(X), X = /tag/v1.2 .
`;

const AGGREGATION_FILE = `
# Several transform stages, let-only stages, reducers with arguments.
totals(K, S, M) :- sale(K, X) |> do fn:group_by(K), let S = fn:sum(X), let M = fn:max(X).
everything(N) :- sale(_, _) |> do fn:group_by(), let N = fn:count().
scaled(K, Y) :- totals(K, S, _) |> let Z = fn:mult(S, 2) |> let Y = fn:plus(Z, 1).
listed(L) :- item(_) |> do fn:group_by(), let L = fn:collect().
lengths(N) :- lists(L), N = fn:list:len(L), N >= 0, N <= 10, N > -1, N != 3.
members(X) :- lists(L), :list:member(X, L), L = [1, 2, 3], [ -1, X] = Pair.
`;

// ---------------------------------------------------------------- lexical

describe('lexical syntax', () => {
  it('reads variables, the wildcard and names, keeping the leading slash', () => {
    const [atom] = bodyOf('p() :- q(X, Persona2, _, /coder, /a/b.c-d_e~f%g).');
    expect(atom?.kind === 'atom' && atom.atom.args.map(stripped)).toEqual([
      { kind: 'var', name: 'X' },
      { kind: 'var', name: 'Persona2' },
      { kind: 'wildcard' },
      { kind: 'const', value: { type: 'name', value: '/coder' } },
      { kind: 'const', value: { type: 'name', value: '/a/b.c-d_e~f%g' } },
    ]);
  });

  it('lets a name swallow a directly following period, as Mangle does', () => {
    expect(constOf('/a.')).toEqual({ type: 'name', value: '/a.' });
    const [, comparison] = bodyOf('p(X) :- q(X), X = /a .');
    expect(comparison?.kind === 'comparison' && comparison.right).toMatchObject({
      value: { type: 'name', value: '/a' },
    });
    expect(onlyClause('p(/a.).').head.args[0]).toMatchObject({ value: { value: '/a.' } });
  });

  it('reads strings in double, single and back quotes, with every Mangle escape', () => {
    expect(constOf('"say \\"hi\\""')).toEqual({ type: 'string', value: 'say "hi"' });
    expect(constOf("'it\\'s'")).toEqual({ type: 'string', value: "it's" });
    expect(constOf(`'he said "no"'`)).toEqual({ type: 'string', value: 'he said "no"' });
    expect(constOf('"a\\\\b\\nc\\td"')).toEqual({ type: 'string', value: 'a\\b\nc\td' });
    expect(constOf('"\\x68\\u{0065}ll\\u{01f624}"')).toEqual({ type: 'string', value: 'hell😤' });
    expect(constOf('"line\\\nnext"')).toEqual({ type: 'string', value: 'line\nnext' });
    expect(constOf('"# not a comment"')).toEqual({ type: 'string', value: '# not a comment' });
    expect(constOf('`two\nlines with "quotes" and \'ticks\'`')).toEqual({
      type: 'string',
      value: 'two\nlines with "quotes" and \'ticks\'',
    });
  });

  it('reads 64-bit integers, negative numbers as one token, and floats', () => {
    expect(constOf('42')).toEqual({ type: 'int', value: 42n });
    expect(constOf('-7')).toEqual({ type: 'int', value: -7n });
    expect(constOf('9223372036854775807')).toEqual({ type: 'int', value: 2n ** 63n - 1n });
    expect(constOf('-9223372036854775808')).toEqual({ type: 'int', value: -(2n ** 63n) });
    expect(constOf('3.25')).toEqual({ type: 'float', value: 3.25 });
    expect(constOf('-0.5')).toEqual({ type: 'float', value: -0.5 });
    expect(constOf('.5')).toEqual({ type: 'float', value: 0.5 });
    expect(constOf('-.5')).toEqual({ type: 'float', value: -0.5 });
    expect(constOf('1.5e3')).toEqual({ type: 'float', value: 1500 });
    expect(constOf('2.0E-3')).toEqual({ type: 'float', value: 0.002 });
    expect(constOf('1.0e+21')).toEqual({ type: 'float', value: 1e21 });
    expect(Object.is((constOf('-0.0') as { value: number }).value, -0)).toBe(true);
    // An integer directly followed by the clause period stays an integer.
    expect(onlyClause('p(X) :- q(X), X = 3.').body[1]).toMatchObject({
      right: { value: { type: 'int', value: 3n } },
    });
  });

  it('skips # comments anywhere, including inside a multi-line rule', () => {
    const clause = onlyClause(`# leading
p(X) :- # after the arrow
  q(X), # after a premise
  # a whole line
  r(X). # after the period`);
    expect(clause.body).toHaveLength(2);
  });

  it('records file, line and column (1-based) on every node', () => {
    const unit = parseProgram('p(X) :-\n  q(X, /a),\n  !r(X),\n  X != 3.', 'pos.mg');
    const [clause] = unit.clauses;
    expect(clause?.at).toEqual({ file: 'pos.mg', line: 1, column: 1 });
    const [q, r, cmp] = clause?.body ?? [];
    expect(q?.kind === 'atom' && q.atom.at).toEqual({ file: 'pos.mg', line: 2, column: 3 });
    expect(q?.kind === 'atom' && q.atom.args[1]?.at).toMatchObject({ line: 2, column: 8 });
    expect(r?.kind === 'negation' && r.at).toMatchObject({ line: 3, column: 3 });
    expect(r?.kind === 'negation' && r.atom.at).toMatchObject({ line: 3, column: 4 });
    expect(cmp?.kind === 'comparison' && cmp.at).toMatchObject({ line: 4, column: 3 });
  });

  it('reads CRLF line endings and ignores a byte-order mark', () => {
    const unit = parseProgram('\ufeffp(/a).\r\nq(X) :-\r\n  p(X).\r\n');
    expect(unit.clauses[1]?.body[0]).toMatchObject({ atom: { at: { line: 3, column: 3 } } });
    expect(unit.clauses[0]?.at).toMatchObject({ line: 1, column: 1 });
  });

  it('counts lines inside multi-line strings', () => {
    const unit = parseProgram('note(`a\nb\nc`).\nnext(/x).');
    expect(unit.clauses[1]?.at).toMatchObject({ line: 4, column: 1 });
  });
});

// ---------------------------------------------------------------- clauses

describe('clauses', () => {
  it('reads facts, rules with ":-" and with "⟸", remembering the arrow', () => {
    const unit = parseProgram('f(/a). r(X) :- f(X). s(X) ⟸ f(X).');
    expect(unit.clauses.map((clause) => clause.arrow)).toEqual([null, ':-', '⟸']);
    expect(unit.clauses[0]?.body).toEqual([]);
  });

  it('reads zero-arity predicates in heads, bodies and negations', () => {
    const clause = onlyClause('safe() :- checks_passed(), !has_block().');
    expect(clause.head).toMatchObject({ predicate: 'safe', args: [] });
    expect(clause.body.map((literal) => literal.kind)).toEqual(['atom', 'negation']);
  });

  it('reads builtin predicates and namespaced names', () => {
    const [contains, member, dotted] = bodyOf(
      'p(S) :- :string:contains(S, "x"), :list:member(S, L), pkg.rel(L).',
    );
    expect(contains?.kind === 'atom' && contains.atom.predicate).toBe(':string:contains');
    expect(member?.kind === 'atom' && member.atom.predicate).toBe(':list:member');
    expect(dotted?.kind === 'atom' && dotted.atom.predicate).toBe('pkg.rel');
  });

  it('reads all six comparisons, with any term on either side', () => {
    const body = bodyOf(
      'p() :- a(X, Y), X = Y, X != 1, fn:minus(Now, X) < 2592000, 3 <= X, [X] > Y, X >= fn:plus(Y, -1).',
    );
    expect(body.slice(1).map((literal) => literal.kind === 'comparison' && literal.op)).toEqual([
      '=',
      '!=',
      '<',
      '<=',
      '>',
      '>=',
    ]);
    expect(body[3]?.kind === 'comparison' && stripPositions(body[3].left)).toEqual({
      kind: 'apply',
      fn: 'fn:minus',
      args: [
        { kind: 'var', name: 'Now' },
        { kind: 'var', name: 'X' },
      ],
    });
  });

  it('reads function applications in heads, nested, and list literals', () => {
    const clause = onlyClause('out(fn:pair(P, A), [P, [A, 1]], fn:list:len([])) :- in(P, A).');
    expect(clause.head.args.map(stripped)).toEqual([
      {
        kind: 'apply',
        fn: 'fn:pair',
        args: [
          { kind: 'var', name: 'P' },
          { kind: 'var', name: 'A' },
        ],
      },
      {
        kind: 'list',
        items: [
          { kind: 'var', name: 'P' },
          {
            kind: 'list',
            items: [
              { kind: 'var', name: 'A' },
              { kind: 'const', value: { type: 'int', value: 1n } },
            ],
          },
        ],
      },
      { kind: 'apply', fn: 'fn:list:len', args: [{ kind: 'list', items: [] }] },
    ]);
  });

  it('reads a do-transform with group_by keys and lets', () => {
    const clause = onlyClause(
      'c(K1, K2, N, S) :- r(K1, K2, X) |> do fn:group_by(K1, K2), let N = fn:count(), let S = fn:sum(X).',
    );
    expect(stripPositions(clause.transforms)).toEqual([
      {
        groupBy: ['K1', 'K2'],
        lets: [
          { variable: 'N', fn: 'fn:count', args: [] },
          { variable: 'S', fn: 'fn:sum', args: [{ kind: 'var', name: 'X' }] },
        ],
      },
    ]);
  });

  it('reads let-only transforms and chains of stages', () => {
    const clause = onlyClause(
      'n(X) :- a(A) |> let X = fn:plus(A, 1) |> do fn:group_by() |> let Y = fn:mult(X, 2), let Z = fn:list(Y).',
    );
    expect(stripPositions(clause.transforms)).toEqual([
      { groupBy: null, lets: [{ variable: 'X', fn: 'fn:plus', args: expect.any(Array) }] },
      { groupBy: [], lets: [] },
      {
        groupBy: null,
        lets: [
          { variable: 'Y', fn: 'fn:mult', args: expect.any(Array) },
          { variable: 'Z', fn: 'fn:list', args: expect.any(Array) },
        ],
      },
    ]);
    expect(clause.transforms[1]?.at).toMatchObject({ line: 1, column: 39 });
  });

  it('accepts the trailing commas Mangle accepts', () => {
    expect(bodyOf('p(X,) :- q(X,), r([X,]),.')).toHaveLength(2);
    expect(onlyClause('p(X) :- q(X), |> let Y = fn:plus(X, 1).').transforms).toHaveLength(1);
    expect(
      onlyClause('c(N) :- q(X) |> do fn:group_by(X,), let N = fn:count().').transforms,
    ).toEqual([expect.objectContaining({ groupBy: ['X'] })]);
  });
});

// ----------------------------------------------------------- declarations

describe('declarations', () => {
  it('reads descr atoms and several bound blocks', () => {
    const [decl] = parseProgram(
      'Decl p(A, B) descr [doc("two\\nlines"), mode("-", "+"), external()] bound [/name, /string] bound [/any, fn:list(/number)].',
    ).declarations;
    expect(stripPositions(decl)).toEqual({
      predicate: 'p',
      params: ['A', 'B'],
      descr: [
        {
          predicate: 'doc',
          args: [{ kind: 'const', value: { type: 'string', value: 'two\nlines' } }],
        },
        {
          predicate: 'mode',
          args: [
            { kind: 'const', value: { type: 'string', value: '-' } },
            { kind: 'const', value: { type: 'string', value: '+' } },
          ],
        },
        { predicate: 'external', args: [] },
      ],
      bounds: [
        [
          { kind: 'const', value: { type: 'name', value: '/name' } },
          { kind: 'const', value: { type: 'name', value: '/string' } },
        ],
        [
          { kind: 'const', value: { type: 'name', value: '/any' } },
          {
            kind: 'apply',
            fn: 'fn:list',
            args: [{ kind: 'const', value: { type: 'name', value: '/number' } }],
          },
        ],
      ],
    });
    expect(decl?.at).toEqual({ file: '<input>', line: 1, column: 1 });
  });

  it('reads zero-arity declarations and declarations without descr or bound', () => {
    const unit = parseProgram(
      'Decl ready().\nDecl q(X).\nDecl r(X, _) descr [].\nDecl s(X) bound [/float64].',
    );
    expect(stripPositions(unit.declarations)).toEqual([
      { predicate: 'ready', params: [], descr: [], bounds: [] },
      { predicate: 'q', params: ['X'], descr: [], bounds: [] },
      { predicate: 'r', params: ['X', '_'], descr: [], bounds: [] },
      {
        predicate: 's',
        params: ['X'],
        descr: [],
        bounds: [[{ kind: 'const', value: { type: 'name', value: '/float64' } }]],
      },
    ]);
  });

  it('keeps declarations and clauses apart, each in source order', () => {
    const unit = parseProgram('a(). Decl b(). c() :- a(). Decl d().');
    expect(unit.declarations.map((decl) => decl.predicate)).toEqual(['b', 'd']);
    expect(unit.clauses.map((clause) => clause.head.predicate)).toEqual(['a', 'c']);
  });
});

// ------------------------------------------------------------ real files

describe('real rule files', () => {
  it('loads a codeNERD-style schema file with every construct it uses', () => {
    const unit = parseProgram(RULE_FILE, 'schemas.mg');
    expect(unit.declarations.map((decl) => decl.predicate)).toEqual([
      'user_intent',
      'current_time',
      'session_active',
      'persona_label',
    ]);
    expect(unit.declarations[3]?.bounds).toHaveLength(2);
    expect(unit.clauses).toHaveLength(13);
    const values = unit.clauses
      .slice(0, 5)
      .flatMap((clause) =>
        clause.head.args.flatMap((arg) => (arg.kind === 'const' ? [arg.value] : [])),
      );
    expect(values).toContainEqual({ type: 'string', value: 'Fix the "broken" build' });
    expect(values).toContainEqual({ type: 'string', value: "Don't touch anything" });
    expect(values).toContainEqual({ type: 'int', value: -7n });
    expect(values).toContainEqual({ type: 'float', value: -0.25 });
    expect(values).toContainEqual({
      type: 'string',
      value: 'Routes code edits\nto the coder persona.',
    });
    const last = unit.clauses.at(-1)?.body.at(-1);
    expect(last?.kind === 'comparison' && last.right).toMatchObject({
      value: { type: 'name', value: '/tag/v1.2' },
    });
  });

  it.each([
    ['schema file', RULE_FILE],
    ['aggregations', AGGREGATION_FILE],
  ])('%s: parse(print(parse(text))) equals parse(text)', (_, text) => {
    roundTrips(text);
  });

  it('prints the rule file canonically, and printing is idempotent', () => {
    const printed = printProgram(parseProgram(RULE_FILE));
    expect(printed).toContain(
      'Decl persona_label(P, Label) bound [/name, /string] bound [/name, /name].',
    );
    expect(printed).toContain('intent_verb(/fix, "Fix the \\"broken\\" build", 0.9).');
    expect(printed).toContain('threshold(-7, -0.25, 1500.0).');
    expect(printed).toContain('route_note(/coder, "Routes code edits\\nto the coder persona.").');
    expect(printed).toContain('safe_mode() ⟸ session_active(), !dangerous().');
    expect(printed).toContain('tagged(X) :- item(X), X = /tag/v1.2 .');
    expect(printProgram(parseProgram(printed))).toBe(printed);
  });
});

// ------------------------------------------------------------ single items

describe('parseAtom, parseTerm and parseClause', () => {
  it('parses a query atom, with or without a period', () => {
    expect(stripPositions(parseAtom('permitted(/write_file, T, _)'))).toEqual({
      predicate: 'permitted',
      args: [
        { kind: 'const', value: { type: 'name', value: '/write_file' } },
        { kind: 'var', name: 'T' },
        { kind: 'wildcard' },
      ],
    });
    expect(parseAtom('ready().').args).toEqual([]);
    expect(parseAtom(':string:contains("ab", "a")').predicate).toBe(':string:contains');
  });

  it('rejects anything after the atom, or a function in its place', () => {
    expect(syntaxErrorOf(() => parseAtom('p(X) q(Y)')).message).toBe(
      '<input>:1:6: expected end of input, found "q"',
    );
    expect(syntaxErrorOf(() => parseAtom('fn:plus(1, 2)', 'query')).message).toBe(
      'query:1:1: expected an atom, found "fn:plus" ("fn:plus" names a function, not a predicate)',
    );
  });

  it('parses exactly one clause', () => {
    expect(parseClause('p(X) :- q(X).').body).toHaveLength(1);
    expect(syntaxErrorOf(() => parseClause('p(). q().')).message).toBe(
      '<input>:1:6: expected end of input, found "q"',
    );
  });
});

// ------------------------------------------------------------------ errors

describe('syntax errors', () => {
  it('are MangleSyntaxErrors with a stable code and the position as fields', () => {
    const error = programError('p(X) :- q(X)\nr(X).');
    expect(error).toBeInstanceOf(NerdloopError);
    expect(error.code).toBe('mangle_syntax');
    expect([error.file, error.line, error.column]).toEqual(['rules.mg', 2, 1]);
    expect(error.reason).toBe('expected ",", "." or "|>" after premise, found "r"');
    expect(error.toJSON().details).toEqual({
      file: 'rules.mg',
      line: 2,
      column: 1,
      reason: error.reason,
    });
  });

  it.each([
    // Structure
    ['p(X) :- q(X)\nr(X).', '2:1: expected ",", "." or "|>" after premise, found "r"'],
    ['p(/a)', '1:6: expected ":-", "⟸" or "." after clause head, found end of input'],
    ['p(X :- q(X).', '1:5: expected ")" or "," after argument, found ":-"'],
    ['p(X) :- q(X.', '1:12: expected ")" or "," after argument, found "."'],
    ['p(X) :- q(X), , r(X).', '1:15: expected a premise, found ","'],
    ['p(X) :-', '1:8: expected a premise, found end of input'],
    [
      'p :- q().',
      '1:3: expected "(" after predicate name "p", found ":-" (write p() for a predicate without arguments)',
    ],
    [
      'p(X) :- X.',
      '1:10: expected a comparison operator (=, !=, <, <=, >, >=) after term, found "."',
    ],
    ['p(X) :- q(X), X = .', '1:19: expected a term, found "."'],
    [
      'p(q(X)).',
      '1:3: expected a term, found "q" (an atom cannot be an argument; only fn: functions apply inside a term)',
    ],
    [
      'p(foo).',
      '1:3: expected a term, found "foo" (name constants start with "/", as in /foo; variables start with an uppercase letter)',
    ],
    [
      'p(X) :- q(X), x = 1.',
      '1:15: expected a term, found "x" (name constants start with "/", as in /x; variables start with an uppercase letter)',
    ],
    ['p(fn:plus).', '1:10: expected "(" after function name "fn:plus", found ")"'],
    [
      'fn:f(X) :- q(X).',
      '1:1: expected a clause or declaration, found "fn:f" ("fn:f" names a function, not a predicate)',
    ],
    ['X :- q(X).', '1:1: expected a clause or declaration, found "X"'],
    ['let(X).', '1:1: expected a clause or declaration, found "let" ("let" is a keyword)'],
    ['p(Decl).', '1:3: expected a term, found "Decl" ("Decl" is a keyword, not a variable)'],
    ['p(X) :- q(X), !X.', '1:16: expected a predicate after "!", found "X"'],
    [
      'p(X) :- q(X), X = /a.',
      '1:22: expected ",", "." or "|>" after premise, found end of input (the name "/a." took the period: write "/a ." to end the clause)',
    ],
    ['p([1 2]).', '1:6: expected "]" or "," after list element, found "2"'],
    // Transforms
    ['c(N) :- q(X) |> .', '1:17: expected "do" or "let" after "|>", found "."'],
    [
      'c(N) :- q(X) |> do fn:count().',
      '1:20: expected fn:group_by(…) after "do", found "fn:count"',
    ],
    ['c(N) :- q(X) |> do fn:group_by(/a).', '1:32: expected a variable to group by, found "/a"'],
    [
      'c(N) :- q(X) |> let N = X.',
      '1:25: expected a function application such as fn:count() after "=", found "X"',
    ],
    ['c(N) :- q(X) |> let _ = fn:count().', '1:21: expected a variable after "let", found "_"'],
    ['c(N) :- q(X) |> let N fn:count().', '1:23: expected "=" after "let N", found "fn:count"'],
    ['c(N) :- q(X) |> let N = fn:count(), q(N).', '1:37: expected "let", found "q"'],
    [
      'c(N) :- q(X) |> do fn:group_by(X) q(N).',
      '1:35: expected ",", "|>" or "." after transform, found "q"',
    ],
    // Declarations
    ['Decl p(/a).', '1:8: expected a variable as declared argument, found "/a"'],
    [
      'Decl p(X) bound [/name] descr [doc("x")].',
      '1:25: expected "bound" or "." in declaration of "p", found "descr"',
    ],
    [
      'Decl p(X) bound [/name]',
      '1:24: expected "bound" or "." in declaration of "p", found end of input',
    ],
    ['Decl p(X) foo.', '1:11: expected "descr", "bound" or "." in declaration of "p", found "foo"'],
    ['Decl p(X) descr [/a].', '1:18: expected a descr atom such as doc("…"), found "/a"'],
    [
      'Decl p(X) inclusion [q(X)].',
      '1:11: expected "descr", "bound" or "." in declaration of "p", found "inclusion" (inclusion constraints are not supported)',
    ],
    [
      'Decl p(X) temporal.',
      '1:11: expected "descr", "bound" or "." in declaration of "p", found "temporal" (temporal predicates are not supported)',
    ],
    // Mangle syntax nerdloop does not support
    [
      'Package foo!',
      '1:1: expected a clause or declaration, found "Package" ("Package" statements are not supported)',
    ],
    [
      'Use foo!',
      '1:1: expected a clause or declaration, found "Use" ("Use" statements are not supported)',
    ],
    [
      'p(/a)@[2024-01-01].',
      '1:6: expected ":-", "⟸" or "." after clause head, found "@" (temporal annotations are not supported)',
    ],
    [
      'p([/a: 1]).',
      '1:6: expected "]" or "," after list element, found ":" (map literals are not supported)',
    ],
    ['p({/a: 1}).', '1:3: expected a term, found "{" (struct literals are not supported)'],
    [
      'p(b"bytes").',
      '1:3: expected a term, found a byte string (b"…"), which nerdloop does not support',
    ],
    // Lexical
    ['p($).', '1:3: expected a Mangle token, found "$"'],
    [
      'p(X) :- q(X + 1).',
      '1:13: expected a Mangle token, found "+" (Mangle has no arithmetic operators: use fn:plus(A, B))',
    ],
    [
      'p(X) :- q(A, B), X = A - B.',
      '1:24: expected a digit after "-", found " " (Mangle has no minus operator: use fn:minus(A, B))',
    ],
    ['p(X) | q(X).', '1:6: expected "|>", found "|"'],
    [
      'p("abc).\nq().',
      '1:3: expected a closing double quote for the string that starts here, found end of input',
    ],
    [
      "p('abc).",
      '1:3: expected a closing single quote for the string that starts here, found end of input',
    ],
    [
      'p(`abc\n\n',
      '1:3: expected a closing backquote for the string that starts here, found end of input',
    ],
    [
      'p("a\\qb").',
      '1:5: expected an escape sequence (\\n, \\t, \\", \\\', \\\\, \\xhh, \\u{hhhh} or \\ before a line break), found "\\q"',
    ],
    [
      'p("a\\rb").',
      '1:5: expected an escape sequence (\\n, \\t, \\", \\\', \\\\, \\xhh, \\u{hhhh} or \\ before a line break), found "\\r" (write \\u{000d} for a carriage return)',
    ],
    ['p("\\x4").', '1:4: expected two hex digits after "\\x", found "\\""'],
    [
      'p("\\x80").',
      '1:4: expected \\x00 to \\x7f in a text string, found "\\x80" (write \\u{0080} for the character U+0080)',
    ],
    ['p("\\u0041").', '1:4: expected "{" after "\\u", found "0"'],
    ['p("\\u{41}").', '1:4: expected 4 to 6 hex digits in "\\u{…}", found "}"'],
    ['p("\\u{0000041}").', '1:4: expected "}" in "\\u{…}", found "1"'],
    ['p("\\u{d800}").', '1:4: expected a Unicode scalar value in "\\u{…}", found "\\u{d800}"'],
    [
      'p(`line one\nline \\qwo`).',
      '2:6: expected an escape sequence (\\n, \\t, \\", \\\', \\\\, \\xhh, \\u{hhhh} or \\ before a line break), found "\\q"',
    ],
    [
      'p(9223372036854775808).',
      '1:3: expected an integer between -9223372036854775808 and 9223372036854775807, found 9223372036854775808',
    ],
    [
      'p(-9223372036854775809).',
      '1:3: expected an integer between -9223372036854775808 and 9223372036854775807, found -9223372036854775809',
    ],
    ['p(1.0e999).', '1:3: expected a float within the 64-bit range, found 1.0e999'],
    [
      'p(1e3).',
      '1:3: expected a number, found "1e3" (Mangle writes exponents only after a fraction, as in 1.0e3)',
    ],
    [
      'p(2abc).',
      '1:3: expected a number, found "2abc" (names and variables cannot start with a digit)',
    ],
    [
      'p([-1]).',
      '1:3: expected "[" followed by a term, found "[-", which Mangle reads as a temporal operator: write "[ -1]" for a list that starts with a negative number',
    ],
    [
      'p(X) :- q(X), X<-1.',
      '1:16: expected "<" or "<=", found "<-", which Mangle reads as a temporal operator: write "X < -1" to compare with a negative number',
    ],
    [
      'p(X) :- <+[0d, 7d] q(X).',
      '1:9: expected "<" or "<=", found "<+", which Mangle reads as a temporal operator (temporal reasoning is not supported)',
    ],
    [
      'p(Foo_bar) :- q(Foo_bar).',
      '1:3: expected a variable of letters and digits, found "Foo_bar": Mangle variables cannot contain "_" (write FooBar)',
    ],
    [
      'p(_foo).',
      '1:3: expected "_" alone or a variable starting with an uppercase letter, found "_foo"',
    ],
    ['p(/) .', '1:4: expected a name segment after "/", found ")"'],
    ['p(/a/).', '1:6: expected a name segment after "/", found ")"'],
    [
      '// comment\np().',
      '1:2: expected a name segment after "/", found "/" (comments start with "#")',
    ],
    ['p().\n\n   q(X) :- \u00a0r(X).', '3:12: expected a Mangle token, found "\u00a0"'],
  ])('%j → %s', (text, expected) => {
    expect(programError(text).message).toBe(`rules.mg:${expected}`);
  });

  it('reports the first error in the file, whether lexical or grammatical', () => {
    expect(programError('p(X) :- q(X) r(X).\ns($).').message).toBe(
      'rules.mg:1:14: expected ",", "." or "|>" after premise, found "r"',
    );
  });
});

// ----------------------------------------------------------------- printer

describe('printer', () => {
  it('prints floats so they read back as floats, in the shortest round-trip form', () => {
    expect(formatFloat(3.25)).toBe('3.25');
    expect(formatFloat(3)).toBe('3.0');
    expect(formatFloat(-0)).toBe('-0.0');
    expect(formatFloat(1e21)).toBe('1.0e+21');
    expect(formatFloat(1.5e-7)).toBe('1.5e-7');
    expect(formatFloat(5e-324)).toBe('5.0e-324');
    expect(formatFloat(0.1 + 0.2)).toBe('0.30000000000000004');
    expect([Number.NaN, Number.POSITIVE_INFINITY, -Infinity].map(formatFloat)).toEqual([
      'NaN',
      '+Inf',
      '-Inf',
    ]);
  });

  it('prints strings double-quoted with escapes Mangle reads', () => {
    expect(quoteString('say "hi"\n\tto C:\\')).toBe('"say \\"hi\\"\\n\\tto C:\\\\"');
    expect(quoteString("it's é\r\u0000")).toBe('"it\'s é\\u{000d}\\u{0000}"');
  });

  it('prints every value kind, lists and pairs as the terms that build them', () => {
    expect(
      printValue({
        type: 'list',
        items: [
          { type: 'int', value: -1n },
          {
            type: 'pair',
            first: { type: 'name', value: '/a' },
            second: { type: 'float', value: 2 },
          },
        ],
      }),
    ).toBe('[ -1, fn:pair(/a, 2.0)]');
  });

  it('keeps "[-" and "<-" out of the text, and spaces a name before the period', () => {
    expect(printTerm(parseTerm('[ -1, -2]'))).toBe('[ -1, -2]');
    expect(printClause(parseClause('p(X) :- q(X), X < -1.'))).toBe('p(X) :- q(X), X < -1.');
    expect(printClause(parseClause('p(X) :- q(X), X = /a .'))).toBe('p(X) :- q(X), X = /a .');
    expect(printClause(parseClause('p(X) :- q(X), X = /a. .'))).toBe('p(X) :- q(X), X = /a. .');
    expect(printClause(parseClause('p(X) :- X = /a, q(X).'))).toBe('p(X) :- X = /a, q(X).');
    expect(printAtom(parseAtom('p(/a.)'))).toBe('p(/a.)');
  });

  it('prints transforms and declarations in canonical form', () => {
    expect(
      printClause(
        parseClause('c(K,N):-r(K,X)|>do fn:group_by(K),let N=fn:count()|>let M=fn:plus(N,1).'),
      ),
    ).toBe('c(K, N) :- r(K, X) |> do fn:group_by(K), let N = fn:count() |> let M = fn:plus(N, 1).');
    expect(printProgram(parseProgram('Decl p(A) descr [doc("d")] bound [/name].\np(/a).'))).toBe(
      'Decl p(A) descr [doc("d")] bound [/name].\np(/a).\n',
    );
    expect(printProgram(parseProgram('# nothing'))).toBe('');
  });
});

// --------------------------------------------------------------- properties

describe('round trips (property)', () => {
  it('parse(print(unit)) equals unit, positions aside', () => {
    fc.assert(
      fc.property(sourceUnitArb, (unit) => {
        const text = printProgram(unit);
        expect(stripPositions(parseProgram(text, unit.file))).toEqual(stripPositions(unit));
      }),
      { numRuns: 400 },
    );
  });

  it('clauses, atoms and terms round-trip on their own', () => {
    fc.assert(
      fc.property(clauseArb, atomArb, termArb, (clause, atom, term) => {
        expect(stripPositions(parseClause(printClause(clause)))).toEqual(stripPositions(clause));
        expect(stripPositions(parseAtom(printAtom(atom)))).toEqual(stripPositions(atom));
        expect(stripPositions(parseTerm(printTerm(term)))).toEqual(stripPositions(term));
      }),
      { numRuns: 400 },
    );
  });

  it('every literal constant reads back as the same value', () => {
    fc.assert(
      fc.property(constantValueArb, (value) => {
        expect(constOf(printValue(value))).toEqual(value);
      }),
      { numRuns: 1000 },
    );
  });

  it('any JavaScript string survives quoting', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (value) => {
        expect(constOf(quoteString(value))).toEqual({ type: 'string', value });
      }),
    );
  });

  it('any text either parses or fails with a positioned MangleSyntaxError', () => {
    const piece = fc.constantFrom(
      ...'()[]{},.:-!=<>|@#_/\\"\'`\n \t⟸xX1e-+'.split(''),
      ':-',
      '|>',
      'fn:',
      'Decl ',
      'p(',
      '/a',
      '-7',
      '3.5',
      'let ',
      'do ',
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 30 }), (pieces) => {
        const text = pieces.join('');
        try {
          parseProgram(text);
        } catch (error) {
          expect(error).toBeInstanceOf(MangleSyntaxError);
          const { line, column } = error as MangleSyntaxError;
          expect(line).toBeGreaterThanOrEqual(1);
          expect(column).toBeGreaterThanOrEqual(1);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('printing is a fixpoint: print(parse(print(unit))) === print(unit)', () => {
    fc.assert(
      fc.property(sourceUnitArb, (unit) => {
        const text = printProgram(unit);
        expect(printProgram(parseProgram(text))).toBe(text);
      }),
      { numRuns: 200 },
    );
  });
});
