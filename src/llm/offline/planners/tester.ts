/**
 * /tester: run the test command (the brief's, or one guessed from the
 * workspace root) and report pass/fail with the exit code and the tail of
 * stdout and of stderr (quoted apart: how they interleaved is not known).
 */
import type { PlanContext, Step } from '../context.js';
import { fenced } from '../format.js';
import { type CommandResult, readCommand, readContent, readListing } from '../results.js';
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
  const output = readCommand(ctx, run);
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
  const listing = readListing(ctx, listCall);
  if (listing === undefined) {
    const step = ctx.ask([listCall], 'Listing the workspace root to find how tests run.');
    if (step !== null) return { kind: 'gather', step };
  }
  const listed = listing?.files ?? [];
  let packageText: string | undefined;
  if (listed.includes('package.json')) {
    const readCall = readFile('package.json');
    const file = readContent(ctx, readCall);
    if (file === undefined) {
      const step = ctx.ask([readCall], 'Reading package.json to find the test script.');
      if (step !== null) return { kind: 'gather', step };
    }
    packageText = file?.text;
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

function report(ctx: PlanContext, chosen: Chosen, result: CommandResult | null): string {
  const command = `Command: \`${chosen.command}\` (${chosen.reason}).`;
  if (result === null) {
    return [
      'Test result UNKNOWN: `run_command` returned no usable result (see the notes).',
      command,
    ].join('\n\n');
  }
  const tails = (['stdout', 'stderr'] as const).flatMap((stream) => {
    const lines = outputLines(result[stream]).slice(-ctx.settings.outputTailLines);
    return lines.length === 0 ? [] : [`Last ${lines.length} lines of ${stream}:\n${fenced(lines)}`];
  });
  return [
    verdict(result),
    command,
    ...(tails.length === 0 ? ['The command printed nothing.'] : tails),
  ].join('\n\n');
}

function verdict(result: CommandResult): string {
  if (result.exitCode === 0) return 'Tests PASSED (exit code 0).';
  if (result.exitCode !== null) return `Tests FAILED (exit code ${result.exitCode}).`;
  const why = result.timedOut
    ? 'the command timed out and was killed'
    : result.cancelled
      ? 'the command was cancelled'
      : result.abandoned
        ? 'the command could not be ended and was abandoned'
        : result.signal !== null
          ? `the command was ended by ${result.signal}`
          : 'the command returned no exit code';
  return `Test result UNKNOWN: ${why}.`;
}

/** The output's lines, without the blank ones at its end. */
function outputLines(text: string): string[] {
  const lines = text.split(/\r?\n/);
  while (lines.length > 0 && (lines[lines.length - 1] ?? '').trim() === '') lines.pop();
  return lines;
}
