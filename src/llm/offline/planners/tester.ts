/**
 * /tester: run the test command (the brief's, or one guessed from the
 * workspace root) and report pass/fail with the exit code and the output's tail.
 */
import type { PlanContext, Step } from '../context.js';
import { fenced } from '../format.js';
import { parseCommandResult, parseListing } from '../results.js';
import { guessTestCommand, readPackageJson } from '../test-command.js';
import { listFiles, readFile, runCommand } from '../tools.js';

type Chosen = { readonly command: string; readonly reason: string };

type Choice =
  | ({ readonly kind: 'command' } & Chosen)
  | { readonly kind: 'none'; readonly reason: string }
  /** More must be gathered before a command can be chosen. */
  | { readonly kind: 'gather'; readonly step: Step };

export function planTests(ctx: PlanContext): Step {
  const chosen = chooseCommand(ctx);
  if (chosen.kind === 'gather') return chosen.step;
  if (chosen.kind === 'none') return noCommand(ctx, chosen.reason);

  const run = runCommand(chosen.command);
  const output = ctx.result(run);
  if (output === undefined) {
    const step = ctx.ask([run], `Running the tests: ${chosen.command}`);
    if (step !== null) return step;
    return {
      kind: 'answer',
      body: `The tests were not run. The command would be \`${chosen.command}\` (${chosen.reason}).`,
    };
  }
  return { kind: 'answer', body: report(ctx, chosen, output) };
}

function chooseCommand(ctx: PlanContext): Choice {
  const declared = ctx.brief.testCommand;
  if (declared !== null) {
    return { kind: 'command', command: declared, reason: 'the brief names it' };
  }

  const listCall = listFiles('.', false);
  const listing = ctx.result(listCall);
  if (listing === undefined) {
    const step = ctx.ask([listCall], 'Listing the workspace root to find how tests run.');
    if (step !== null) return { kind: 'gather', step };
  }
  const listed = parseListing(listing ?? '').items;
  let packageText: string | undefined;
  if (listed.includes('package.json')) {
    const readCall = readFile('package.json');
    packageText = ctx.result(readCall);
    if (packageText === undefined) {
      const step = ctx.ask([readCall], 'Reading package.json to find the test script.');
      if (step !== null) return { kind: 'gather', step };
    }
  }
  const pkg = readPackageJson(packageText);
  if (pkg.problem !== null) ctx.note(`${pkg.problem}; its scripts were ignored.`);
  const guess = guessTestCommand(listed, pkg.json);
  return guess.command === null
    ? { kind: 'none', reason: guess.reason }
    : { kind: 'command', command: guess.command, reason: guess.reason };
}

function noCommand(ctx: PlanContext, reason: string): Step {
  ctx.note('Add a line `Test command: <command>` to the brief to say how tests run.');
  return {
    kind: 'answer',
    body: `The tests were not run: no test command was given and none could be inferred (${reason}).`,
  };
}

function report(ctx: PlanContext, chosen: Chosen, output: string): string {
  const result = parseCommandResult(output);
  const tail = result.lines.slice(-ctx.settings.outputTailLines);
  const verdict =
    result.exitCode === null
      ? 'Test result UNKNOWN: the command output did not end with an `exit code: N` line.'
      : result.exitCode === 0
        ? 'Tests PASSED (exit code 0).'
        : `Tests FAILED (exit code ${result.exitCode}).`;
  const quoted =
    tail.length === 0
      ? 'The command printed nothing.'
      : `Last ${tail.length} lines of output:\n${fenced(tail)}`;
  return [verdict, `Command: \`${chosen.command}\` (${chosen.reason}).`, quoted].join('\n\n');
}
