export { main, buildProgram, UsageError } from './main.js';
