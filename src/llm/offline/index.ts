/**
 * The offline model: a deterministic, rule-based `ChatModel`, the default when
 * no LLM endpoint is configured, so `nerdloop` works on a fresh machine with
 * no network. It drives the loop honestly: it makes real tool calls, the loop
 * runs them against the workspace and sends the results back as `tool`
 * messages, and each step is a pure function of the request's messages and
 * offered tools (the same request always gets the same answer).
 *
 * Conventions it relies on (the JIT prompt compiler emits them):
 *
 * - Brief lines in the system message(s), first occurrence wins:
 *   `Persona: /coder|/tester|/reviewer|/researcher`, optionally
 *   `Target: <path or symbol>`, optionally `Test command: <cmd>`.
 *   Without them: persona /coder (or a `/persona` word starting the last user
 *   message); target from the last user message, a backquoted name first,
 *   else the first path-like word (`src/a.ts`, `main.py`).
 * - Tools, by name; only tools in `request.tools` are called (`toolChoice:
 *   'none'` offers none, a named choice only that one). A needed tool that is
 *   missing is named in the answer. Arguments are those the VirtualStore's
 *   tools accept (`src/store/`), and each tool message is read as the JSON
 *   the store's `toolOutcomeContent` writes: the result object, or
 *   `{ "error": { code, message } }`, which is noted and treated as empty.
 *   - `list_files` {path, recursive} → `{ entries: [{ path, type, size }], truncated }`
 *   - `read_file` {path} → `{ content, totalLines, truncated, … }`
 *   - `search` {pattern, contextLines: 0} → `{ matches: [{ path, line, text, … }], truncated, … }`;
 *     the pattern is the target text with regex metacharacters escaped
 *   - `run_command` {command} → `{ exitCode, signal, stdout, stderr, stdoutTruncated,
 *     stderrTruncated, timedOut, cancelled, abandoned, … }`
 *   - `write_file`, `edit_file` may be offered; the offline model never writes.
 *   Results cut short (`truncated`) are noted; fields of the wrong type are
 *   skipped and counted, never thrown on.
 * - A turn starts at the last user message. Each step returns tool calls
 *   (finishReason `tool_calls`) or a final answer (`stop`). Progress is read
 *   back from the tool results in the turn, matched to earlier calls by
 *   `toolCallId`; a call is recognised by its tool name and arguments.
 *   Call ids are `offline_<assistant message number>_<n>`.
 * - Every final answer starts with `OFFLINE_DISCLAIMER`. Notes at its end say
 *   what was missing or unreadable (a tool not offered, a tool error, an
 *   oversized, non-JSON or unanswered result, entries that did not follow a
 *   tool's format, a result cut short).
 * - Usage: ceil(characters / 4) of the prompt (message contents, tool calls'
 *   names and raw arguments, offered tools' names and descriptions) and of the
 *   output (text plus tool calls' names and raw arguments).
 * - `stream()` is cold and emits the same completion as `complete()`: text
 *   deltas, per tool call its `tool_call_delta`s then `tool_call`, `usage`,
 *   `done`. An aborted signal rejects / errors with `LlmCancelled`.
 *   `temperature` and `maxTokens` are ignored: answers are never cut.
 *
 * Personas:
 * - /reviewer: `list_files('.', recursive)`, read up to `maxFilesToRead`
 *   source files (code under src/lib/app/pkg/internal/cmd, then other code,
 *   then tests; node_modules, .git, dist, lockfiles and binaries skipped; a
 *   path `Target:` or a listed folder narrows the scope), then report
 *   TODO/FIXME/XXX markers (opening a comment, or `TODO:`), named functions
 *   over `longFunctionLines` (brace matching; Python by indentation), files
 *   over `longFileLines`, and source files no test is named after (by stem or
 *   folder: `test/kernel.test.ts` covers `src/kernel/**`).
 * - /tester: run `Test command:`, or one guessed from the workspace root and
 *   package.json (npm test script → vitest → jest → go → cargo → pytest);
 *   report pass/fail, the exit code and the last lines of stdout and of stderr.
 * - /researcher: search the target and its words, read the best files
 *   (where it is defined first, then by matches), list where the target is
 *   defined and used.
 * - /coder: find and read the target, show what is there, and say that editing
 *   needs a real model (OPENAI_BASE_URL, OPENAI_API_KEY, NERDLOOP_MODEL).
 */

export { type Finding, type FindingKind, sortFindings } from './analyzers/findings.js';
export { findLongFile } from './analyzers/long-files.js';
export { findLongFunctions } from './analyzers/long-functions.js';
export { findUntestedSources } from './analyzers/missing-tests.js';
export { scanTodos } from './analyzers/todos.js';
export { type Brief, PERSONAS, type Persona, readBrief, type Target } from './brief.js';
export { OFFLINE_DISCLAIMER, REAL_MODEL_HINT } from './format.js';
export { createOfflineModel, OFFLINE_MODEL_ID } from './model.js';
export {
  InvalidOfflineOptionsError,
  type OfflineModelOptions,
  offlineOptionsSchema,
} from './options.js';
export { guessTestCommand, type TestCommandGuess } from './test-command.js';
export { TOOL, type ToolName } from './tools.js';
export { CHARS_PER_TOKEN } from './usage.js';
