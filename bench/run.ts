/** `npm run bench` (add `-- --quick` for a shorter run). */
import { jitBench } from './jit.bench.js';
import { kernelBench } from './kernel.bench.js';
import { llmBench } from './llm.bench.js';
import { spawnBench } from './spawn.bench.js';
import { printRows } from './support.js';

const quick = process.argv.includes('--quick');
console.log(`nerdloop benchmarks — node ${process.version}, ${quick ? 'quick' : 'full'} run\n`);
const only = process.argv.find((arg) => arg.startsWith('--only='))?.slice('--only='.length);
const report = (row: Parameters<typeof printRows>[0][number]) => printRows([row]);
if (!only || only === 'spawn') await spawnBench({ quick, report });
if (!only || only === 'kernel') await kernelBench({ quick, report });
if (!only || only === 'llm') await llmBench({ quick, report });
if (!only || only === 'jit') await jitBench({ quick, report });
// Imported only when it runs: @openai/agents installs its default model
// provider and tracing exporter as it loads, which the other groups should not carry.
if (!only || only === 'loop') await (await import('./loop.bench.js')).loopBench({ quick, report });
