/**
 * The shipped intent routing: verbs to personas (with the default for verbs
 * nobody claims), action types, tools per persona, test framework detection,
 * and explanations that name the rule and the negation that decided.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Kernel, Proof } from '../src/kernel/index.js';
import { show } from '../src/kernel/index.js';
import { INTENT_ROUTING_RULES, loadShippedRules } from '../src/rules/index.js';

const intent = (id: string, category: string, verb: string, target = '', constraint = ''): string =>
  `user_intent(${JSON.stringify(id)}, ${category}, ${verb}, ${JSON.stringify(target)}, ${JSON.stringify(constraint)})`;

/** The second column of `pred(Id, X)` facts for one id, as text. */
const column = (kernel: Kernel, predicate: string, id: string): string[] =>
  kernel
    .facts(predicate)
    .filter((values) => values[0]?.type === 'string' && values[0].value === id)
    .map((values) => (values[1] ? show(values[1]) : ''))
    .sort();

/** Asserts facts for one test and retracts them afterwards, so tests share one kernel. */
function withFacts<T>(kernel: Kernel, facts: readonly string[], body: () => T): T {
  const added = facts.filter((fact) => kernel.assert(fact));
  try {
    return body();
  } finally {
    for (const fact of added) kernel.retract(fact);
  }
}

let kernel: Kernel;
beforeAll(async () => {
  kernel = await loadShippedRules();
});

describe('persona routing', () => {
  it('an agent’s own persona wins over the verb, with that persona’s tools', () => {
    withFacts(
      kernel,
      [intent('p1', '/command', '/fix', 'src/a.ts'), 'intent_persona("p1", /reviewer)'],
      () => {
        expect(column(kernel, 'persona', 'p1')).toEqual(['/reviewer']);
        expect(column(kernel, 'intent_tool', 'p1')).not.toContain('/write_file');
      },
    );
    withFacts(kernel, [intent('p2', '/command', '/dance'), 'intent_persona("p2", /tester)'], () =>
      expect(column(kernel, 'persona', 'p2')).toEqual(['/tester']),
    );
  });

  const table: ReadonlyArray<[verb: string, persona: string]> = [
    ['/fix', '/coder'],
    ['/implement', '/coder'],
    ['/refactor', '/coder'],
    ['/test', '/tester'],
    ['/cover', '/tester'],
    ['/verify', '/tester'],
    ['/review', '/reviewer'],
    ['/audit', '/reviewer'],
    ['/research', '/researcher'],
    ['/learn', '/researcher'],
  ];

  it.each(table)('%s routes to %s', (verb, persona) => {
    withFacts(kernel, [intent('i1', '/command', verb, 'src/a.ts')], () => {
      expect(column(kernel, 'persona', 'i1')).toEqual([persona]);
    });
  });

  it.each(['/dance', '/frobnicate', '/explain', '/none'])(
    'a verb without a specialist (%s) routes to /coder, and only to /coder',
    (verb) => {
      withFacts(kernel, [intent('i1', '/command', verb)], () => {
        expect(column(kernel, 'persona', 'i1')).toEqual(['/coder']);
      });
    },
  );

  it('routes several intents at once without mixing them up', () => {
    const facts = [
      intent('a', '/command', '/fix'),
      intent('b', '/instruction', '/audit'),
      intent('c', '/command', '/dance'),
    ];
    withFacts(kernel, facts, () => {
      expect(column(kernel, 'persona', 'a')).toEqual(['/coder']);
      expect(column(kernel, 'persona', 'b')).toEqual(['/reviewer']);
      expect(column(kernel, 'persona', 'c')).toEqual(['/coder']);
    });
  });

  it('forgets an intent once it is retracted', () => {
    withFacts(kernel, [intent('gone', '/command', '/review')], () => {
      expect(column(kernel, 'persona', 'gone')).toEqual(['/reviewer']);
    });
    expect(column(kernel, 'persona', 'gone')).toEqual([]);
    expect(column(kernel, 'intent_tool', 'gone')).toEqual([]);
  });
});

