/**
 * The `nerdloop` command line. `buildCli()` returns the commander program, so
 * it can run in-process: tests call `.exitOverride()` and `.configureOutput()`
 * on it and parse with `{ from: 'user' }`.
 */
import { NerdloopCommand } from './command.js';
import { demoCommand } from './demo.js';
import { explainPromptCommand, routeCommand } from './explain-prompt.js';
import { machinesCommand } from './machines.js';
import { runTaskCommand } from './run.js';

export { type CliOutput, NerdloopCommand, outputOf } from './command.js';
export { type DemoOptions, type DemoReport, runDemo } from './demo.js';
export { type DemoPlan, type PlannedTask, planDemo } from './demo-plan.js';
export {
  createDemoTasks,
  DeliberateFailureError,
  type DemoPersona,
  type DemoResult,
  demoPersonas,
  TaskAbortedError,
  UnknownPersonaError,
} from './demo-tasks.js';
export {
  CliError,
  DemoIncompleteError,
  DemoInterruptedError,
  ExitCode,
  exitCodeOf,
  UnknownMachineError,
  WorkspaceError,
} from './errors.js';
export { renderExplainPrompt, renderRoute } from './explain-prompt.js';
export { type MachinesJson, type MachinesOptions, renderMachines } from './machines.js';
export { type Oriented, orient } from './orient.js';
export { type RunFlags, runTask } from './run.js';

export function buildCli(): NerdloopCommand {
  const program = new NerdloopCommand('nerdloop')
    .description('a runtime for coding agents: supervised XState actors')
    .showSuggestionAfterError()
    .addCommand(runTaskCommand())
    .addCommand(machinesCommand())
    .addCommand(demoCommand())
    .addCommand(routeCommand())
    .addCommand(explainPromptCommand());
  // Subcommands copy the program's settings when added, which is before a caller
  // applies exitOverride() or configureOutput(); copying again at dispatch makes
  // those reach the command that runs.
  program.hook('preSubcommand', (thisCommand, subcommand) => {
    subcommand.copyInheritedSettings(thisCommand);
  });
  return program;
}
