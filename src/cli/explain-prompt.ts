/**
 * `nerdloop explain-prompt "<task>"`: the system prompt nerdloop would compile
 * for a task, with why each atom was chosen or left out.
 * `nerdloop route "<task>"`: the intent, the persona and the kernel's proof.
 */

import { renderProofs } from '../kernel/index.js';
import { formatAtomLoadError } from '../prompt/index.js';
import { NerdloopCommand, outputOf, runCommand } from './command.js';
import { type Oriented, orient } from './orient.js';

type Flags = { workspace: string; json?: boolean };

function intentLine(oriented: Oriented): string {
  const { intent } = oriented;
  const target = intent.target ? `  target ${JSON.stringify(intent.target)}` : '';
  const constraint = intent.constraint ? `  constraint ${JSON.stringify(intent.constraint)}` : '';
  return `intent   ${intent.category} ${intent.verb}${target}${constraint}  (confidence ${intent.confidence.toFixed(2)}, ${intent.source})`;
}

export function renderRoute(oriented: Oriented): string {
  const lines = [
    intentLine(oriented),
    `persona  ${oriented.config.persona}`,
    `tools    ${oriented.config.tools.join(', ') || '(none)'}`,
    `policy   sandbox ${oriented.config.policy.sandbox}, approval ${oriented.config.policy.approval}`,
    '',
    'why this persona:',
    oriented.routing ? renderProofs([oriented.routing]) : '(no proof: the persona was not derived)',
  ];
  for (const note of oriented.notes) lines.push(`note     ${note.code}: ${note.message}`);
  return `${lines.join('\n')}\n`;
}

export function renderExplainPrompt(oriented: Oriented): string {
  const { prompt } = oriented;
  const width = Math.max(4, ...prompt.atoms.map((atom) => atom.id.length));
  const lines = [
    intentLine(oriented),
    `persona  ${oriented.config.persona}`,
    `prompt   ${prompt.tokens} of ${prompt.budget} tokens, ${prompt.atoms.length} atoms`,
    '',
    'chosen:',
    ...prompt.atoms.map(
      (atom) => `  ${atom.id.padEnd(width)}  ${atom.variant.padEnd(7)}  ${atom.reason}`,
    ),
    '',
    'left out:',
    ...(prompt.excluded.length === 0
      ? ['  (none)']
      : prompt.excluded.map((atom) => `  ${atom.id.padEnd(width)}  ${atom.reason}`)),
  ];
  if (oriented.atomErrors.length > 0) {
    lines.push('', 'atom files with errors (those atoms were skipped):');
    for (const error of oriented.atomErrors) lines.push(`  ${formatAtomLoadError(error)}`);
  }
  lines.push('', '--- prompt ---', prompt.prompt, '--- end ---');
  return `${lines.join('\n')}\n`;
}

function orientingCommand(
  name: string,
  description: string,
  render: (oriented: Oriented) => string,
  json: (oriented: Oriented) => unknown,
): NerdloopCommand {
  return new NerdloopCommand(name)
    .description(description)
    .argument('<task>', 'the task, in plain words')
    .option('--workspace <dir>', 'the workspace the task is about', '.')
    .option('--json', 'print JSON instead of text')
    .action(async (task: string, flags: Flags, command: NerdloopCommand) => {
      await runCommand(command, async () => {
        const oriented = await orient(task, flags.workspace);
        outputOf(command).out(
          flags.json ? `${JSON.stringify(json(oriented), null, 2)}\n` : render(oriented),
        );
      });
    });
}

export function explainPromptCommand(): NerdloopCommand {
  return orientingCommand(
    'explain-prompt',
    'print the system prompt compiled for a task, with why each atom was chosen or left out',
    renderExplainPrompt,
    (oriented) => ({
      intent: oriented.intent,
      config: oriented.config,
      prompt: oriented.prompt,
      atomErrors: oriented.atomErrors,
    }),
  );
}

export function routeCommand(): NerdloopCommand {
  return orientingCommand(
    'route',
    "print a task's intent, the persona the rules route it to, and the rules' proof",
    renderRoute,
    (oriented) => ({
      intent: oriented.intent,
      notes: oriented.notes,
      config: oriented.config,
      routing: oriented.routing,
    }),
  );
}
