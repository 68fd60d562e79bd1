/**
 * The sandbox boundary against a real workspace on disk: traversal,
 * absolute paths, symlinks that lead out (to /etc, through a directory,
 * dangling, in a chain), spellings other layers read differently, secrets,
 * and a property test that nothing accepted is outside the root.
 */
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, sep } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NerdloopError } from '../src/core/index.js';
import {
  createWorkspace,
  DEFAULT_SECRET_PATTERNS,
  PathInvalidError,
  PathOutsideWorkspaceError,
  PathUnresolvableError,
  SecretFileError,
  WorkspaceRootError,
} from '../src/store/sandbox/index.js';
import type { Workspace } from '../src/store/tool.js';

let root: string;
let outside: string;
let workspace: Workspace;

beforeAll(async () => {
  root = await realpath(await mkdtemp(join(tmpdir(), 'nerdloop-sandbox-')));
  outside = await realpath(await mkdtemp(join(tmpdir(), 'nerdloop-outside-')));
  await writeFile(join(outside, 'leak.txt'), 'outside');

  const files = [
    'file.txt',
    'dir/nested.txt',
    '.env',
    'config/.env.production',
    'certs/a.pem',
    '.ssh/id_rsa',
    '.git/config',
    '.git/HEAD',
    '.npmrc',
    'café.txt',
    'ünïcødé/ok.md',
    'with space.txt',
    '.environment',
  ];
  for (const file of files) {
    await mkdir(dirname(join(root, file)), { recursive: true });
    await writeFile(join(root, file), file);
  }
  await mkdir(join(root, 'sub'));

  const links: Array<[name: string, target: string]> = [
    ['innocent.txt', '.env'],
    ['etc-link', '/etc'],
    ['out-dir', outside],
    ['dangling-out', join(outside, 'nope', 'missing.txt')],
    ['dangling-in', 'sub/new.txt'],
    ['chain1', 'chain2'],
    ['chain2', 'chain3'],
    ['chain3', join(outside, 'leak.txt')],
    ['inside-link', 'dir/nested.txt'],
    ['dir-link', 'dir'],
    ['up', '..'],
    ['loop', 'loop'],
    ['rel-out', `../${basename(outside)}/leak.txt`],
    ['ssh-alias', '.ssh'],
    ['self', '.'],
  ];
  for (const [name, target] of links) await symlink(target, join(root, name));

  workspace = await createWorkspace(root);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

type ErrorClass =
  | typeof PathInvalidError
  | typeof PathOutsideWorkspaceError
  | typeof SecretFileError
  | typeof PathUnresolvableError;

/**
 * `ROOT`, `ROOT_NAME` and `OUTSIDE` stand for the temp directories, which
 * exist only once `beforeAll` has run, after the table is collected.
 */
function escapes(): Array<[label: string, path: string, error: ErrorClass]> {
  const out = PathOutsideWorkspaceError;
  const bad = PathInvalidError;
  const secret = SecretFileError;
  return [
    // Traversal
    ['parent', '..', out],
    ['parent file', '../x', out],
    ['climb past a child', 'a/../../x', out],
    ['dot then parent', './../x', out],
    ['deep', '../../../../../../etc/passwd', out],
    ['climb past a real dir', 'dir/./../../x', out],
    ['re-entering the root from its parent', '../ROOT_NAME/file.txt', out],
    ['parent after a symlinked dir', 'dir-link/../../x', out],
    // Absolute
    ['/etc/passwd', '/etc/passwd', out],
    ['filesystem root', '/', out],
    ['/tmp', '/tmp', out],
    ['absolute outside dir', 'OUTSIDE/leak.txt', out],
    ['absolute climbing out of the root', 'ROOT/../x', out],
    ['sibling sharing the root as a prefix', 'ROOT-sibling/x', out],
    ['absolute with dots', '/etc/../etc/passwd', out],
    // Symlinks
    ['symlink to /etc', 'etc-link', out],
    ['file under a symlink to /etc', 'etc-link/passwd', out],
    ['symlinked directory pointing outside', 'out-dir', out],
    ['file under a symlinked directory outside', 'out-dir/leak.txt', out],
    ['new file under a symlinked directory outside', 'out-dir/new.txt', out],
    ['dangling symlink pointing outside', 'dangling-out', out],
    ['symlink chain ending outside', 'chain1', out],
    ['symlink to the parent', 'up', out],
    ['file under a symlink to the parent', 'up/x', out],
    ['relative symlink climbing out', 'rel-out', out],
    ['symlink loop', 'loop', PathUnresolvableError],
    // Home
    ['tilde', '~', bad],
    ['tilde slash', '~/x', bad],
    ['tilde user', '~root/x', bad],
    // Windows and UNC
    ['drive letter with backslash', 'C:\\x', bad],
    ['drive letter with slash', 'C:/x', bad],
    ['UNC with backslashes', '\\\\server\\share', bad],
    ['UNC with slashes', '//server/share', bad],
    ['backslash traversal', 'a\\..\\..\\x', bad],
    ['backslash parent', '..\\x', bad],
    // Percent encoding
    ['encoded traversal', '%2e%2e%2fetc', bad],
    ['encoded separators', '..%2f..%2fetc', bad],
    ['upper-case encoded dots', '%2E%2E/', bad],
    ['encoded backslash', 'a%5c..%5cx', bad],
    ['double encoding', '%252e%252e%252fetc', bad],
    ['overlong UTF-8 dots', '%c0%ae%c0%ae/x', bad],
    ['encoded NUL', 'file%00.txt', bad],
    // Unicode lookalikes
    ['fullwidth solidus', '..\uff0fetc', bad],
    ['division slash', '..\u2215etc', bad],
    ['fraction slash', '..\u2044etc', bad],
    ['big solidus', '..\u29f8etc', bad],
    ['fullwidth reverse solidus', '..\uff3cetc', bad],
    ['one dot leaders', '\u2024\u2024/x', bad],
    ['fullwidth full stops', '\uff0e\uff0e/x', bad],
    ['two dot leader', '\u2025/x', bad],
    ['small full stops', '\ufe52\ufe52/etc', bad],
    ['combining solidus overlay', '.\u0338./x', bad],
    // Control and invisible characters
    ['NUL in the middle', 'a\0b', bad],
    ['NUL at the end', 'file.txt\0', bad],
    ['newline', 'a\nb', bad],
    ['carriage return', 'a\rb', bad],
    ['tab', 'a\tb', bad],
    ['DEL', 'a\u007fb', bad],
    ['C1 control', 'a\u0085b', bad],
    ['right-to-left override', 'txt.\u202eexe', bad],
    ['zero-width space', '\u200b../x', bad],
    ['lone surrogate', 'a\ud800b', bad],
    // Lengths and emptiness
    ['very long path', 'a/'.repeat(2500), bad],
    ['very long component', 'b'.repeat(300), bad],
    ['component over 255 bytes but 128 characters', `dir/${'é'.repeat(128)}`, bad],
    ['empty', '', bad],
    // Secrets
    ['.env', '.env', secret],
    ['.env.production in a directory', 'config/.env.production', secret],
    ['.pem', 'certs/a.pem', secret],
    ['ssh key', '.ssh/id_rsa', secret],
    ['.ssh itself', '.ssh', secret],
    ['.git/config', '.git/config', secret],
    ['.npmrc', '.npmrc', secret],
    ['.netrc (new)', 'home/.netrc', secret],
    ['.pgpass', '.pgpass', secret],
    ['.key (new)', 'tls/server.key', secret],
    ['.p12', 'a.p12', secret],
    ['.pfx', 'b.PFX', secret],
    ['ed25519 public key', 'deep/dir/id_ed25519.pub', secret],
    ['aws credentials', '.aws/credentials', secret],
    ['gnupg', '.gnupg/pubring.kbx', secret],
    ['upper-case .ENV', '.ENV', secret],
    ['harmless-looking symlink to .env', 'innocent.txt', secret],
    ['key through a symlink to .ssh', 'ssh-alias/id_rsa', secret],
    ['.env after a parent step', 'dir/../.env', secret],
    ['.env through a symlink to the root', 'self/.env', secret],
    ['absolute .env', 'ROOT/.env', secret],
  ];
}

function placeholders(path: string): string {
  return path
    .replace('ROOT_NAME', basename(root))
    .replace('ROOT', root)
    .replace('OUTSIDE', outside);
}

describe('escape attempts', () => {
  it('has at least 50 of them', () => {
    expect(escapes().length).toBeGreaterThanOrEqual(50);
  });

  it.each(escapes().map(([label, path, error]) => ({ label, path, error })))(
    'refuses $label',
    async ({ path: template, error }) => {
      const path = placeholders(template);
      const refusal = await workspace.resolve(path).then(
        (resolved) => {
          throw new Error(`accepted ${JSON.stringify(path)} as ${JSON.stringify(resolved)}`);
        },
        (reason: unknown) => reason,
      );
      expect(refusal).toBeInstanceOf(error);
      expect(refusal).toBeInstanceOf(NerdloopError);
      if (!(refusal instanceof NerdloopError)) return;
      expect(refusal.details.path).toBe(path);
    },
  );
});

describe('allowed paths', () => {
  it.each([
    { path: '.', relative: '.', exists: true },
    { path: './', relative: '.', exists: true },
    { path: 'file.txt', relative: 'file.txt', exists: true },
    { path: './dir/', relative: 'dir', exists: true },
    { path: 'dir/nested.txt', relative: 'dir/nested.txt', exists: true },
    { path: 'new/nested/deep/file.ts', relative: 'new/nested/deep/file.ts', exists: false },
    { path: 'café.txt', relative: 'café.txt', exists: true },
    { path: 'cafe\u0301.txt', relative: 'cafe\u0301.txt', exists: false },
    { path: 'ünïcødé/ok.md', relative: 'ünïcødé/ok.md', exists: true },
    { path: 'with space.txt', relative: 'with space.txt', exists: true },
    { path: 'inside-link', relative: 'dir/nested.txt', exists: true },
    { path: 'dir-link/nested.txt', relative: 'dir/nested.txt', exists: true },
    { path: 'dangling-in', relative: 'sub/new.txt', exists: false },
    { path: 'etc-link/../file.txt', relative: 'file.txt', exists: true },
    { path: 'a/b/../c', relative: 'a/c', exists: false },
    { path: 'file.txt/under-a-file', relative: 'file.txt/under-a-file', exists: false },
    { path: '...', relative: '...', exists: false },
    { path: '.environment', relative: '.environment', exists: true },
    { path: 'my.env.txt', relative: 'my.env.txt', exists: false },
    { path: '.git/HEAD', relative: '.git/HEAD', exists: true },
    { path: 'dir/~backup', relative: 'dir/~backup', exists: false },
    { path: 'ab:c', relative: 'ab:c', exists: false },
    { path: 'dir/a:b', relative: 'dir/a:b', exists: false },
    { path: '100%.txt', relative: '100%.txt', exists: false },
    { path: '%41.txt', relative: '%41.txt', exists: false },
    { path: 'notes….md', relative: 'notes….md', exists: false },
    { path: 'self/file.txt', relative: 'file.txt', exists: true },
  ])('resolves $path', async ({ path, relative, exists }) => {
    const resolved = await workspace.resolve(path);
    expect(resolved).toEqual({
      absolute: relative === '.' ? root : join(root, ...relative.split('/')),
      relative,
      exists,
    });
  });

  it('accepts absolute paths inside the root, and the root itself', async () => {
    await expect(workspace.resolve(root)).resolves.toEqual({
      absolute: root,
      relative: '.',
      exists: true,
    });
    await expect(workspace.resolve(`${root}/dir/nested.txt`)).resolves.toMatchObject({
      relative: 'dir/nested.txt',
      exists: true,
    });
  });

  it('exposes the realpath of the root', () => {
    expect(workspace.root).toBe(root);
  });
});

describe('errors', () => {
  it('JSON-escapes the path in the message and keeps it as given in details', async () => {
    const error = await workspace.resolve('a\nb\0').catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(PathInvalidError);
    if (!(error instanceof PathInvalidError)) return;
    expect(error.code).toBe('store_path_invalid');
    expect(error.message).toContain('"a\\nb\\u0000"');
    expect(error.message).not.toContain('\n');
    expect(error.message).toContain('NUL byte');
    expect(error.details).toEqual({ path: 'a\nb\0', reason: 'nul_byte' });
  });

  it('names what was wrong', async () => {
    const reasons: Array<[string, string]> = [
      ['', 'empty'],
      ['a\nb', 'control_character'],
      ['C:\\x', 'backslash'],
      ['C:/x', 'drive_letter'],
      ['//server/share', 'unc'],
      ['~/x', 'home'],
      ['%2e%2e/x', 'percent_encoded'],
      ['a\u2215b', 'lookalike'],
      ['x'.repeat(5000), 'too_long'],
      ['y'.repeat(300), 'component_too_long'],
    ];
    for (const [path, reason] of reasons) {
      const error = await workspace.resolve(path).catch((caught: unknown) => caught);
      expect(error, JSON.stringify(path)).toBeInstanceOf(PathInvalidError);
      if (error instanceof PathInvalidError) expect(error.details.reason).toBe(reason);
    }
  });

  it('uses stable codes', async () => {
    const codes = await Promise.all(
      ['../x', '.env', 'loop', '\0'].map((path) =>
        workspace.resolve(path).then(
          () => 'accepted',
          (error: unknown) => (error instanceof NerdloopError ? error.code : 'untyped'),
        ),
      ),
    );
    expect(codes).toEqual([
      'store_path_outside',
      'store_secret_file',
      'store_path_unresolvable',
      'store_path_invalid',
    ]);
  });

  it('keeps long paths out of the message', async () => {
    const error = await workspace.resolve('z'.repeat(5000)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PathInvalidError);
    if (error instanceof Error) expect(error.message.length).toBeLessThan(400);
  });
});

describe('secrets', () => {
  it('allows a secret when the call asks', async () => {
    await expect(workspace.resolve('.env', { allowSecrets: true })).resolves.toMatchObject({
      relative: '.env',
      exists: true,
    });
    await expect(workspace.resolve('innocent.txt', { allowSecrets: true })).resolves.toMatchObject({
      relative: '.env',
    });
  });

  it('still refuses escapes when secrets are allowed', async () => {
    await expect(workspace.resolve('../.env', { allowSecrets: true })).rejects.toBeInstanceOf(
      PathOutsideWorkspaceError,
    );
  });

  it('takes a workspace-wide default that a call can override', async () => {
    const open = await createWorkspace(root, { allowSecrets: true });
    await expect(open.resolve('.ssh/id_rsa')).resolves.toMatchObject({ exists: true });
    await expect(open.resolve('.ssh/id_rsa', { allowSecrets: false })).rejects.toBeInstanceOf(
      SecretFileError,
    );
  });

  it('uses custom patterns instead of the defaults, and extends them by spreading', async () => {
    const custom = await createWorkspace(root, { secretPatterns: [/\.tfstate$/g] });
    await expect(custom.resolve('.env')).resolves.toMatchObject({ relative: '.env' });
    // A `g` pattern is stateful; the second call must refuse just like the first.
    await expect(custom.resolve('infra/x.tfstate')).rejects.toBeInstanceOf(SecretFileError);
    await expect(custom.resolve('infra/x.tfstate')).rejects.toBeInstanceOf(SecretFileError);

    const extended = await createWorkspace(root, {
      secretPatterns: [...DEFAULT_SECRET_PATTERNS, /\.tfstate$/],
    });
    await expect(extended.resolve('.env')).rejects.toBeInstanceOf(SecretFileError);
    await expect(extended.resolve('x.tfstate')).rejects.toBeInstanceOf(SecretFileError);
  });

  it('does not treat the root as a secret when it lives under a secret-looking directory', async () => {
    await mkdir(join(outside, '.aws', 'project'), { recursive: true });
    const nested = await createWorkspace(join(outside, '.aws', 'project'));
    await expect(nested.resolve('README.md')).resolves.toMatchObject({ exists: false });
  });
});

describe('createWorkspace', () => {
  it('refuses a root that does not exist, is a file, or is relative', async () => {
    await expect(createWorkspace(join(root, 'missing'))).rejects.toBeInstanceOf(WorkspaceRootError);
    await expect(createWorkspace(join(root, 'file.txt'))).rejects.toBeInstanceOf(
      WorkspaceRootError,
    );
    await expect(createWorkspace('relative/root')).rejects.toBeInstanceOf(WorkspaceRootError);
    await expect(createWorkspace('')).rejects.toBeInstanceOf(WorkspaceRootError);
    const error = await createWorkspace(join(root, 'file.txt')).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'store_workspace_root' });
  });

  it('realpaths a symlinked root and accepts absolute paths spelled through it', async () => {
    const alias = join(outside, 'root-alias');
    await symlink(root, alias);
    const aliased = await createWorkspace(alias);
    expect(aliased.root).toBe(root);
    await expect(aliased.resolve(join(alias, 'file.txt'))).resolves.toEqual({
      absolute: join(root, 'file.txt'),
      relative: 'file.txt',
      exists: true,
    });
    await expect(aliased.resolve(join(outside, 'leak.txt'))).rejects.toBeInstanceOf(
      PathOutsideWorkspaceError,
    );
  });

  it('refuses secret patterns that are not regular expressions', async () => {
    await expect(
      createWorkspace(root, { secretPatterns: ['.env'] as unknown as RegExp[] }),
    ).rejects.toBeInstanceOf(WorkspaceRootError);
  });
});

