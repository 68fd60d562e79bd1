/**
 * The shape of a prompt atom: one piece of guidance the JIT compiler may put
 * into a system prompt. Atoms arrive from YAML files (shipped or the user's),
 * so they cross a boundary and are read only through this schema.
 */
import { z } from 'zod';

/** Output order of the compiled prompt: who you are, what you must not do, how to act, then detail. */
export const CATEGORIES = [
  'identity',
  'safety',
  'protocol',
  'methodology',
  'language',
  'framework',
  'context',
  'exemplar',
] as const;
export type AtomCategory = (typeof CATEGORIES)[number];

/**
 * Selector values and context values are compared after this, so `/coder`
 * (the kernel's name constant) and `coder` (what a person writes in YAML) are
 * the same persona, and `TypeScript` matches `typescript`.
 */
export function normaliseName(name: string): string {
  return name.trim().replace(/^\/+/, '').toLowerCase();
}

// Ids appear in reasons, error messages and `depends_on` lists: keep them one plain word.
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export const atomIdSchema = z
  .string()
  .regex(
    ID_PATTERN,
    'must start with a letter or digit and use only letters, digits, ".", "_", "-"',
  );

const nameSchema = z
  .string()
  .transform(normaliseName)
  .pipe(z.string().min(1, 'must not be empty (after removing a leading "/")'));

// An empty list would match no context at all: almost certainly a mistake, so it is refused.
const selectorListSchema = z
  .array(nameSchema)
  .min(1, 'must list at least one value (leave the selector out to match everything)')
  .transform((names) => [...new Set(names)]);

export const selectorsSchema = z.strictObject({
  personas: selectorListSchema.optional(),
  intent_verbs: selectorListSchema.optional(),
  languages: selectorListSchema.optional(),
  frameworks: selectorListSchema.optional(),
  world_states: selectorListSchema.optional(),
});
export type AtomSelectors = z.infer<typeof selectorsSchema>;
export const SELECTOR_KEYS = [
  'personas',
  'intent_verbs',
  'languages',
  'frameworks',
  'world_states',
] as const satisfies ReadonlyArray<keyof AtomSelectors>;
export type SelectorKey = (typeof SELECTOR_KEYS)[number];

/**
 * The offline model (and any reader following the same convention) takes the
 * FIRST `Persona:` / `Target:` / `Test command:` line of the system prompt.
 * The brief section comes last, so an atom line like these would silently
 * override it.
 */
const BRIEF_LINE = /^[\s>*-]*(persona|target|test command)\s*:/im;

function contentSchema(what: string) {
  return (
    z
      .string()
      // Block scalars end with a newline and may start with blank lines; the
      // compiler joins sections with exactly one blank line, so trim them here.
      .transform((text) => text.replace(/^\s*\n/, '').trimEnd())
      .pipe(
        z
          .string()
          .min(1, `${what} must not be empty`)
          .refine((text) => !BRIEF_LINE.test(text), {
            message: `${what} must not contain a "Persona:", "Target:" or "Test command:" line: the brief section owns those, and readers take the first one`,
          }),
      )
  );
}

// Not de-duplicated: the refinements below report by index, which must match the file.
const idListSchema = z.array(atomIdSchema);

export const atomSchema = z
  .strictObject({
    id: atomIdSchema,
    category: z.enum(CATEGORIES),
    priority: z.number().int(),
    mandatory: z.boolean().default(false),
    selectors: selectorsSchema.default({}),
    depends_on: idListSchema.optional(),
    conflicts_with: idListSchema.optional(),
    content: contentSchema('content'),
    content_concise: contentSchema('content_concise').optional(),
    content_min: contentSchema('content_min').optional(),
  })
  .superRefine((atom, context) => {
    for (const field of ['depends_on', 'conflicts_with'] as const) {
      const index = atom[field]?.indexOf(atom.id) ?? -1;
      if (index >= 0) {
        context.addIssue({
          code: 'custom',
          path: [field, index],
          message: `an atom cannot name itself in ${field}`,
        });
      }
    }
    for (const [index, id] of (atom.depends_on ?? []).entries()) {
      if (atom.conflicts_with?.includes(id)) {
        context.addIssue({
          code: 'custom',
          path: ['depends_on', index],
          message: `"${id}" is both a dependency and a conflict`,
        });
      }
    }
  });

export type Atom = z.infer<typeof atomSchema>;
export type AtomInput = z.input<typeof atomSchema>;
