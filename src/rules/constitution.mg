# The constitution: which pending tool actions an agent may carry out.
#
# Deny by default. `permitted` is derived only from an explicit `allowed` rule,
# and only when no `denied` reason holds and no user `forbidden` rule fires.
# Every action that is not permitted has at least one `blocked(Id, Reason)`,
# so "why not?" always has an answer.
#
# Inputs, asserted per decision by the TypeScript preparer (actionFacts), which
# does what Datalog cannot: split command lines, resolve and normalise paths,
# follow symlinks. Paths are keyed by the text the action used ("src/a.ts",
# "../x", "/etc/passwd"); the preparer says what that text resolves to.
#
# Outputs:
#   permitted(Action, Target, Payload)   the action may run
#   blocked(Id, Reason)                  why it may not: /sensitive_path,
#       /outside_workspace, /workspace_root, /dangerous_command, /empty_command,
#       /forbidden, /persona_not_allowed, /unknown_action, /no_allow_rule,
#       /delegation_escalates, /unknown_persona
#   dangerous_command(Id, Kind)          which command check fired
#
# Extending from a user file loaded together with this one:
#   - facts for the tables (`network_program("httpie").`, `class_persona(/exec, /reviewer).`);
#   - `forbidden(Id) :- …` to veto actions (reported as /forbidden);
#   - `denied(Id, /my_reason) :- …` to veto with a reason of your own;
#   - `allowed(Id) :- …` to allow what no shipped rule allows. An allow rule
#     never overrides a denial: safety checks always win.
# A user file must not `Decl` these predicates again.

# ------------------------------------------------------------------ inputs

Decl pending_action(Id, Action, Target, Payload, Time)
  descr [
    doc("A tool call waiting for a verdict. Target is a path, or the command line for /run_command. Time is in ms."),
    mode("+", "+", "+", "+", "+")
  ]
  bound [/string, /name, /string, /string, /number].

Decl action_persona(Id, Persona)
  descr [doc("The persona of the agent that wants to run the action.")]
  bound [/string, /name].

Decl path_inside_workspace(Path)
  descr [doc("The path, resolved against the workspace root with .. and symlinks followed, is the root or under it.")]
  bound [/string].

Decl path_is_workspace_root(Path)
  descr [doc("The path resolves to the workspace root itself.")]
  bound [/string].

Decl path_basename(Path, Base)
  descr [doc("The last segment of the path as written, as resolved, and of the file a symlink points at.")]
  bound [/string, /string].

Decl path_segment(Path, Segment)
  descr [doc("Each directory or file name along the path as written and, inside the workspace, along its resolved form.")]
  bound [/string, /string].

Decl path_glob_base(Path, Base)
  descr [doc("The path is a glob; Base is the directory it expands in (\".\" for \"*\").")]
  bound [/string, /string].

Decl command_segment(Id, Seg, Text)
  descr [doc("One simple command of the command line, numbered from 0, whitespace normalised.")]
  bound [/string, /number, /string].

Decl command_program(Id, Seg, Program)
  descr [doc("The basename of the segment's argv[0]: /bin/rm is \"rm\".")]
  bound [/string, /number, /string].

Decl command_flag(Id, Seg, Flag)
  descr [doc("Options without dashes: -rf gives \"r\" and \"f\", --force=x gives \"force\".")]
  bound [/string, /number, /string].

Decl command_arg(Id, Seg, Arg)
  descr [doc("Operands (not flags) after the program, quotes removed.")]
  bound [/string, /number, /string].

Decl command_path(Id, Seg, Path)
  descr [doc("Operands that may name a file, with a preceding cd applied.")]
  bound [/string, /number, /string].

Decl command_last_path(Id, Seg, Path)
  descr [doc("The last path operand: the destination of cp, mv, ln, install, rsync.")]
  bound [/string, /number, /string].

Decl command_redirect(Id, Seg, Path)
  descr [doc("An output redirect target (>, >>, 2>, &>).")]
  bound [/string, /number, /string].

