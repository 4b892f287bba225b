// The records and findings of the path stage on a few corpus captures, pinned byte for byte: a
// change made for speed must not change what the stage reports (a deliberate change of behaviour
// updates these files in the same commit, with the reason).
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { reportedFinding } from '../../../src/report/index.js';
import { runPath } from './pipeline.js';

import { CORPUS as CAPTURES } from '../../support/corpus.js';
const FILES = [
  'compactor/knot-live.raw.pcap', // many short TCP connections, DNS over TCP, ICMP errors
  'zeek/wikipedia.pcap', // HTTP over IPv4 and IPv6
  'arkime/v6.pcap', // ICMPv6 errors quoting a connection
  'ndpi/6in4tunnel.pcap', // tunnelled TCP with ICMP
  'suricata-verify/ipv6-evasion/ipv6-atomic-fragments-toobig/toobig.pcap', // PTB findings
  'dnscap/dnso1tcp-bighole.pcap', // a sequence gap
].filter((f) => existsSync(`${CAPTURES}/${f}`));

describe.skipIf(FILES.length === 0)('path records on corpus captures', () => {
  it.each(FILES)('%s', async (file) => {
    const { records, findings: detected, stats } = await runPath(`${CAPTURES}/${file}`);
    const name = file.replace(/\//g, '__').replace(/\.(pcapng|pcap)$/, '');
    const findings = detected.map(reportedFinding); // as the report lists them (the marks went into its timeline)
    await expect(`${JSON.stringify({ records, findings, stats }, null, 1)}\n`).toMatchFileSnapshot(`records-golden/${name}.json`);
  });
});
