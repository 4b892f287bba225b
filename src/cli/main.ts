#!/usr/bin/env node
// The `dualscope` executable: runs the program and sets the exit status.
import { tuneGarbageCollector } from './heap.js';
import { main } from './program.js';

tuneGarbageCollector();

// `dualscope … | head` closes stdout early: that is not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
});

process.exitCode = await main(process.argv.slice(2));