Decl command_wraps(Id, Outer, Inner)
  descr [doc("Segment Outer runs segment Inner: bash -c, sudo, env, nohup, time, xargs, find -exec, …")]
  bound [/string, /number, /number].

Decl command_args_from_input(Id, Seg)
  descr [doc("Some of the segment's operands arrive on standard input (xargs), so nobody can see them.")]
  bound [/string, /number].

Decl command_substitution(Id)
  descr [doc("The command line uses $(…), backticks, <(…), >(…) or eval.")]
  bound [/string].

Decl command_unanalyzable(Id)
  descr [doc("The command line cannot be read: an unterminated quote, a trailing backslash, a program named by a variable, wrappers nested too deep.")]
  bound [/string].

Decl delegation_persona(Id, Persona)
  descr [doc("The persona a /delegate action asks its sub-agent to have; absent when the target names none.")]
  bound [/string, /name].

# Declared so the predicate exists, and `!forbidden(Id)` can be read, even
# when no user file adds a rule for it.
Decl forbidden(Id)
  descr [doc("User veto: an action no allow rule can rescue.")]
  bound [/string].

# -------------------------------------------------------- action classes

action_class(/read_file, /read).
action_class(/list_files, /read).
action_class(/search, /read).
action_class(/write_file, /write).
action_class(/edit_file, /write).
action_class(/delete_file, /write).
action_class(/run_command, /exec).
action_class(/delegate, /delegate).

# Classes whose target is a path (for /run_command it is a command line).
path_class(/read).
path_class(/write).

known_action(Action) :- action_class(Action, _).

# Everyone may look. Only the personas whose job is to change the tree may
# change it: a reviewer or researcher that writes has left its role.
class_persona(/read, /coder).
class_persona(/read, /tester).
class_persona(/read, /reviewer).
class_persona(/read, /researcher).
class_persona(/write, /coder).
class_persona(/write, /tester).
class_persona(/exec, /coder).
class_persona(/exec, /tester).
# Anyone may hand work on; what the sub-agent may do is bounded below.
class_persona(/delegate, /coder).
class_persona(/delegate, /tester).
class_persona(/delegate, /reviewer).
class_persona(/delegate, /researcher).

persona_may(Id) :-
  pending_action(Id, Action, _, _, _),
  action_class(Action, Class),
  action_persona(Id, Persona),
  class_persona(Class, Persona).

# ----------------------------------------------------------- allow rules

allowed(Id) :-
  pending_action(Id, Action, Target, _, _),
  action_class(Action, /read),
  persona_may(Id),
  path_inside_workspace(Target).

allowed(Id) :-
  pending_action(Id, Action, Target, _, _),
  action_class(Action, /write),
  persona_may(Id),
  path_inside_workspace(Target).

# Commands are allowed per persona here; what they do is checked by the
# dangerous_command rules below, which always win.
allowed(Id) :-
  pending_action(Id, Action, _, _, _),
  action_class(Action, /exec),
  persona_may(Id).

allowed(Id) :-
  pending_action(Id, Action, _, _, _),
  action_class(Action, /delegate),
  persona_may(Id).

# --------------------------------------------------------- delegation

# A sub-agent must not hold a kind of action its delegator lacks: a reviewer
# that cannot write cannot get a coder to write for it.
known_persona(Persona) :- class_persona(_, Persona).

delegation_escalates(Id) :-
  delegation_persona(Id, Child),
  action_persona(Id, Parent),
  class_persona(Class, Child),
  !class_persona(Class, Parent).

# --------------------------------------------------------- sensitive files

# Secrets leak through reads as much as through writes: once a key is in the
# model's context it can end up in a log, a commit or a prompt.
sensitive_basename(".env").
sensitive_basename("id_rsa").
sensitive_basename("id_dsa").
sensitive_basename("id_ecdsa").
sensitive_basename("id_ed25519").
sensitive_basename(".npmrc").
sensitive_basename(".netrc").
sensitive_basename(".pypirc").
sensitive_basename(".pgpass").
sensitive_basename(".git-credentials").

# .env.local, .env.production, … (.env.example too: it is too often a copy).
sensitive_basename_prefix(".env.").