/** `fs.realpath` of the deepest ancestor of `path` that exists. */
async function realDeepestAncestor(path: string): Promise<string> {
  for (let current = path; ; current = dirname(current)) {
    try {
      return await realpath(current);
    } catch {
      if (dirname(current) === current) throw new Error(`nothing of ${path} exists`);
    }
  }
}

const isInside = (path: string): boolean => path === root || path.startsWith(`${root}${sep}`);

describe('property: nothing accepted is outside the root', () => {
  const segment = fc.oneof(
    {
      weight: 6,
      arbitrary: fc.constantFrom(
        '..',
        '.',
        '',
        'dir',
        'file.txt',
        'sub',
        'new',
        'etc-link',
        'out-dir',
        'up',
        'self',
        'chain1',
        'inside-link',
        'dir-link',
        'dangling-out',
        'dangling-in',
        'rel-out',
        'loop',
        'ssh-alias',
        '.env',
        '.ssh',
        '\\',
        '%2f',
        '%2e%2e',
        '~',
        '\uff0f',
        '\u2215',
        '\u2024',
        '\uff0e',
        'café',
        'C:',
      ),
    },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 6 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 4 }) },
  );
  const prefix = fc.constantFrom('', '/', 'ROOT/', 'OUTSIDE/', './', '../');
  const pathArbitrary = fc
    .tuple(prefix, fc.array(segment, { maxLength: 8 }), fc.constantFrom('/', ''))
    .map(([start, parts, joiner]) => ({ start, parts, joiner }));

  it('holds for random paths over the workspace links', async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(pathArbitrary, fc.boolean(), async ({ start, parts, joiner }, allow) => {
        const head = placeholders(start);
        const path = `${head}${parts.join(joiner)}`;
        let resolved: Awaited<ReturnType<Workspace['resolve']>>;
        try {
          resolved = await workspace.resolve(path, { allowSecrets: allow });
        } catch (error) {
          // Every refusal is typed, with the path as given.
          expect(error).toBeInstanceOf(NerdloopError);
          if (!(error instanceof NerdloopError)) return;
          expect(error.code).toMatch(/^store_/);
          expect(error.details.path).toBe(path);
          return;
        }
        accepted += 1;
        expect(isInside(resolved.absolute), resolved.absolute).toBe(true);
        expect(isInside(await realDeepestAncestor(resolved.absolute))).toBe(true);
        const fromRelative =
          resolved.relative === '.' ? root : join(root, ...resolved.relative.split('/'));
        expect(fromRelative).toBe(resolved.absolute);
      }),
      { numRuns: 600 },
    );
    // The property means little if nearly everything was refused.
    expect(accepted).toBeGreaterThan(50);
  });
});
