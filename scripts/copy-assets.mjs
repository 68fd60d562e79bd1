// Copies the data files the compiled modules read at run time (rule files,
// YAML atoms and defaults) from src/ to <out>/src/ (default dist), keeping
// their folders.
import { cpSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'src');
const target = join(root, process.argv[2] ?? 'dist', 'src');
const assets = /\.(mg|ya?ml)$/;

for (const entry of readdirSync(source, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !assets.test(entry.name)) continue;
  // parentPath arrived in Node 20.12; older 20.x call it path.
  const from = join(entry.parentPath ?? entry.path, entry.name);
  cpSync(from, join(target, relative(source, from)));
}
