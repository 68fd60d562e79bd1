/**
 * The rules nerdloop ships: intent routing and the constitution, as `.mg`
 * files, with the preparer that turns a pending action into facts and a
 * one-call verdict. Users extend or override them with `.mg` files of their
 * own, loaded into the same kernel (docs/rules.md).
 */
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Kernel, type KernelOptions, loadKernel } from '../kernel/index.js';
import { RuleFileNotFoundError } from './errors.js';

export { actionFacts } from './action-facts.js';
export { type DecideOptions, type Decision, decide, withActionFacts } from './decide.js';
export {
  InvalidPendingActionError,
  InvalidWorkspaceError,
  RuleFileNotFoundError,
} from './errors.js';
export type { Realpath, World } from './paths.js';
export {
  COMMAND_ACTION,
  DELEGATE_ACTION,
  type PendingAction,
  type PendingActionInput,
  parsePendingAction,
  pendingActionSchema,
} from './pending-action.js';
export { fileSystemRealpath } from './realpath.js';

/**
 * Where a shipped rule file is. `tsc` copies no `.mg` files, so from the
 * compiled `dist/src/rules/` the file is looked up in the package's
 * `src/rules/` (shipped alongside) when it is not next to the module.
 */
function shippedRule(file: string): string {
  const beside = fileURLToPath(new URL(`./${file}`, import.meta.url));
  if (isFile(beside)) return beside;
  const source = fileURLToPath(new URL(`../../../src/rules/${file}`, import.meta.url));
  return isFile(source) ? source : beside;
}

const isFile = (path: string): boolean =>
  statSync(path, { throwIfNoEntry: false })?.isFile() ?? false;

/** Absolute path of `intent_routing.mg`. */
export const INTENT_ROUTING_RULES: string = shippedRule('intent_routing.mg');
/** Absolute path of `constitution.mg`. */
export const CONSTITUTION_RULES: string = shippedRule('constitution.mg');
export const SHIPPED_RULE_FILES: readonly string[] = [INTENT_ROUTING_RULES, CONSTITUTION_RULES];

/**
 * A kernel over both shipped files and the user's own `.mg` files (or
 * directories of them), loaded as one program: user facts extend the shipped
 * tables, user rules add to the shipped predicates.
 */
export async function loadShippedRules(
  extraFiles: readonly string[] = [],
  options: KernelOptions = {},
): Promise<Kernel> {
  const files = [...SHIPPED_RULE_FILES, ...extraFiles];
  for (const file of files) {
    if (statSync(file, { throwIfNoEntry: false }) === undefined) {
      const shipped = SHIPPED_RULE_FILES.includes(file);
      throw new RuleFileNotFoundError(
        shipped
          ? `shipped rule file ${file} is missing: the installation is incomplete`
          : `rule file ${file} does not exist`,
        { details: { file, shipped } },
      );
    }
  }
  return loadKernel(files, options);
}
