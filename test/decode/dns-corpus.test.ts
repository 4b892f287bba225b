// The DNS decoder against tshark 4.0's truth for every capture in ../shared/captures that holds
// DNS: every message, field by field. Payloads come from the test-only extractor until the real
// readers and packet decoder land.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Anomalies } from '../../src/core/index.js';
import { decodeDns, looksLikeDns, wiresharkNameText } from '../../src/decode/dns.js';
import { DnsTcpReassembler } from '../../src/decode/dns-tcp.js';
import type { DnsMessage } from '../../src/decode/types.js';
import { extractSegments, type Segment } from './support-extract.js';

import { CORPUS as CAPTURES } from '../support/corpus.js';
const TRUTH = join(CAPTURES, 'truth');

interface TruthDns {
  frame: number; proto: string; transport: string; id: number; qr: number; opcode: number;
  aa: boolean; tc: boolean; rcode: number | null; qdcount: number; ancount: number; nscount: number;
  arcount: number; qname: string | null; qtype: number | null; sport: number; dport: number;
  edns: { udp_payload_size: number; version: number; ext_rcode: number; do: boolean | number } | null;
  malformed: boolean; encapsulated?: boolean;
}

function truthFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...truthFiles(p));
    else if (e.endsWith('.json')) out.push(p);
  }
  return out;
}

/** Captures with DNS in their truth, by path relative to the captures root. */
const corpus = existsSync(TRUTH)
  ? truthFiles(TRUTH)
      .map((t) => ({ file: relative(TRUTH, t).slice(0, -'.json'.length), dns: (JSON.parse(readFileSync(t, 'utf8')).dns as TruthDns[]).filter((d) => d.proto === 'dns') }))
      .filter((c) => c.dns.length > 0 && existsSync(join(CAPTURES, c.file)))
  : [];

/** The fields compared, in tshark's terms. Our partial values stand where tshark gives up. */
function view(m: DnsMessage): Record<string, unknown> {
  return {
    id: m.id, qr: m.qr ? 1 : 0, opcode: m.opcode, aa: m.qr ? m.aa : null, tc: m.tc,
    rcode: m.qr ? m.rcode : null,
    qdcount: m.qdcount, ancount: m.ancount, nscount: m.nscount, arcount: m.arcount,
    qname: m.question ? wiresharkNameText(m.question.name) : null,
    qtype: m.question ? m.question.type : null,
    edns: m.edns ? { udp_payload_size: m.edns.udpPayloadSize, version: m.edns.version, ext_rcode: m.edns.extendedRcode, do: m.edns.dnssecOk } : null,
  };
}
function truthView(t: TruthDns): Record<string, unknown> {
  return {
    id: t.id, qr: t.qr, opcode: t.opcode, aa: t.aa, tc: t.tc, rcode: t.rcode,
    qdcount: t.qdcount, ancount: t.ancount, nscount: t.nscount, arcount: t.arcount,
    qname: t.qname, qtype: t.qtype,
    edns: t.edns ? { ...t.edns, do: Boolean(t.edns.do) } : null,
  };
}

/**
 * Messages where dualscope legitimately differs from tshark, by `file#frame`: the fields left
 * out of the comparison and why. Every entry must still be hit, so a stale one fails.
 */
const KNOWN: Record<string, { readonly ignore: readonly string[]; readonly why: string }> = {
  'tcpdump/dns_fwdptr.pcap#1': {
    ignore: ['qname', 'qtype'],
    why: 'the first name runs past 255 octets through forward pointers: tshark prints "<Name too long>" and reads on from where its walk stopped; dualscope keeps the labels before the limit and ends the name where it ends in place (RFC 1035 §4.1.4), so the question type is read from a different place',
  },
  'compactor/knot-live.raw.pcap#9148': { ignore: ['qname'], why: 'name over 255 octets: tshark prints "<Name too long>", dualscope keeps the first labels' },
  'compactor/knot-live.raw.pcap#11804': { ignore: ['qname'], why: 'name over 255 octets: tshark prints "<Name too long>", dualscope keeps the first labels' },
  'compactor/knot-live.raw.pcap#11969': {
    ignore: ['qdcount', 'ancount', 'nscount', 'qname', 'qtype'],
    why: 'opcode 5 (UPDATE): tshark names the counts zocount/prcount/upcount and the zone section, so its dns.count.queries and dns.qry.name are absent; dualscope reads the same header words as QDCOUNT/ANCOUNT/NSCOUNT and the zone as the question (RFC 2136 §2.2)',
  },
  'compactor/knot-live.raw.pcap#11970': {
    ignore: ['qdcount', 'ancount', 'nscount', 'qname', 'qtype'],
    why: 'the UPDATE response to #11969, same reason',
  },
  'compactor/malformed.pcap#21': {
    ignore: ['*'],
    why: 'a 10-octet UDP payload: tshark shows the header fields it has; dualscope needs the 12-octet header (RFC 1035 §4.1.1), notes dns.short_header and yields no message',
  },
};

