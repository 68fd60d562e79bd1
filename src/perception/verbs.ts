/**
 * The verb taxonomy: every verb the transducer may put in a `user_intent`
 * fact, with the words that name it. Which persona handles a verb is decided
 * by the kernel's rules, not here.
 *
 * - `synonyms` name the verb when they open an imperative ("repair src/a.ts").
 *   They are often ordinary words ("add", "check", "run") that mean nothing
 *   in the middle of a sentence, so they only count at the start.
 * - `cues` suggest the verb wherever they appear ("there is a bug in …"). A
 *   cue alone gives a low-confidence guess, meant to be refined.
 *
 * Phrases are lower-case words in their base form; the matcher accepts
 * inflections ("fixes", "debugging") and skips articles between words, so
 * "write test" also matches "write some more tests".
 */
import { z } from 'zod';
import { InvalidVerbTaxonomyError } from './errors.js';

/** The verb of an intent that names no action (category `/unknown`). */
export const NO_VERB = '/none';

const verbNameSchema = z
  .string()
  .regex(/^\/[a-z][a-z_]*$/, 'a verb is a Mangle name such as /fix: a slash, then a-z or _');

const phraseSchema = z
  .string()
  .regex(
    /^[a-z][a-z0-9'-]*( [a-z0-9'-]+)*$/,
    'a phrase is lower-case words separated by one space',
  );

export const verbEntrySchema = z.object({
  verb: verbNameSchema,
  summary: z.string().min(1),
  synonyms: z.array(phraseSchema),
  cues: z.array(phraseSchema),
  /** Destroys work when done wrong; a vague or sweeping request for it gets low confidence. */
  destructive: z.boolean(),
});

export type VerbEntry = z.infer<typeof verbEntrySchema>;

export const verbTaxonomySchema = z.array(verbEntrySchema).superRefine((entries, ctx) => {
  const verbs = new Set<string>();
  const owners = new Map<string, string>();
  for (const entry of entries) {
    if (entry.verb === NO_VERB) {
      ctx.addIssue({ code: 'custom', message: `${NO_VERB} is reserved for unknown intents` });
    }
    if (verbs.has(entry.verb)) {
      ctx.addIssue({ code: 'custom', message: `verb ${entry.verb} is listed twice` });
    }
    verbs.add(entry.verb);
    // A phrase that named two verbs would make the match depend on table order.
    for (const phrase of [...entry.synonyms, ...entry.cues]) {
      const owner = owners.get(phrase);
      if (owner !== undefined && owner !== entry.verb) {
        ctx.addIssue({
          code: 'custom',
          message: `"${phrase}" names both ${owner} and ${entry.verb}`,
        });
      }
      owners.set(phrase, entry.verb);
    }
  }
});

export type VerbTaxonomy = readonly VerbEntry[];

