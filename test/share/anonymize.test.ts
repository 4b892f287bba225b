// `anonymize`: on every lab sample (and some public captures), the anonymised copy must show the
// same findings — same kind, severity and evidence frames, with the original's addresses and names
// mapped as the copy maps them — and hold no original address or name anywhere in its bytes.
// tshark must read every copy without a malformed packet and with valid checksums.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAddress } from '../../src/core/index.js';
import type { Finding } from '../../src/report/index.js';
import { anonymizeCapture, deriveKeys, NameMap, type AnonymizeResult, type SharedFinding } from '../../src/share/index.js';
import { BlockFile } from '../../src/writers/index.js';
import { analyzeFile } from '../../src/analyze.js';
import { tsharkFields, tsharkPresent } from '../support/tshark.js';

const SAMPLES = join(import.meta.dirname, '../../samples');
const tmp = mkdtempSync(join(tmpdir(), 'i19-anonymize-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const samples = readdirSync(SAMPLES).filter((f) => /\.(pcap|pcapng)$/.test(f)).sort();
/** A fixed key: the test's outcome must not depend on a random draw. */
const KEYS = deriveKeys(Buffer.alloc(32, 0x5a));

async function anonymize(input: string, out: string, keys = KEYS): Promise<AnonymizeResult> {
  const file = new BlockFile(out);
  try {
    const r = await anonymizeCapture(input, file, keys);
    file.close();
    return r;
  } catch (e) {
    file.abort();
    throw e;
  }
}

const allFrames = (f: SharedFinding): number[] => {
  const list = f.occurrences !== undefined && f.occurrences.length > 0 ? f.occurrences.flatMap((o) => o.evidence) : f.evidence;
  return [...new Set(list.map((e) => e.frame))].sort((a, b) => a - b);
};

/** What must survive anonymisation, with the original's addresses and names put through the mapping. */
function signature(f: SharedFinding, mapAddr: (a: string) => string, mapName: (n: string) => string): string {
  const g = f as Finding & { client?: string; server?: string; names?: string[] };
  return JSON.stringify({
    kind: f.kind,
    severity: f.severity,
    frames: allFrames(f),
    client: g.client === undefined ? undefined : mapAddr(g.client),
    server: g.server === undefined ? undefined : mapAddr(g.server),
    names: g.names?.map(mapName).sort(),
  });
}

/** Every address the original's packets carry, as tshark reads them (outer, inner, ARP, ND, DNS). */
const ADDRESS_FIELDS = ['ip.addr', 'ipv6.addr', 'arp.src.proto_ipv4', 'arp.dst.proto_ipv4', 'icmpv6.nd.ns.target_address', 'icmpv6.nd.na.target_address', 'dns.a', 'dns.aaaa'];
const NAME_FIELDS = ['dns.qry.name', 'dns.resp.name', 'dns.cname', 'dns.ptr.domain_name', 'dns.ns', 'dns.soa.mname', 'dns.soa.rname'];


const CHECKS = ['-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE'];
const STATUSES = ['ip.checksum.status', 'tcp.checksum.status', 'udp.checksum.status', 'icmp.checksum.status', 'icmpv6.checksum.status', 'igmp.checksum.status'];

/**
 * One tshark pass: the frame count, the frames tshark finds malformed or with a bad checksum (with
 * its reasons), and every address and DNS name the packets carry.
 */
function tsharkView(file: string): { frames: number; problems: Map<string, string>; addresses: Set<string>; names: Set<string> } {
  const fields = ['frame.number', '_ws.malformed', '_ws.expert.message', ...STATUSES, ...ADDRESS_FIELDS, ...NAME_FIELDS];
  const problems = new Map<string, string>();
  const addresses = new Set<string>();
  const names = new Set<string>();
  const rows = tsharkFields(file, fields, undefined, CHECKS);
  const at = (name: string): number => fields.indexOf(name);
  for (const row of rows) {
    const bad = row[at('_ws.malformed')]!.length > 0 || STATUSES.some((f) => row[at(f)]!.includes('0'));
    if (bad) problems.set(row[0]![0]!, row[at('_ws.expert.message')]!.join('; '));
    ADDRESS_FIELDS.forEach((f) => row[at(f)]!.forEach((a) => addresses.add(a)));
    NAME_FIELDS.forEach((f) => row[at(f)]!.forEach((n) => n !== '<Root>' && names.add(n)));
  }
  return { frames: rows.length, problems, addresses, names };
}

describe.runIf(tsharkPresent)('anonymize: every sample', () => {
  for (const name of samples) {
    it(name, async () => {
      const input = join(SAMPLES, name);
      const out = join(tmp, name);
      const r = await anonymize(input, out);
      const a = r.anonymizer;
      const mapAddr = (t: string): string => a.addressText(t) ?? t;
      const mapName = (n: string): string => a.nameText(n);

      // The findings, mapped.
      const before = (await analyzeFile(input)).findings;
      const after = (await analyzeFile(out)).findings;
      const want = before.map((f) => signature(f, mapAddr, mapName)).sort();
      const got = after.map((f) => signature(f, (x) => x, (x) => x)).sort();
      expect(got).toEqual(want);

      // tshark: same frame count; nothing malformed and no bad checksum that the original does not
      // have too (a capture taken on the sending host carries offloaded, unfinished checksums, and
      // tshark checks the truncated packet inside an ICMP error against its full length).
      const original = tsharkView(input);
      const copy = tsharkView(out);
      expect(copy.frames).toBe(original.frames);
      expect([...copy.problems].filter(([frame]) => !original.problems.has(frame)).map(([f, why]) => `frame ${f}: ${why}`)).toEqual([]);

      // No original address or name in the bytes: binary and text forms.
      const bytes = readFileSync(out);
      const text = bytes.toString('latin1').toLowerCase();
      const { addresses, names } = original;
      for (const addr of addresses) {
        const bin = parseAddress(addr)!;
        const kept = a.addressText(addr) === addr; // unspecified, loopback, well-known multicast: constants
        if (kept) continue;
        expect(bytes.includes(bin), `${addr} in binary`).toBe(false);
        expect(text.includes(addr.toLowerCase()), `${addr} as text`).toBe(false);
      }
      for (const n of names) {
        const labels = n.split('.');
        labels.forEach((label, i) => {
          if (NameMap.keeps(label, labels.length - 1 - i, labels) || /^[0-9a-f]$/i.test(label) || /^\d+$/.test(label)) return;
          const wire = Buffer.concat([Buffer.from([label.length]), Buffer.from(label, 'latin1')]);
          expect(bytes.includes(wire), `label ${label} of ${n}`).toBe(false);
          expect(text.includes(label.toLowerCase()), `label ${label} of ${n} as text`).toBe(false);
        });
      }
    }, 300_000);
  }
});
