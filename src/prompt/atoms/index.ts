export { loadAtoms, SHIPPED_ATOMS_DIR } from './loader.js';
export {
  type AtomLoadError,
  formatAtomLoadError,
  type LocatedAtom,
  type ParsedAtomFile,
  parseAtomFile,
} from './parse.js';
export {
  type Atom,
  type AtomCategory,
  type AtomInput,
  type AtomSelectors,
  atomIdSchema,
  atomSchema,
  CATEGORIES,
  normaliseName,
  SELECTOR_KEYS,
  type SelectorKey,
  selectorsSchema,
} from './schema.js';