sensitive_extension(".pem").
sensitive_extension(".key").
sensitive_extension(".p12").
sensitive_extension(".pfx").

sensitive_directory(".ssh").
sensitive_directory(".aws").
sensitive_directory(".gnupg").

sensitive_path(Path) :- path_basename(Path, Base), sensitive_basename(Base).
sensitive_path(Path) :-
  path_basename(Path, Base),
  sensitive_basename_prefix(Prefix),
  :string:starts_with(Base, Prefix).
sensitive_path(Path) :-
  path_basename(Path, Base),
  sensitive_extension(Extension),
  :string:ends_with(Base, Extension).
sensitive_path(Path) :- path_segment(Path, Segment), sensitive_directory(Segment).
# The shell expands globs we cannot see. A pattern that names a hidden file
# (`.e*`, `.*`) or a key (`id_*`) can reach a secret; `*` alone skips dotfiles.
sensitive_path(Path) :-
  path_glob_base(Path, _),
  path_basename(Path, Base),
  :string:starts_with(Base, ".").
sensitive_path(Path) :-
  path_glob_base(Path, _),
  path_basename(Path, Base),
  :string:starts_with(Base, "id_").

# Every path an action touches: a file action's target, a command's operands
# and redirect targets.
action_path(Id, Target) :-
  pending_action(Id, Action, Target, _, _),
  action_class(Action, Class),
  path_class(Class).
action_path(Id, Path) :- command_path(Id, _, Path).
action_path(Id, Path) :- command_redirect(Id, _, Path).

# ------------------------------------------------------- dangerous commands

has_arg(Id, Seg) :- command_arg(Id, Seg, _).
wraps_command(Id, Seg) :- command_wraps(Id, Seg, _).
has_segment(Id) :- command_segment(Id, _, _).

# Writes outside the workspace a command may still make: the bit bucket and
# the terminal.
harmless_sink("/dev/null").
harmless_sink("/dev/stdout").
harmless_sink("/dev/stderr").
harmless_sink("/dev/tty").

recursive_flag("r").
recursive_flag("R").
recursive_flag("recursive").

deletes_recursively(Id, Seg) :-
  command_program(Id, Seg, "rm"),
  command_flag(Id, Seg, Flag),
  recursive_flag(Flag).
deletes_recursively(Id, Seg) :-
  command_program(Id, Seg, "find"),
  command_flag(Id, Seg, "delete").
# rimraf, usually through npx, is rm -rf for JavaScript projects.
deletes_recursively(Id, Seg) :- command_program(Id, Seg, "rimraf").

# The workspace root, anything outside it, or a glob over the root: each
# destroys more than a task could mean to.
dangerous_command(Id, /recursive_delete) :-
  deletes_recursively(Id, Seg),
  command_path(Id, Seg, Path),
  path_is_workspace_root(Path).
dangerous_command(Id, /recursive_delete) :-
  deletes_recursively(Id, Seg),
  command_path(Id, Seg, Path),
  !path_inside_workspace(Path).
dangerous_command(Id, /recursive_delete) :-
  deletes_recursively(Id, Seg),
  command_path(Id, Seg, Path),
  path_glob_base(Path, Base),
  path_is_workspace_root(Base).

# Programs that change every file they are given.
modifying_program("rm").
modifying_program("rmdir").
modifying_program("unlink").
modifying_program("shred").
modifying_program("truncate").
modifying_program("touch").
modifying_program("mkdir").
modifying_program("tee").
modifying_program("chmod").
modifying_program("chown").
modifying_program("chgrp").
modifying_program("mv").
modifying_program("rimraf").

# Programs that change only their destination: the last path, or the
# directory named by -t / --target-directory.
copying_program("cp").
copying_program("ln").
copying_program("install").
copying_program("rsync").

target_directory_flag("t").
target_directory_flag("target-directory").

in_place_flag("i").
in_place_flag("in-place").

command_writes(Id, Seg, Path) :-
  command_program(Id, Seg, Program),
  modifying_program(Program),
  command_path(Id, Seg, Path).
