/** `npm run bench` (add `-- --quick` for a shorter run). */
import { spawnBench } from './spawn.bench.js';
import { printRows } from './support.js';

const quick = process.argv.includes('--quick');
console.log(`nerdloop benchmarks — node ${process.version}, ${quick ? 'quick' : 'full'} run\n`);
await spawnBench({ quick, report: (row) => printRows([row]) });
