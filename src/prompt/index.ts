/**
 * The JIT prompt compiler and the ConfigFactory: system prompts and agent
 * configs compiled per task from prompt atoms and the kernel's facts.
 */
// `Atom` alone would clash with the kernel's (a Mangle atom) at the package root.
export {
  type Atom as PromptAtom,
  type AtomCategory,
  type AtomInput,
  type AtomLoadError,
  type AtomSelectors,
  atomIdSchema,
  atomSchema,
  formatAtomLoadError,
  loadAtoms,
  parseAtomFile,
  SHIPPED_ATOMS_DIR,
} from './atoms/index.js';
export * from './compiler/index.js';
export * from './config/index.js';
export * from './context/index.js';
export {
  type OrientOptions,
  orientIntent,
  type PreparedTask,
  type PrepareParts,
  prepareTask,
} from './prepare.js';
export { workspaceFacts } from './world.js';
