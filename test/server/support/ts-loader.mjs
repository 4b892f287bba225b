// Lets plain `node --import ./test/server/support/ts-loader.mjs file.ts` run the sources (Node 20
// cannot strip types): .js specifiers that name a .ts file resolve to it, and .ts is transpiled
// with the project's TypeScript. Used to run a real server in a child process that a test can kill.
import { register } from 'node:module';

register('./ts-hooks.mjs', import.meta.url);
