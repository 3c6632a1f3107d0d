// The `sluice` entry point (bin/sluice.js loads this file).
import { main } from './program.js';

// `sluice … | head` closes the pipe early: stop quietly, as other command-line tools do, instead
// of dying with an unhandled EPIPE stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

process.exitCode = await main(process.argv.slice(2));
