// A server in its own process, for the crash test: prints its URL, then serves until killed.
import { startServer } from '../../../src/server/index.js';

const server = await startServer({ port: 0, host: '127.0.0.1', dataDir: process.argv[2]!, workers: 2 });
process.stdout.write(`${server.url}\n`);
