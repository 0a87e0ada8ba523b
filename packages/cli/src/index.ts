// @lodge/cli: the `lodge` command as a library (bin/lodge calls main; tests can call run with their own streams).
export { main, run, ExitCode } from './main.js';
export type { Io } from './context.js';