describe('action types', () => {
  it.each([
    ['/fix', '/mutate'],
    ['/dance', '/mutate'],
    ['/test', '/verify'],
    ['/review', '/analyze'],
    ['/research', '/investigate'],
  ])('a /command to %s is %s work', (verb, type) => {
    withFacts(kernel, [intent('i1', '/command', verb)], () => {
      expect(column(kernel, 'intent_action_type', 'i1')).toEqual([type]);
    });
  });

  it('a /question wants an answer whatever its verb, with read-only tools', () => {
    withFacts(kernel, [intent('q1', '/question', '/fix', 'src/a.ts')], () => {
      expect(column(kernel, 'persona', 'q1')).toEqual(['/coder']);
      expect(column(kernel, 'intent_action_type', 'q1')).toEqual(['/answer']);
      expect(column(kernel, 'intent_tool', 'q1')).toEqual(['/list_files', '/read_file', '/search']);
    });
  });

  it('an /unknown intent asks for clarification and changes nothing', () => {
    withFacts(kernel, [intent('u1', '/unknown', '/none')], () => {
      expect(column(kernel, 'intent_action_type', 'u1')).toEqual(['/clarify']);
      expect(column(kernel, 'intent_tool', 'u1')).not.toContain('/write_file');
    });
  });

  it('an /instruction routes like a /command', () => {
    withFacts(kernel, [intent('n1', '/instruction', '/cover')], () => {
      expect(column(kernel, 'intent_action_type', 'n1')).toEqual(['/verify']);
    });
  });
});

describe('tools', () => {
  const tools = (persona: string): string[] =>
    kernel
      .query(`persona_tool(${persona}, T)`)
      .map((answer) => (answer.bindings.T ? show(answer.bindings.T) : ''))
      .sort();
  const everything = [
    '/delegate',
    '/edit_file',
    '/list_files',
    '/read_file',
    '/run_command',
    '/search',
    '/write_file',
  ];
  const readOnly = ['/list_files', '/read_file', '/search'];
  // Delegation changes nothing itself; the constitution bounds the sub-agent.
  const reporting = ['/delegate', ...readOnly];

  it('coders and testers may use every tool', () => {
    expect(tools('/coder')).toEqual(everything);
    expect(tools('/tester')).toEqual(everything);
  });

  it('reviewers and researchers read and delegate, and write nothing', () => {
    expect(tools('/reviewer')).toEqual(reporting);
    expect(tools('/researcher')).toEqual(reporting);
    expect(kernel.holds('persona_tool(/reviewer, /write_file)')).toBe(false);
  });

  it('an intent gets its persona’s tools', () => {
    withFacts(
      kernel,
      [intent('r1', '/command', '/review'), intent('c1', '/command', '/fix')],
      () => {
        expect(column(kernel, 'intent_tool', 'r1')).toEqual(reporting);
        expect(kernel.holds('intent_tool("r1", /write_file)')).toBe(false);
        expect(column(kernel, 'intent_tool', 'c1')).toEqual(everything);
      },
    );
  });
});

