/**
 * Finding the default manifest from the source and the compiled layout, in
 * folders whose names a file URL percent-encodes, and loading a manifest's
 * machines when their files are missing, broken or export no machine.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  defaultManifestPath,
  findManifestPath,
  loadMachine,
  loadManifest,
  ManifestError,
  ManifestMachineLoadError,
  ManifestNotFoundError,
} from '../src/stately/index.js';

const run = promisify(execFile);
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'nerdloop-manifest-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('defaultManifestPath', () => {
  it("is the repository's stately.config.json in a source checkout", () => {
    expect(defaultManifestPath()).toBe(join(repo, 'stately.config.json'));
  });

  it('works from a folder with spaces and # and from the compiled dist/src layout', async () => {
    // The real module, copied where the old `URL.pathname` lookup went wrong: a
    // percent-encoded folder name, and one folder level deeper under dist/.
    const project = join(scratch, 'my project #1 100%');
    await mkdir(project, { recursive: true });
    await writeFile(join(project, 'stately.config.json'), '{}');
    await writeFile(join(project, 'package.json'), '{ "type": "module" }');
    await symlink(join(repo, 'node_modules'), join(project, 'node_modules'), 'dir');
    for (const base of ['src', 'dist/src']) {
      await cp(join(repo, 'src/core'), join(project, base, 'core'), { recursive: true });
      await mkdir(join(project, base, 'stately'), { recursive: true });
      await cp(join(repo, 'src/stately/manifest.ts'), join(project, base, 'stately/manifest.ts'));
    }
    for (const base of ['src', 'dist/src']) {
      // Vite's module loader cannot import from such a folder, so Node and tsx do it.
      const { stdout } = await run(
        process.execPath,
        [
          '--import',
          'tsx',
          '--input-type=module',
          '--eval',
          'const m = await import(process.env.MODULE_URL); process.stdout.write(m.defaultManifestPath());',
        ],
        {
          cwd: repo,
          env: {
            ...process.env,
            MODULE_URL: pathToFileURL(join(project, base, 'stately/manifest.ts')).href,
          },
        },
      );
      expect(stdout).toBe(join(project, 'stately.config.json'));
    }
  });
});

describe('findManifestPath', () => {
  it('takes the nearest stately.config.json at or above the module folder', async () => {
    const outer = join(scratch, 'outer dir');
    const inner = join(outer, 'pkg', 'dist', 'src', 'stately');
    await mkdir(inner, { recursive: true });
    await writeFile(join(outer, 'stately.config.json'), '{}');
    const module = pathToFileURL(join(inner, 'manifest.js'));
    expect(findManifestPath(module)).toBe(join(outer, 'stately.config.json'));
    expect(findManifestPath(module.href)).toBe(join(outer, 'stately.config.json'));

    await writeFile(join(outer, 'pkg', 'stately.config.json'), '{}');
    expect(findManifestPath(module)).toBe(join(outer, 'pkg', 'stately.config.json'));
  });

  it('skips a folder of that name and throws ManifestNotFoundError when there is none', async () => {
    const lonely = join(scratch, 'lonely', 'a');
    await mkdir(join(lonely, 'stately.config.json'), { recursive: true });
    const error = catchError(() => findManifestPath(pathToFileURL(join(lonely, 'x.js'))));
    // mkdtemp's parent folders hold no manifest on any machine this runs on.
    expect(error).toBeInstanceOf(ManifestNotFoundError);
    expect(error).toBeInstanceOf(ManifestError);
    expect(error).toMatchObject({ code: 'manifest_not_found', details: { start: lonely } });
  });
});

describe('loadMachine', () => {
  async function manifestFor(file: string, exportName: string) {
    const dir = await mkdtemp(join(scratch, 'entry-'));
    const path = join(dir, 'stately.config.json');
    await writeFile(
      path,
      JSON.stringify({
        version: 1,
        machines: [{ name: 'broken', file, export: exportName, description: 'a broken entry' }],
      }),
    );
    const manifest = await loadManifest(path);
    const entry = manifest.machines[0];
    if (!entry) throw new Error('the manifest has no entry');
    return { dir, entry };
  }

  it('names the machine, the file and the cause when the file is missing', async () => {
    const { dir, entry } = await manifestFor('machines/nowhere.mjs', 'brokenMachine');
    const error = await loadMachine(entry, dir).catch((caught: unknown) => caught);
    const file = join(dir, 'machines/nowhere.mjs');
    expect(error).toBeInstanceOf(ManifestMachineLoadError);
    expect(error).toBeInstanceOf(ManifestError);
    expect(error).toMatchObject({
      code: 'manifest_machine_load_failed',
      details: { machine: 'broken', file, export: 'brokenMachine' },
    });
    expect((error as Error).message).toMatch(
      new RegExp(`^cannot load machine "broken" from ${escapeRegExp(file)}: .*nowhere\\.mjs`),
    );
    expect((error as Error).cause).toBeDefined();
  });

  it('wraps a module that does not compile', async () => {
    const { dir, entry } = await manifestFor('syntax.mjs', 'brokenMachine');
    await writeFile(join(dir, 'syntax.mjs'), 'export const brokenMachine = {;\n');
    const error = await loadMachine(entry, dir).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ManifestMachineLoadError);
    expect((error as Error).message).toContain(
      `cannot load machine "broken" from ${join(dir, 'syntax.mjs')}: `,
    );
  });

  it('rejects an export that is missing or is not a state machine', async () => {
    const { dir, entry } = await manifestFor('plain.mjs', 'brokenMachine');
    const file = join(dir, 'plain.mjs');
    await writeFile(file, 'export const brokenMachine = { id: "x" };\n');
    const notMachine = await loadMachine(entry, dir).catch((caught: unknown) => caught);
    expect(notMachine).toBeInstanceOf(ManifestMachineLoadError);
    expect((notMachine as Error).message).toBe(
      `cannot load machine "broken" from ${file}: its export "brokenMachine" is not a state machine (found an object)`,
    );

    const missing = await loadMachine({ ...entry, export: 'other' }, dir).catch(
      (caught: unknown) => caught,
    );
    expect(missing).toMatchObject({
      code: 'manifest_machine_load_failed',
      message: `cannot load machine "broken" from ${file}: its export "other" is not a state machine (found nothing)`,
    });
  });

  it('loads a real machine', async () => {
    const manifest = await loadManifest(join(repo, 'stately.config.json'));
    const entry = manifest.machines[0];
    if (!entry) throw new Error('the manifest has no entry');
    const machine = await loadMachine(entry, repo);
    expect(typeof machine.transition).toBe('function');
  });
});

function catchError(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
