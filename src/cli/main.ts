import { runCli } from './program.js';

/** The `memspace` process: runs the command line on the process's streams. */
process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
});
