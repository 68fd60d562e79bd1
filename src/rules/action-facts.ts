/**
 * The preparer: a pending action as the facts the constitution reads. It
 * does the string work Datalog cannot (command splitting, path resolution,
 * symlinks) and decides nothing: every verdict is in the rules.
 */
import { type FactInput, intValue, nameValue, stringValue, valueKey } from '../kernel/index.js';
import { commandFacts } from './command-facts.js';
import { pathFacts, Workspace, type World } from './paths.js';
import {
  COMMAND_ACTION,
  DELEGATE_ACTION,
  delegationPersona,
  type PendingAction,
  type PendingActionInput,
  parsePendingAction,
} from './pending-action.js';

export function actionFacts(action: PendingActionInput, world: World): FactInput[] {
  return parsedActionFacts(parsePendingAction(action), world);
}

/** `actionFacts` of an action already through the schema. */
export function parsedActionFacts(parsed: PendingAction, world: World): FactInput[] {
  const workspace = new Workspace(world);
  const id = stringValue(parsed.id);
  const facts: FactInput[] = [
    {
      predicate: 'pending_action',
      args: [
        id,
        nameValue(`/${parsed.action}`),
        stringValue(parsed.target),
        stringValue(parsed.payload),
        intValue(parsed.time),
      ],
    },
    { predicate: 'action_persona', args: [id, nameValue(`/${parsed.persona}`)] },
  ];
  const paths: string[] = [];
  if (parsed.action === COMMAND_ACTION) {
    const command = commandFacts(parsed.id, parsed.target);
    facts.push(...command.facts);
    paths.push(...command.paths);
  } else if (parsed.action === DELEGATE_ACTION) {
    // A target that is no persona name gets no fact, and the rules refuse it.
    const persona = delegationPersona(parsed.target);
    if (persona !== null)
      facts.push({ predicate: 'delegation_persona', args: [id, nameValue(`/${persona}`)] });
  } else {
    // Unknown actions too: a user rule may allow one and still want its target judged.
    paths.push(parsed.target);
  }
  const judged = new Set<string>();
  const judge = (path: string): void => {
    if (judged.has(path)) return;
    judged.add(path);
    const verdict = workspace.judge(path);
    facts.push(...pathFacts(path, verdict));
    // Rules ask whether a glob's directory is the root, so it needs facts of its own.
    if (verdict.globBase !== undefined) judge(verdict.globBase);
  };
  for (const path of paths) judge(path);
  return dedupe(facts);
}

/** The kernel's assert is idempotent, but a decision retracts what it asserted: once each. */
function dedupe(facts: readonly FactInput[]): FactInput[] {
  const seen = new Set<string>();
  return facts.filter((fact) => {
    const key = `${fact.predicate}(${fact.args.map(valueKey).join(',')})`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
