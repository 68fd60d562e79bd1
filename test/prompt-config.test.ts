/**
 * ConfigFactory and the CompilationContext: configs from routing facts and
 * config layers; contexts from the kernel's facts about an intent.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Kernel, stringValue } from '../src/kernel/index.js';
import { type Intent, intentToFact } from '../src/perception/index.js';
import {
  ConfigFileError,
  createConfigFactory,
  loadConfigFile,
  loadConfigLayers,
  settingsFor,
  UnroutedIntentError,
} from '../src/prompt/config/index.js';
import { buildCompilationContext } from '../src/prompt/context/index.js';
import { loadShippedRules } from '../src/rules/index.js';

let kernel: Kernel;
let dir: string;

const intent = (id: string, verb: string, target = ''): Intent => ({
  id,
  category: '/command',
  verb,
  target,
  constraint: '',
  confidence: 0.9,
  source: 'pattern',
});

beforeAll(async () => {
  kernel = await loadShippedRules();
  dir = await mkdtemp(join(tmpdir(), 'nerdloop-config-'));
  for (const [id, verb, target] of [
    ['i-fix', '/fix', 'src/app.ts'],
    ['i-review', '/review', ''],
    ['i-test', '/test', 'test/app.test.ts'],
    ['i-research', '/research', 'parser.py'],
  ] as const) {
    kernel.assert(intentToFact(intent(id, verb, target)));
  }
  for (const file of ['vitest.config.ts', 'src/app.ts', 'tools/gen.py']) {
    kernel.assert({ predicate: 'file_exists', args: [stringValue(file)] });
  }
  kernel.assert('world_state(/tests_failing).');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('ConfigFactory', () => {
  it('takes persona and tools from the routing rules and limits from the shipped defaults', async () => {
    const factory = createConfigFactory(kernel, await loadConfigLayers());
    const coder = factory.configFor('i-fix');
    expect(coder).toMatchObject({
      persona: 'coder',
      maxTurns: 30,
      policy: { sandbox: 'workspace-write', approval: 'never' },
    });
    expect(coder.tools).toContain('write_file');
    const reviewer = factory.configFor('i-review');
    expect(reviewer).toMatchObject({ persona: 'reviewer', temperature: 0.1 });
    expect(reviewer.policy.sandbox).toBe('read-only');
    expect(reviewer.tools).not.toContain('write_file');
  });

  it("lets the user's file override defaults and a persona's section", async () => {
    const file = join(dir, 'config.yaml');
    await writeFile(
      file,
      'defaults:\n  model: llama3.2\npersonas:\n  coder:\n    maxTurns: 5\n    approval: on-request\n',
    );
    const factory = createConfigFactory(kernel, await loadConfigLayers(file));
    expect(factory.configFor('i-fix')).toMatchObject({
      model: 'llama3.2',
      maxTurns: 5,
      policy: { approval: 'on-request' },
    });
    expect(factory.configFor('i-test')).toMatchObject({ model: 'llama3.2', maxTurns: 20 });
  });

  it('a missing user file is no layer; a broken one is a typed error naming file and field', async () => {
    await expect(loadConfigLayers(join(dir, 'missing.yaml'))).resolves.toHaveLength(2);
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, 'defaults:\n  maxTurnz: 3\n');
    await expect(loadConfigFile(bad)).rejects.toThrow(ConfigFileError);
    await expect(loadConfigFile(bad)).rejects.toThrow(/bad\.yaml: defaults: Unrecognized key/);
    const notYaml = join(dir, 'not.yaml');
    await writeFile(notYaml, 'defaults: [\n');
    await expect(loadConfigFile(notYaml)).rejects.toThrow(/not valid YAML/);
  });

  it('an intent the kernel does not know is a typed error', async () => {
    const factory = createConfigFactory(kernel, await loadConfigLayers());
    expect(() => factory.configFor('nope')).toThrow(UnroutedIntentError);
  });
});

describe('settingsFor', () => {
  it("gives a persona's layered settings without an intent, as configFor merges them", async () => {
    const file = join(dir, 'history.yaml');
    await writeFile(
      file,
      'defaults:\n  historyBudget: 8000\npersonas:\n  reviewer:\n    historyBudget: 4000\n',
    );
    const layers = await loadConfigLayers(file);

    expect(settingsFor(layers, 'reviewer')).toMatchObject({
      historyBudget: 4_000,
      temperature: 0.1,
      sandbox: 'read-only',
    });
    expect(settingsFor(layers, 'coder')).toMatchObject({ historyBudget: 8_000, maxTurns: 30 });
    // A persona no layer names gets the defaults; no layers, no settings.
    expect(settingsFor(layers, 'poet').historyBudget).toBe(8_000);
    expect(settingsFor(layers, 'constructor').historyBudget).toBe(8_000);
    expect(settingsFor([], 'coder')).toEqual({});
    // The same numbers configFor gives an intent routed to that persona.
    const factory = createConfigFactory(kernel, layers);
    expect(factory.configFor('i-review').historyBudget).toBe(
      settingsFor(layers, 'reviewer').historyBudget,
    );
    expect(factory.configFor('i-fix').historyBudget).toBe(
      settingsFor(layers, 'coder').historyBudget,
    );
  });
});

describe('CompilationContext', () => {
  it('reads persona, verb, languages, frameworks, world states and the test command', () => {
    const context = buildCompilationContext(kernel, intent('i-test', '/test', 'test/app.test.ts'), {
      task: 'make the tests pass',
    });
    expect(context).toMatchObject({
      persona: 'tester',
      intentVerb: 'test',
      frameworks: ['vitest'],
      worldStates: ['tests_failing'],
      brief: { persona: 'tester', target: 'test/app.test.ts', task: 'make the tests pass' },
    });
    expect(context.languages[0]).toBe('typescript');
    expect(context.languages).toContain('python');
    expect(context.brief.testCommand).toMatch(/vitest/);
  });

  it("puts the target's own language first", () => {
    const context = buildCompilationContext(
      kernel,
      intent('i-research', '/research', 'parser.py'),
      {
        task: 'how does the parser work',
      },
    );
    expect(context.languages).toEqual(['python', 'typescript']);
    expect(context.brief.testCommand).toBeUndefined();
  });
});
