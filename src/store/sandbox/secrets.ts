/**
 * Files that may hold credentials. Patterns are matched against the path
 * from the workspace root (`/`-separated, no leading `/`), never against the
 * absolute path: a workspace that happens to live under `~/.aws/` must not
 * make every file in it a secret.
 */

/**
 * Case-insensitive because on macOS and Windows `.ENV` opens `.env`.
 * Replace or extend with `createWorkspace(root, { secretPatterns })`.
 */
export const DEFAULT_SECRET_PATTERNS: readonly RegExp[] = Object.freeze([
  // dotenv files; `.env` as a directory (some virtualenvs) is only refused itself.
  /(?:^|\/)\.env(?:\.[^/]*)?$/i,
  /\.(?:pem|key|p12|pfx)$/i,
  /(?:^|\/)id_(?:rsa|dsa|ecdsa|ed25519)[^/]*$/i,
  // The directory itself too: its listing names the keys.
  /(?:^|\/)\.(?:ssh|gnupg|aws)(?:\/|$)/i,
  // Remotes with tokens in their URLs, credential helpers; submodules keep one each.
  /(?:^|\/)\.git\/(?:modules\/(?:[^/]+\/)+)?config$/i,
  /(?:^|\/)\.(?:npmrc|netrc|pgpass|git-credentials)$/i,
]);

/**
 * Copies the patterns without `g` and `y`: those make `test` stateful
 * (`lastIndex`), so the same path would alternate between secret and not.
 */
export function compileSecretPatterns(patterns: readonly RegExp[]): readonly RegExp[] {
  return Object.freeze(
    patterns.map((pattern) => new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''))),
  );
}

/** `relative` is from the root, `/`-separated; `.` (the root) is never a secret. */
export function isSecretPath(relative: string, patterns: readonly RegExp[]): boolean {
  if (relative === '.' || relative === '') return false;
  return patterns.some((pattern) => pattern.test(relative));
}
