# Intent routing: which persona handles a user intent, what kind of work it
# is, which tools that work may use, and how to run the project's tests.
#
# Inputs (asserted by the runtime):
#   user_intent(Id, Category, Verb, Target, Constraint)   from the Transducer
#   intent_persona(Id, Persona)                            the agent's own persona, if it has one
#   file_exists(Path)                                      workspace-relative paths
#
# Outputs:
#   persona(Id, Persona)            /coder /tester /reviewer /researcher
#   intent_action_type(Id, Type)    /mutate /verify /analyze /investigate /answer /clarify
#   persona_tool(Persona, Tool)     the tools a persona may ever use
#   intent_tool(Id, Tool)           the tools this intent may use
#   test_framework(F)               frameworks detected from marker files
#   test_command(F, Cmd)            how each framework runs its tests
#   intent_test_command(Id, Cmd)    the command a /verify intent should run
#
# A user file loaded with this one may add facts to any table below
# (`verb_persona(/benchmark, /tester).`, `framework_marker("vite.config.ts", /vitest).`);
# it must not declare these predicates again.

Decl user_intent(Id, Category, Verb, Target, Constraint)
  descr [
    doc("A recognised user request. Target and Constraint are \"\" when absent."),
    mode("+", "+", "+", "+", "+")
  ]
  bound [/string, /name, /name, /string, /string].

Decl intent_persona(Id, Persona)
  descr [
    doc("The intent is handled by an agent that already has a persona (a SubAgent spawned as a reviewer, say): it keeps it, whatever the verb."),
    mode("+", "+")
  ]
  bound [/string, /name].

Decl file_exists(Path)
  descr [
    doc("A file in the workspace, as a path relative to the workspace root."),
    mode("+")
  ]
  bound [/string].

# ---------------------------------------------------------------- personas

# The verb table. It is data, not rules, so a user file can route a new verb
# by adding one fact instead of copying a rule.
verb_persona(/fix, /coder).
verb_persona(/implement, /coder).
verb_persona(/refactor, /coder).
verb_persona(/test, /tester).
verb_persona(/cover, /tester).
verb_persona(/verify, /tester).
verb_persona(/review, /reviewer).
verb_persona(/audit, /reviewer).
verb_persona(/research, /researcher).
verb_persona(/learn, /researcher).

verb_has_specialist(Verb) :- verb_persona(Verb, _).

# An agent's own persona wins over the verb: a reviewer asked to "fix" still
# reviews, so no wording of a task can buy an agent more than it was given.
persona(Id, Persona) :- user_intent(Id, _, _, _, _), intent_persona(Id, Persona).
has_intent_persona(Id) :- intent_persona(Id, _).

persona(Id, Persona) :-
  user_intent(Id, _, Verb, _, _),
  !has_intent_persona(Id),
  verb_persona(Verb, Persona).

# Every intent gets exactly one persona: a verb nobody claims still has to be
# handled by someone, and the coder is the generalist. Written as a negation
# (not as a fallback fact per verb) so a new specialist verb automatically
# stops falling through here.
persona(Id, /coder) :-
  user_intent(Id, _, Verb, _, _),
  !has_intent_persona(Id),
  !verb_has_specialist(Verb).

# ------------------------------------------------------------ action types

# What kind of work a persona does when asked to act.
persona_action_type(/coder, /mutate).
persona_action_type(/tester, /verify).
persona_action_type(/reviewer, /analyze).
persona_action_type(/researcher, /investigate).

# The category decides first: a question wants an answer whatever its verb
# ("how would I fix this?" must not edit files), and an intent the Transducer
# could not read wants a clarifying question, not a guess at an edit.
category_action_type(/question, /answer).
category_action_type(/unknown, /clarify).

has_category_action_type(Category) :- category_action_type(Category, _).

intent_action_type(Id, Type) :-
  user_intent(Id, Category, _, _, _),
  category_action_type(Category, Type).

intent_action_type(Id, Type) :-
  user_intent(Id, Category, _, _, _),
  !has_category_action_type(Category),
  persona(Id, Persona),
  persona_action_type(Persona, Type).

# ------------------------------------------------------------------- tools

read_only_tool(/read_file).
read_only_tool(/list_files).
read_only_tool(/search).

# Reviewers and researchers report; they never change the workspace, so a
# wrong conclusion from them costs a message, not a broken tree.
persona_tool(Persona, Tool) :- persona_action_type(Persona, _), read_only_tool(Tool).
persona_tool(/coder, /write_file).
persona_tool(/coder, /edit_file).
persona_tool(/coder, /run_command).
# Every persona may hand a sub-task to a sub-agent; the constitution bounds
# what that sub-agent may be.
persona_tool(Persona, /delegate) :- persona_action_type(Persona, _).
# Testers write test files and run the suite.
persona_tool(/tester, /write_file).
persona_tool(/tester, /edit_file).
persona_tool(/tester, /run_command).