const SHIPPED_VERBS: VerbTaxonomy = [
  // ---- coder
  {
    verb: '/fix',
    summary: 'repair a defect so the code behaves as intended',
    synonyms: [
      'fix',
      'repair',
      'patch',
      'resolve',
      'correct',
      'mend',
      'hotfix',
      'make pass',
      'make test pass',
      'make it pass',
      'make it work',
      'get working',
      'get it working',
      'get build working',
    ],
    cues: [
      'bug in',
      'bug',
      'broken',
      'failing',
      'fail',
      'crash',
      'regression',
      'does not work',
      "doesn't work",
      'not working',
    ],
    destructive: false,
  },
  {
    verb: '/implement',
    summary: 'add new behaviour or a feature',
    synonyms: [
      'implement',
      'add',
      'build',
      'create feature',
      'write',
      'develop',
      'introduce',
      'support',
      'wire up',
      'hook up',
      'code up',
    ],
    cues: ['new feature', 'feature request', 'add support'],
    destructive: false,
  },
  {
    verb: '/refactor',
    summary: 'change the structure of code without changing its behaviour',
    synonyms: [
      'refactor',
      'clean up',
      'cleanup',
      'restructure',
      'rename',
      'extract',
      'simplify',
      'reorganize',
      'reorganise',
      'tidy',
      'split',
      'inline',
      'modularize',
      'deduplicate',
      'dedupe',
      'move',
      'rewrite',
    ],
    cues: ['refactor', 'code smell', 'tech debt', 'technical debt', 'duplicated code', 'messy'],
    destructive: false,
  },
  // ---- tester
  {
    verb: '/test',
    summary: 'write or extend tests',
    synonyms: [
      'test',
      'write test',
      'add test',
      'create test',
      'unit test',
      'write unit test',
      'add unit test',
      'write spec',
      'add spec',
      'integration test',
      'property test',
    ],
    cues: ['unit test', 'need test', 'missing test', 'untested'],
    destructive: false,
  },
  {
    verb: '/cover',
    summary: 'raise or measure test coverage',
    synonyms: [
      'cover',
      'increase coverage',
      'improve coverage',
      'add coverage',
      'check coverage',
      'measure coverage',
    ],
    cues: ['coverage', 'uncovered', 'code coverage'],
    destructive: false,
  },
  {
    verb: '/verify',
    summary: 'confirm that code or a claim holds',
    synonyms: [
      'verify',
      'check',
      'validate',
      'ensure',
      'confirm',
      'make sure',
      'double check',
      'double-check',
      'assert',
      'prove',
    ],
    cues: ['sanity check'],
    destructive: false,
  },
  // ---- reviewer
  {
    verb: '/review',
    summary: 'read changes or code and give feedback',
    synonyms: [
      'review',
      'look over',
      'go over',
      'critique',
      'pr review',
      'code review',
      'give feedback',
      'proofread',
      'assess',
      'take a look',
    ],
    cues: ['review', 'code review', 'feedback on', 'second pair of eyes'],
    destructive: false,
  },
  {
    verb: '/audit',
    summary: 'inspect code for security, licence or compliance problems',
    synonyms: [
      'audit',
      'security review',
      'security audit',
      'scan',
      'scan for',
      'check for vulnerability',
      'pentest',
      'threat model',
    ],
    cues: [
      'audit',
      'security review',
      'security audit',
      'vulnerability',
      'vulnerable',
      'cve',
      'security issue',
      'security hole',
      'exploit',
    ],
    destructive: false,
  },
  // ---- researcher
  {
    verb: '/research',
    summary: 'investigate options or facts outside the code at hand',
    synonyms: [
      'research',
      'investigate',
      'find out',
      'look into',
      'compare',
      'explore',
      'evaluate',
      'dig into',
      'survey',
    ],
    cues: ['alternatives to', 'pros and cons', 'trade-off', 'tradeoff', 'state of the art'],
    destructive: false,
  },
  {
    verb: '/learn',
    summary: 'build understanding of a codebase, library or concept',
    synonyms: [
      'learn',
      'understand',
      'study',
      'read up',
      'read up on',
      'familiarize',
      'familiarise',
      'get familiar',
      'get to know',
      'teach me',
      'ramp up',
    ],
    cues: ['want to understand', 'want to learn', 'new to'],
    destructive: false,
  },
  // ---- common others
  {
    verb: '/explain',
    summary: 'explain how or why something works',
    synonyms: [
      'explain',
      'describe',
      'walk me through',
      'walk through',
      'clarify',
      'tell me',
      'summarize',
      'summarise',
      'elaborate',
      'break down',
      'show me',
    ],
    cues: ['explanation'],
    destructive: false,
  },
  {
    verb: '/document',
    summary: 'write or update documentation and comments',
    synonyms: [
      'document',
      'write doc',
      'add doc',
      'add comment',
      'comment',
      'annotate',
      'write readme',
      'update readme',
      'add jsdoc',
      'add docstring',
    ],
    cues: ['documentation', 'readme', 'jsdoc', 'docstring', 'changelog'],
    destructive: false,
  },
  {
    verb: '/debug',
    summary: 'find the cause of a failure',
    synonyms: [
      'debug',
      'diagnose',
      'troubleshoot',
      'figure out why',
      'track down',
      'trace',
      'bisect',
      'reproduce',
      'repro',
      'find the cause',
    ],
    cues: ['debug', 'stack trace', 'stacktrace', 'traceback', 'root cause', 'flaky', 'memory leak'],
    destructive: false,
  },
  {
    verb: '/optimize',
    summary: 'make code faster or leaner',
    synonyms: [
      'optimize',
      'optimise',
      'speed up',
      'make faster',
      'improve performance',
      'tune',
      'profile',
      'reduce memory',
    ],
    cues: ['optimize', 'optimise', 'too slow', 'slow', 'performance', 'bottleneck', 'latency'],
    destructive: false,
  },
  {
    verb: '/delete',
    summary: 'remove code, files or data',
    synonyms: [
      'delete',
      'remove',
      'drop',
      'erase',
      'wipe',
      'purge',
      'get rid of',
      'rm',
      'destroy',
      'nuke',
      'uninstall',
    ],
    cues: ['dead code', 'unused'],
    destructive: true,
  },
  {
    verb: '/create',
    summary: 'create a new file, project or scaffold',
    synonyms: [
      'create',
      'make a new',
      'generate',
      'scaffold',
      'set up',
      'setup',
      'init',
      'initialize',
      'initialise',
      'bootstrap',
      'stub out',
    ],
    cues: ['boilerplate', 'new file'],
    destructive: false,
  },
  {
    verb: '/run',
    summary: 'execute a command, script or program',
    synonyms: ['run', 'execute', 'launch', 'invoke', 'start', 'kick off', 'exec'],
    cues: [],
    destructive: false,
  },
  {
    verb: '/search',
    summary: 'find code, files or usages in the workspace',
    synonyms: [
      'search',
      'search for',
      'find',
      'grep',
      'locate',
      'look for',
      'list',
      'find usages',
      'find references',
    ],
    cues: ['usages of', 'references to', 'occurrences of'],
    destructive: false,
  },
  {
    verb: '/migrate',
    summary: 'move code to a new version, API, language or platform',
    synonyms: ['migrate', 'upgrade', 'port', 'convert', 'move to', 'switch to', 'transition to'],
    cues: ['migrate', 'migration', 'deprecated'],
    destructive: false,
  },
  {
    verb: '/edit',
    summary: 'make a small, specific change to existing code or config',
    synonyms: ['edit', 'change', 'modify', 'update', 'tweak', 'adjust', 'replace', 'set'],
    cues: [],
    destructive: false,
  },
  {
    verb: '/format',
    summary: 'format or lint code',
    synonyms: [
      'format',
      'reformat',
      'prettify',
      'lint',
      'fix lint',
      'fix formatting',
      'run linter',
      'run prettier',
      'run biome',
    ],
    cues: ['formatting', 'lint error', 'lint warning', 'linter'],
    destructive: false,
  },
  {
    verb: '/install',
    summary: 'add or update a dependency',
    synonyms: [
      'install',
      'add dependency',
      'add package',
      'npm install',
      'pnpm add',
      'yarn add',
      'bump',
      'update dependency',
      'upgrade dependency',
      'update deps',
    ],
    cues: ['dependency'],
    destructive: false,
  },
  {
    verb: '/commit',
    summary: 'record, publish or undo changes with version control',
    synonyms: [
      'commit',
      'push',
      'open a pr',
      'create a pr',
      'open a pull request',
      'create a pull request',
      'merge',
      'rebase',
      'squash',
      'cherry-pick',
      'amend',
      'stash',
      'revert',
      'undo',
      'roll back',
      'rollback',
    ],
    cues: ['uncommitted', 'commit message'],
    destructive: false,
  },
];

/** Validates a taxonomy; throws `InvalidVerbTaxonomyError` naming every problem. */
export function parseVerbTaxonomy(input: unknown): VerbTaxonomy {
  const parsed = verbTaxonomySchema.safeParse(input);
  if (!parsed.success) {
    throw new InvalidVerbTaxonomyError(`invalid verb taxonomy: ${z.prettifyError(parsed.error)}`, {
      details: { issues: parsed.error.issues },
    });
  }
  return parsed.data;
}

// Validated at load: a broken table is a programming error, better found by the first import.
export const VERB_TAXONOMY: VerbTaxonomy = parseVerbTaxonomy(SHIPPED_VERBS);

export const KNOWN_VERBS: readonly string[] = VERB_TAXONOMY.map((entry) => entry.verb);

const BY_VERB = new Map(VERB_TAXONOMY.map((entry) => [entry.verb, entry]));

export function verbEntry(verb: string): VerbEntry | undefined {
  return BY_VERB.get(verb);
}

export function isKnownVerb(verb: string): boolean {
  return BY_VERB.has(verb);
}

export function isDestructiveVerb(verb: string): boolean {
  return BY_VERB.get(verb)?.destructive ?? false;
}
