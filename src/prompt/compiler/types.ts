/** The compiler's public data types. */

/** What one task is about, as the ORIENT stage read it from the kernel. */
export type CompilationContext = {
  persona: string;
  intentVerb: string;
  languages: string[];
  frameworks: string[];
  worldStates: string[];
  /** Written verbatim as the last section of the prompt. */
  brief: { persona: string; target?: string; testCommand?: string; task: string };
  model?: string;
};

export type AtomVariant = 'full' | 'concise' | 'min';

export type CompiledPrompt = {
  prompt: string;
  /** The atoms in the prompt, in prompt order, with why each is there and which text was used. */
  atoms: Array<{ id: string; variant: AtomVariant; reason: string }>;
  /** Every other atom, by id, with why it was left out. */
  excluded: Array<{ id: string; reason: string }>;
  /** Exact token count of `prompt` in the compiler's encoding; never more than `budget`. */
  tokens: number;
  budget: number;
  cacheKey: string;
};

export type CompileOptions = { budget?: number };
