#!/usr/bin/env node
// Placeholder entry point until the CLI lands; replaced by the commander program.
process.stdout.write('dualscope: not built yet\n');