/** Files where dualscope finds DNS messages tshark does not (every tshark message still matches). */
const EXTRA_OK: Record<string, string> = {
  'dnscap/dnso1tcp-bighole.pcap':
    'after the capture hole, the client stream resumes with a query whose length prefix was lost: tshark takes its ID as a length and swallows the rest of the stream; dualscope resynchronises at the next plausible message start and decodes the queries tshark misses',
  'dnscap/do1t-nosyn-1nolen.pcap':
    'the client stream starts without its SYN and without the first length prefix: tshark never finds the framing; dualscope skips the headless segment and decodes the next query',
};

interface Decoded { frame: number; msg: DnsMessage }

function decodeFile(file: string, truth: TruthDns[]): { got: Decoded[]; skippedFrames: Set<number> } {
  const segs = extractSegments(join(CAPTURES, file));
  const truthUdpFrames = new Set(truth.filter((t) => t.transport === 'udp').map((t) => t.frame));
  const skippedFrames = new Set<number>();
  const got: Decoded[] = [];
  const tcp = new DnsTcpReassembler(new Anomalies());
  const anomalies = new Anomalies();
  for (const s of segs) {
    if (s.fragment) { skippedFrames.add(s.frame); continue; } // no IP reassembly in the test extractor
    if (s.transport === 'udp') {
      if (!isDnsUdp(s, truthUdpFrames)) continue;
      const m = decodeDns(s.payload, 'udp', anomalies);
      if (m) got.push({ frame: s.frame, msg: m });
      // In place, as packet.ts decodes it: the same message from inside a larger buffer (bytes that
      // look like compression pointers around it, so an offset off by the base would show).
      const framed = Buffer.concat([Buffer.alloc(7, 0xc0), s.payload, Buffer.alloc(5, 0xc0)]);
      expect(decodeDns(framed, 'udp', new Anomalies(), 7, 7 + s.payload.length)).toEqual(m);
    } else if (s.srcPort === 53 || s.dstPort === 53 || s.srcPort === 5353 || s.dstPort === 5353) { // tshark: dns.tcp.port 53, 5353
      const key = `${s.src}|${s.srcPort}|${s.dst}|${s.dstPort}`;
      for (const m of tcp.segment(key, s.seq, s.flags, s.payload, 0)) got.push({ frame: s.frame, msg: m });
    }
  }
  return { got, skippedFrames };
}

const NOT_DNS_PORTS = new Set([137, 5353, 5355]);

/** Port 53, or (as packet.ts will do) any port where the payload passes `looksLikeDns`. */
function isDnsUdp(s: Segment, _truthFrames: Set<number>): boolean {
  if (s.srcPort === 53 || s.dstPort === 53) return true;
  // mDNS, LLMNR and NetBIOS name service share DNS's shape but are other protocols (tshark too).
  if (NOT_DNS_PORTS.has(s.srcPort) || NOT_DNS_PORTS.has(s.dstPort)) return false;
  return looksLikeDns(s.payload);
}

describe('DNS messages match tshark, field by field', () => {
  it('finds the corpus', () => {
    expect(corpus.length).toBeGreaterThan(50);
  });
  let total = 0;
  let matched = 0;
  const differing: string[] = [];
  const hit = new Set<string>();
  it.each(corpus.map((c) => [c.file, c] as const))('%s', (_name, c) => {
    const { got, skippedFrames } = decodeFile(c.file, c.dns);
    const want = c.dns.filter((t) => !skippedFrames.has(t.frame) && !t.encapsulated);
    const byFrame = new Map<number, Decoded[]>();
    for (const g of got) byFrame.set(g.frame, [...(byFrame.get(g.frame) ?? []), g]);
    const mismatches: string[] = [];
    const seen = new Map<number, number>();
    for (const t of want) {
      const i = seen.get(t.frame) ?? 0;
      seen.set(t.frame, i + 1);
      const g = byFrame.get(t.frame)?.[i];
      const key = `${c.file}#${t.frame}`;
      total++;
      const known = KNOWN[key];
      if (known) hit.add(key);
      const strip = (v: Record<string, unknown>): Record<string, unknown> =>
        Object.fromEntries(Object.entries(v).filter(([k]) => !known || !(known.ignore.includes(k) || known.ignore.includes('*'))));
      const a = g ? JSON.stringify(strip(view(g.msg))) : 'missing';
      const b = JSON.stringify(strip(truthView(t)));
      if (known?.ignore.includes('*') ? !g : a === b) {
        if (known) differing.push(key);
        else matched++;
      } else mismatches.push(`${key}: got ${a}\n  want ${b}`);
    }
    // No DNS message that tshark did not see (on the frames we could read).
    const extra = EXTRA_OK[c.file] ? [] : got.filter((g) => (seen.get(g.frame) ?? 0) < (byFrame.get(g.frame)?.length ?? 0));
    if (EXTRA_OK[c.file]) expect(got.length).toBeGreaterThan(want.length); // the entry is still needed
    expect(mismatches.slice(0, 3)).toEqual([]);
    expect(extra.map((g) => `${c.file}#${g.frame}+ ${JSON.stringify(view(g.msg))}`)).toEqual([]);
  });
  it('every known difference still occurs', () => {
    expect([...hit].sort()).toEqual(Object.keys(KNOWN).sort());
  });
  it('summary', () => {
    console.log(`DNS corpus: ${matched}/${total} messages identical to tshark; ${differing.length} known differences`);
    expect(matched + differing.length).toBe(total);
  });
});
