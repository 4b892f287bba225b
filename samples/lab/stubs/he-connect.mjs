// node he-connect.mjs HOST PORT: one HTTP/1.0 GET over net.connect({autoSelectFamily: true}),
// Node's own Happy Eyeballs (RFC 8305-style: the addresses dns.lookup returns, families
// interleaved, the next attempt after autoSelectFamilyAttemptTimeout, 250 ms by default).
// Prints the address it connected to, the attempted addresses and the time; exits 1 on failure.
import net from 'node:net';

const [host, port] = process.argv.slice(2);
const t0 = performance.now();
const socket = net.connect({ host, port: Number(port), autoSelectFamily: true });
socket.setTimeout(20_000, () => socket.destroy(new Error('timed out')));
let bytes = 0;
socket.on('connect', () => {
  console.log(`connected to ${socket.remoteAddress} after ${(performance.now() - t0).toFixed(0)} ms; attempted ${socket.autoSelectFamilyAttemptedAddresses.join(' ')}`);
  socket.write(`GET / HTTP/1.0\r\nHost: ${host}\r\n\r\n`);
});
socket.on('data', (b) => { bytes += b.length; });
socket.on('end', () => console.log(`${bytes} bytes`));
socket.on('error', (e) => { console.error(`failed: ${e.message}`); process.exitCode = 1; });