command_writes(Id, Seg, Path) :-
  command_program(Id, Seg, Program),
  copying_program(Program),
  command_last_path(Id, Seg, Path).
command_writes(Id, Seg, Path) :-
  command_program(Id, Seg, Program),
  copying_program(Program),
  command_flag(Id, Seg, Flag),
  target_directory_flag(Flag),
  command_path(Id, Seg, Path).
command_writes(Id, Seg, Path) :-
  command_program(Id, Seg, "sed"),
  command_flag(Id, Seg, Flag),
  in_place_flag(Flag),
  command_path(Id, Seg, Path).
command_writes(Id, Seg, Path) :- command_redirect(Id, Seg, Path).
command_writes(Id, Seg, Path) :-
  command_program(Id, Seg, "dd"),
  command_arg(Id, Seg, Arg),
  :string:starts_with(Arg, "of="),
  Path = fn:string:replace(Arg, "of=", "", 1).

dangerous_command(Id, /write_outside_workspace) :-
  command_writes(Id, _, Path),
  !path_inside_workspace(Path),
  !harmless_sink(Path).

# Rewriting shared history loses other people's work and cannot be undone
# from here; deleting remote branches likewise.
git_push(Id, Seg) :- command_program(Id, Seg, "git"), command_arg(Id, Seg, "push").

force_push_flag("force").
force_push_flag("f").
force_push_flag("force-with-lease").
force_push_flag("force-if-includes").
force_push_flag("mirror").
force_push_flag("delete").
force_push_flag("d").
force_push_flag("prune").

dangerous_command(Id, /force_push) :-
  git_push(Id, Seg),
  command_flag(Id, Seg, Flag),
  force_push_flag(Flag).
# `git push origin +main` forces that one ref.
dangerous_command(Id, /force_push) :-
  git_push(Id, Seg),
  command_arg(Id, Seg, Arg),
  :string:starts_with(Arg, "+").
# `git push origin :main` deletes it.
dangerous_command(Id, /force_push) :-
  git_push(Id, Seg),
  command_arg(Id, Seg, Arg),
  :string:starts_with(Arg, ":").

# The agent works on the workspace; talking to other hosts is how data leaves
# and how unreviewed code arrives.
network_program("curl").
network_program("wget").
network_program("nc").
network_program("ncat").
network_program("netcat").
network_program("ssh").
network_program("scp").
network_program("sftp").
network_program("ftp").
network_program("telnet").
network_program("socat").

dangerous_command(Id, /network) :-
  command_program(Id, _, Program),
  network_program(Program).
# rsync is a local copy unless a side is remote: host:path or rsync://.
dangerous_command(Id, /network) :-
  command_program(Id, Seg, "rsync"),
  command_arg(Id, Seg, Arg),
  :string:contains(Arg, ":").

privilege_program("sudo").
privilege_program("su").
privilege_program("doas").
privilege_program("pkexec").

dangerous_command(Id, /privilege) :-
  command_program(Id, _, Program),
  privilege_program(Program).

disk_program("fdisk").
disk_program("sfdisk").
disk_program("parted").
disk_program("wipefs").
disk_program("mkswap").

dangerous_command(Id, /disk_write) :- command_program(Id, _, Program), disk_program(Program).
# mkfs, mkfs.ext4, mkfs.vfat, …
dangerous_command(Id, /disk_write) :-
  command_program(Id, _, Program),
  :string:starts_with(Program, "mkfs").
dangerous_command(Id, /disk_write) :-
  command_writes(Id, _, Path),
  :string:starts_with(Path, "/dev/"),
  !harmless_sink(Path).

power_program("shutdown").
power_program("reboot").
power_program("halt").
power_program("poweroff").

power_verb("reboot").
power_verb("poweroff").
power_verb("halt").
power_verb("kexec").

dangerous_command(Id, /system_power) :-
  command_program(Id, _, Program),
  power_program(Program).
dangerous_command(Id, /system_power) :-
  command_program(Id, Seg, "systemctl"),
  command_arg(Id, Seg, Verb),
  power_verb(Verb).

