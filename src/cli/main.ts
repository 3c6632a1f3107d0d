// The `sluice` entry point (bin/sluice.js loads this file).
import { main } from './program.js';

process.exitCode = await main(process.argv.slice(2));
