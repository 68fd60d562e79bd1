/** The logic kernel: a Datalog engine for the Mangle rule language. */
export * from './ast.js';
export {
  builtinFunctions,
  builtinPredicates,
  builtinReducers,
  show,
} from './builtins.js';
export {
  clearKernelCache,
  type KernelCacheLimits,
  type KernelCacheStats,
  kernelCacheStats,
  setKernelCacheLimits,
} from './cache.js';
export type { BoundsMode, EvaluationStrategy, KernelWarning } from './engine.js';
export * from './errors.js';
export type {
  ExternalCall,
  ExternalPredicate,
  ExternalPredicates,
} from './external.js';
export { renderProofs } from './format-proof.js';
export {
  createKernel,
  type FactInput,
  Kernel,
  type KernelOptions,
  type KernelSource,
  loadKernel,
  type Proof,
  pattern,
  type QueryAnswer,
} from './kernel.js';
export type { ArgMode } from './modes.js';
export * from './parse/index.js';