describe('test framework detection', () => {
  const frameworks = (): string[] =>
    kernel
      .facts('test_framework')
      .map((values) => (values[0] ? show(values[0]) : ''))
      .sort();
  const files = (...paths: string[]): string[] =>
    paths.map((p) => `file_exists(${JSON.stringify(p)})`);

  it.each([
    [['vitest.config.ts', 'package.json'], '/vitest', 'npx vitest run'],
    [['vitest.config.mts'], '/vitest', 'npx vitest run'],
    [['jest.config.js', 'package.json'], '/jest', 'npx jest'],
    [['.mocharc.yml'], '/mocha', 'npx mocha'],
    [['pytest.ini', 'pyproject.toml'], '/pytest', 'python -m pytest'],
    [['go.mod', 'main.go'], '/go_test', 'go test ./...'],
    [['Cargo.toml', 'src/main.rs'], '/cargo_test', 'cargo test'],
  ])('%j → %s', (paths, framework, command) => {
    withFacts(kernel, [...files(...paths), intent('t1', '/command', '/test')], () => {
      expect(frameworks()).toEqual([framework]);
      expect(kernel.holds(`test_command(${framework}, ${JSON.stringify(command)})`)).toBe(true);
      expect(column(kernel, 'intent_test_command', 't1')).toEqual([JSON.stringify(command)]);
      expect(kernel.holds('no_test_framework()')).toBe(false);
    });
  });

  it.each([
    [['package.json', 'src/index.ts']],
    [['pyproject.toml']],
    [['packages/a/vitest.config.ts']],
    [[]],
  ])('%j → no framework', (paths) => {
    withFacts(kernel, [...files(...paths), intent('t1', '/command', '/test')], () => {
      expect(frameworks()).toEqual([]);
      expect(column(kernel, 'intent_test_command', 't1')).toEqual([]);
      expect(kernel.holds('no_test_framework()')).toBe(true);
    });
  });

  it('only intents that verify get a test command', () => {
    const facts = [
      ...files('vitest.config.ts'),
      intent('fix', '/command', '/fix'),
      intent('ask', '/question', '/test'),
    ];
    withFacts(kernel, facts, () => {
      expect(column(kernel, 'intent_test_command', 'fix')).toEqual([]);
      expect(column(kernel, 'intent_test_command', 'ask')).toEqual([]);
    });
  });

  it('a polyglot workspace gets a command per framework', () => {
    withFacts(
      kernel,
      [...files('go.mod', 'Cargo.toml'), intent('t1', '/command', '/verify')],
      () => {
        expect(column(kernel, 'intent_test_command', 't1')).toEqual([
          '"cargo test"',
          '"go test ./..."',
        ]);
      },
    );
  });
});

describe('explanations', () => {
  const premiseTexts = (proof: Proof): string[] => proof.premises.map((premise) => premise.text);

  it('an unknown verb names the default rule and the negation that let it through', () => {
    withFacts(kernel, [intent('i1', '/command', '/dance')], () => {
      const proof = kernel.explain('persona("i1", /coder)');
      expect(proof).not.toBeNull();
      expect(proof?.via).toBe('rule');
      expect(proof?.rule?.text).toContain('!verb_has_specialist(Verb)');
      expect(proof?.rule?.at.file).toBe(INTENT_ROUTING_RULES);
      expect(proof?.conditions).toEqual([
        '!has_intent_persona("i1")',
        '!verb_has_specialist(/dance)',
      ]);
      expect(proof && premiseTexts(proof)).toEqual(['user_intent("i1", /command, /dance, "", "")']);
    });
  });

  it('/fix names the table rule and the table row', () => {
    withFacts(kernel, [intent('i1', '/command', '/fix', 'src/a.ts')], () => {
      const proof = kernel.explain('persona("i1", /coder)');
      expect(proof?.rule?.text).toContain('verb_persona(Verb, Persona)');
      expect(proof?.rule?.text).not.toContain('!verb_has_specialist');
      // The agent had no persona of its own, so the verb decided.
      expect(proof?.conditions).toEqual(['!has_intent_persona("i1")']);
      expect(proof && premiseTexts(proof)).toEqual([
        'user_intent("i1", /command, /fix, "src/a.ts", "")',
        'verb_persona(/fix, /coder)',
      ]);
      expect(proof?.premises[1]?.via).toBe('base');
    });
  });
});

describe('user extensions', () => {
  it('a user file routes a new verb and detects a framework from its own marker', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nerdloop-rules-'));
    try {
      const file = join(dir, 'mine.mg');
      await writeFile(
        file,
        ['verb_persona(/benchmark, /tester).', 'framework_marker("pyproject.toml", /pytest).'].join(
          '\n',
        ),
      );
      const extended = await loadShippedRules([file]);
      extended.assert(intent('b1', '/command', '/benchmark'));
      extended.assert('file_exists("pyproject.toml")');
      expect(column(extended, 'persona', 'b1')).toEqual(['/tester']);
      expect(column(extended, 'intent_test_command', 'b1')).toEqual(['"python -m pytest"']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