# Answering and clarifying never need to change anything, even for a persona
# that could.
read_only_action_type(/answer).
read_only_action_type(/clarify).

intent_tool(Id, Tool) :-
  persona(Id, Persona),
  persona_tool(Persona, Tool),
  intent_action_type(Id, Type),
  !read_only_action_type(Type).

intent_tool(Id, Tool) :-
  persona(Id, Persona),
  persona_tool(Persona, Tool),
  intent_action_type(Id, Type),
  read_only_action_type(Type),
  read_only_tool(Tool).

# ---------------------------------------------------- test frameworks

# A framework is detected only from a file that names it. package.json is not
# evidence (every JS project has one, tested or not), and neither is
# pyproject.toml alone: it configures packaging, poetry, ruff, … and may hold
# no test setup at all. A Python project is pytest when it has pytest.ini or a
# root conftest.py; a user whose pyproject.toml configures pytest can say so
# with `framework_marker("pyproject.toml", /pytest).` in their own file.
# Markers are matched at the workspace root only: a config deeper down belongs
# to a sub-package, and the command below would not run it.
framework_marker("vitest.config.ts", /vitest).
framework_marker("vitest.config.js", /vitest).
framework_marker("vitest.config.mts", /vitest).
framework_marker("vitest.config.mjs", /vitest).
framework_marker("vitest.config.cts", /vitest).
framework_marker("vitest.config.cjs", /vitest).
framework_marker("jest.config.js", /jest).
framework_marker("jest.config.ts", /jest).
framework_marker("jest.config.mjs", /jest).
framework_marker("jest.config.cjs", /jest).
framework_marker("jest.config.json", /jest).
framework_marker(".mocharc.js", /mocha).
framework_marker(".mocharc.cjs", /mocha).
framework_marker(".mocharc.mjs", /mocha).
framework_marker(".mocharc.json", /mocha).
framework_marker(".mocharc.jsonc", /mocha).
framework_marker(".mocharc.yml", /mocha).
framework_marker(".mocharc.yaml", /mocha).
framework_marker("pytest.ini", /pytest).
framework_marker("conftest.py", /pytest).
framework_marker("go.mod", /go_test).
framework_marker("Cargo.toml", /cargo_test).

test_framework(Framework) :-
  framework_marker(File, Framework),
  file_exists(File).

has_test_framework() :- test_framework(_).

# Zero-arity and derived, so "why is there no test command?" has an answer
# to query instead of an empty result.
no_test_framework() :- !has_test_framework().

# Commands run from the workspace root without a shell wrapper, so the
# constitution's command checks see exactly this text.
test_command(/vitest, "npx vitest run").
test_command(/jest, "npx jest").
test_command(/mocha, "npx mocha").
test_command(/pytest, "python -m pytest").
test_command(/go_test, "go test ./...").
test_command(/cargo_test, "cargo test").

# Only intents that verify get a command: a tester asked a question answers
# it. A polyglot workspace gets one command per detected framework.
intent_test_command(Id, Command) :-
  intent_action_type(Id, /verify),
  test_framework(Framework),
  test_command(Framework, Command).

# package.json scripts, as world facts (`package_script("test", "node --test")`).
Decl package_script(Name, Command) bound [/string, /string].

# Without a framework marker, a package.json `test` script is how the project
# says it runs its tests (node's own runner, a Makefile wrapper, …).
intent_test_command(Id, "npm test") :-
  intent_action_type(Id, /verify),
  no_test_framework(),
  package_script("test", _).

# ---------------------------------------------------------------- languages
# Which languages the workspace and the intent's target are written in, from
# file extensions. The prompt compiler picks language atoms by these.

language_extension(".ts", /typescript).
language_extension(".tsx", /typescript).
language_extension(".mts", /typescript).
language_extension(".cts", /typescript).
language_extension(".js", /javascript).
language_extension(".jsx", /javascript).
language_extension(".mjs", /javascript).
language_extension(".cjs", /javascript).
language_extension(".py", /python).
language_extension(".go", /go).
language_extension(".rs", /rust).
language_extension(".java", /java).
language_extension(".rb", /ruby).

workspace_language(Language) :-
  file_exists(Path), language_extension(Extension, Language),
  :string:ends_with(Path, Extension).

# The target's own language, when the target is a file.
intent_language(Id, Language) :-
  user_intent(Id, _, _, Target, _), language_extension(Extension, Language),
  :string:ends_with(Target, Extension).

# World states (`tests_failing`, `dirty_worktree`, …) are asserted by the loop's
# OBSERVE stage; declared here so rules and the prompt compiler may read them.
Decl world_state(State).
