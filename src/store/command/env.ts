/**
 * The child's environment. The model can read anything a command prints, so
 * host secrets must not reach the child: names that look like credentials are
 * dropped unless the embedding app allowlists them by exact name.
 */

/** Exact names dropped besides the patterns below: agents and helpers that hand out credentials. */
export const SECRET_ENV_NAMES: readonly string[] = [
  'SSH_AUTH_SOCK',
  'SSH_AGENT_PID',
  'GPG_AGENT_INFO',
  'GIT_ASKPASS',
  'SSH_ASKPASS',
  'SUDO_ASKPASS',
  'DATABASE_URL',
  'KRB5CCNAME',
  'GITHUB_TOKEN',
  'GH_TOKEN',
  'NPM_TOKEN',
  'OPENAI_API_KEY',
  'ANTHROPIC_API_KEY',
];

/** Prefixes whose whole family is credentials or points at them. */
export const SECRET_ENV_PREFIXES: readonly string[] = ['AWS_'];

/** Dropped when they appear anywhere in the name (`DBPASSWORD`, `CLIENTSECRET`). */
export const SECRET_ENV_SUBSTRINGS: readonly string[] = [
  'PASSWORD',
  'PASSWD',
  'PASSPHRASE',
  'SECRET',
  'CREDENTIAL',
  'PRIVATE_KEY',
  'APIKEY',
];

/**
 * Dropped when they are a whole `_`-separated word (`FOO_TOKEN`, `KEY_ID`,
 * `NPM_CONFIG__AUTH`): matching words rather than substrings spares names such
 * as `TOKENIZERS_PARALLELISM` or `MONKEY_PATCH`.
 */
export const SECRET_ENV_WORDS: readonly string[] = [
  'KEY',
  'KEYS',
  'TOKEN',
  'TOKENS',
  'AUTH',
  'PASS',
  'COOKIE',
  'COOKIES',
];

/** Colour forcing would defeat `NO_COLOR`, which the child always gets. */
const COLOR_FORCING_NAMES: readonly string[] = ['FORCE_COLOR', 'CLICOLOR_FORCE'];

/** POSIX-portable variable names; anything else is refused in `env`. */
export const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Case-insensitive: `github_token` is as secret as `GITHUB_TOKEN`. */
export function isSecretEnvName(name: string): boolean {
  const upper = name.toUpperCase();
  if (SECRET_ENV_NAMES.includes(upper)) return true;
  if (SECRET_ENV_PREFIXES.some((prefix) => upper.startsWith(prefix))) return true;
  if (SECRET_ENV_SUBSTRINGS.some((part) => upper.includes(part))) return true;
  const words = upper.split('_');
  return SECRET_ENV_WORDS.some((word) => words.includes(word));
}

export type ChildEnvOptions = {
  /** Usually `process.env`, read when the command starts. */
  readonly base: NodeJS.ProcessEnv;
  /** Exact names kept even though they look secret. */
  readonly allow?: readonly string[];
  /** The caller's own variables, applied last; they are not scrubbed (the caller chose them). */
  readonly extra?: Readonly<Record<string, string>>;
};

/**
 * `base` minus secrets and colour forcing, plus `NO_COLOR=1` (escape codes in
 * output only cost the model tokens), plus `extra`. `CI` is deliberately not
 * set: it changes what many tools do (installs, prompts, snapshots), and the
 * command should behave as it would for the user.
 */
export function childEnv(options: ChildEnvOptions): Record<string, string> {
  const allow = new Set(options.allow ?? []);
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(options.base)) {
    if (value === undefined) continue;
    if (COLOR_FORCING_NAMES.includes(name)) continue;
    if (isSecretEnvName(name) && !allow.has(name)) continue;
    env[name] = value;
  }
  env.NO_COLOR = '1';
  return { ...env, ...options.extra };
}
