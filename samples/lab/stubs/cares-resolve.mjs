// node cares-resolve.mjs NAME...: per name, resolve4 and resolve6 at once on one
// dns.promises.Resolver (c-ares, not getaddrinfo), as a Node service resolving both families does;
// the names one after the other, 0.5 s apart. Prints "NAME ms A... AAAA..." per name and exits 1
// if any question failed. c-ares reads the servers, timeout and attempts from /etc/resolv.conf.
import { promises as dns } from 'node:dns';

const resolver = new dns.Resolver();
const names = process.argv.slice(2);
for (const [i, name] of names.entries()) {
  const t0 = performance.now();
  try {
    const [v4, v6] = await Promise.all([resolver.resolve4(name), resolver.resolve6(name)]);
    console.log(`${name} ${(performance.now() - t0).toFixed(0)} ms ${[...v4, ...v6].join(' ')}`);
  } catch (e) {
    console.log(`${name} ${(performance.now() - t0).toFixed(0)} ms error ${e.code ?? e.message}`);
    process.exitCode = 1;
  }
  if (i + 1 < names.length) await new Promise((r) => setTimeout(r, 500));
}
