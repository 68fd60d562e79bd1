export { buildCompilationContext } from './build.js';
