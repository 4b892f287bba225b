// A server in its own process, for the crash test: `node serve-child.mjs SERVER_MODULE_URL DATA_DIR`.
// SERVER_MODULE_URL is the built dist/src/server/index.js when it is up to date (starts in well
// under a second), else src/server/index.ts run through ts-loader.mjs. Prints one readiness line,
// `listening URL`, once it accepts connections, then serves until killed.
const [moduleUrl, dataDir] = process.argv.slice(2);
const { startServer } = await import(moduleUrl);
const server = await startServer({ port: 0, host: '127.0.0.1', dataDir, workers: 2 });
process.stdout.write(`listening ${server.url}\n`);