# What the preparer cannot see, these rules cannot judge; so it is refused.
dangerous_command(Id, /unanalyzable) :- command_substitution(Id).
dangerous_command(Id, /unanalyzable) :- command_unanalyzable(Id).

shell_program("sh").
shell_program("bash").
shell_program("zsh").
shell_program("dash").
shell_program("ksh").
shell_program("fish").
shell_program("csh").
shell_program("tcsh").

# A shell given neither -c nor a script runs whatever arrives on its input:
# `curl … | sh`, `echo "rm -rf /" | bash`.
dangerous_command(Id, /unanalyzable) :-
  command_program(Id, Seg, Program),
  shell_program(Program),
  !wraps_command(Id, Seg),
  !has_arg(Id, Seg).

# Inline programs for an interpreter do anything a shell can, in a language
# these rules do not read.
inline_code_program("python").
inline_code_program("python3").
inline_code_program("node").
inline_code_program("perl").
inline_code_program("ruby").
inline_code_program("php").

inline_code_flag("c").
inline_code_flag("e").
inline_code_flag("eval").
inline_code_flag("p").
inline_code_flag("print").

dangerous_command(Id, /unanalyzable) :-
  command_program(Id, Seg, Program),
  inline_code_program(Program),
  command_flag(Id, Seg, Flag),
  inline_code_flag(Flag).

# `… | xargs rm`: the files to change arrive on the pipe.
dangerous_command(Id, /unanalyzable) :-
  command_args_from_input(Id, Seg),
  command_program(Id, Seg, Program),
  modifying_program(Program).
dangerous_command(Id, /unanalyzable) :-
  command_args_from_input(Id, Seg),
  command_program(Id, Seg, Program),
  copying_program(Program).

# ------------------------------------------------------------- verdicts

# Denials: safety reasons that hold whatever the allow rules say.
denied(Id, /sensitive_path) :- action_path(Id, Path), sensitive_path(Path).
denied(Id, /outside_workspace) :-
  pending_action(Id, Action, Target, _, _),
  action_class(Action, Class),
  path_class(Class),
  !path_inside_workspace(Target).
# Deleting or overwriting the root as a file is never one task's business.
denied(Id, /workspace_root) :-
  pending_action(Id, Action, Target, _, _),
  action_class(Action, /write),
  path_is_workspace_root(Target).
denied(Id, /dangerous_command) :- dangerous_command(Id, _).
denied(Id, /empty_command) :-
  pending_action(Id, Action, _, _, _),
  action_class(Action, /exec),
  !has_segment(Id).
denied(Id, /forbidden) :- forbidden(Id).
denied(Id, /delegation_escalates) :- delegation_escalates(Id).
denied(Id, /unknown_persona) :-
  pending_action(Id, Action, _, _, _),
  action_class(Action, /delegate),
  !delegation_persona_known(Id).

delegation_persona_known(Id) :- delegation_persona(Id, Persona), known_persona(Persona).

# Refusals: no allow rule matched, and here is the likely reason. A user allow
# rule that matches silences them.
refusal(Id, /unknown_action) :-
  pending_action(Id, Action, _, _, _),
  !known_action(Action),
  !allowed(Id).
refusal(Id, /persona_not_allowed) :-
  pending_action(Id, Action, _, _, _),
  known_action(Action),
  !persona_may(Id),
  !allowed(Id).

explained(Id) :- denied(Id, _).
explained(Id) :- refusal(Id, _).

blocked(Id, Reason) :- denied(Id, Reason).
blocked(Id, Reason) :- refusal(Id, Reason).
# Deny by default, and say so, when nothing more specific applies (an action
# class added by a user file without an allow rule).
blocked(Id, /no_allow_rule) :-
  pending_action(Id, _, _, _, _),
  !allowed(Id),
  !explained(Id).

is_blocked(Id) :- blocked(Id, _).

permitted(Action, Target, Payload) :-
  pending_action(Id, Action, Target, Payload, _),
  allowed(Id),
  !forbidden(Id),
  !is_blocked(Id).
