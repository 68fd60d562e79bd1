export {
  createPromptCompiler,
  DEFAULT_BUDGET,
  DEFAULT_CACHE_SIZE,
  type PromptCompiler,
  type PromptCompilerOptions,
} from './compiler.js';
export {
  PromptAtomsInvalidError,
  PromptBudgetTooSmallError,
  PromptCompilerError,
  PromptCompilerOptionError,
} from './errors.js';
export { ENCODINGS, type EncodingName, type TokenCounter, tokenCounter } from './tokens.js';
export type { AtomVariant, CompilationContext, CompiledPrompt, CompileOptions } from './types.js';
