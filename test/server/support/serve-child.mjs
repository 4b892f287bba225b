// A server in its own process, for the crash and disk-full tests:
// `node serve-child.mjs SERVER_MODULE_URL DATA_DIR [OPTIONS_JSON]`.
// SERVER_MODULE_URL is the built dist/src/server/index.js when it is up to date (starts in well
// under a second), else src/server/index.ts run through ts-loader.mjs. Prints one readiness line,
// `listening URL`, once it accepts connections, then serves until killed. Log lines go to stderr.
const [moduleUrl, dataDir, optionsJson] = process.argv.slice(2);
const { startServer } = await import(moduleUrl);
const options = optionsJson === undefined ? {} : JSON.parse(optionsJson);
const log = (line) => process.stderr.write(`serve: ${line}\n`);
const server = await startServer({ port: 0, host: '127.0.0.1', dataDir, workers: 2, log, ...options });
process.stdout.write(`listening ${server.url}\n`);
