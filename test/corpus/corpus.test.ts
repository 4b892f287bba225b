// Differential test: every public capture in ../shared/captures, decoded by dualscope, against the
// truth tshark 4.0 wrote for it: frame count and timestamps, every DNS message, every TCP SYN and
// SYN-ACK's options, every ICMP error's type, code, MTU and quoted flow. Where dualscope differs on
// purpose, known-differences.json names the file and says why — and the test checks the difference
// is still there, so the list cannot go stale.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Anomalies, CaptureFormatError } from '../../src/core/index.js';
import { PacketDecoder, TcpFlag, wiresharkNameText, type Packet } from '../../src/decode/index.js';
import { readCapture } from '../../src/readers/index.js';
import known from './known-differences.json' with { type: 'json' };

import { CORPUS, corpusPresent } from '../support/corpus.js';

interface ManifestFile {
  path: string;
  packets: number;
  frames_tshark: number;
  tshark: { status: string };
  truth_file: string;
}
interface TruthDns {
  frame: number; time_epoch: string; proto: string; transport: string; src: string; dst: string;
  sport: number; dport: number; id: number; qr: number; qname: string | null; qtype: number | null;
  rcode: number | null; ancount: number; tc: boolean; encapsulated?: boolean;
}
interface TruthSyn { frame: number; time_epoch: string; kind: string; src: string; dst: string; sport: number; dport: number; mss: number | null; wscale: number | null; sack_perm: boolean }
interface TruthIcmp {
  frame: number; family: string; type: number; code: number; src: string; dst: string; mtu: number | null;
  inner: { src: string; dst: string; proto: number; sport?: number; dport?: number } | null;
}
interface Truth { dns: TruthDns[]; tcp_syn: TruthSyn[]; icmp_errors: TruthIcmp[] }

const knownDifferences = known as Record<string, { reason: string; kinds: string[] }>;

/**
 * tshark's `time_epoch` as integer nanoseconds, without float rounding. tshark prints an invalid
 * sub-second field raw (`1418145370.1000000000` is 1e9 ns past 1418145370), so more than nine
 * digits are a nanosecond count, not a fraction.
 */
function truthTime(s: string): string {
  const [sec = '0', frac = ''] = s.split('.');
  const nanos = frac.length > 9 ? BigInt(frac) : BigInt(frac.padEnd(9, '0'));
  return String(BigInt(sec) * 1_000_000_000n + nanos);
}
const ourTime = (p: Packet): string => String(BigInt(p.time) * 1000n + BigInt(p.nanos));

async function decodeAll(path: string): Promise<{ packets: Packet[]; frames: number; error?: string }> {
  const anomalies = new Anomalies();
  const decoder = new PacketDecoder(anomalies);
  const packets: Packet[] = [];
  let frames = 0;
  try {
    const info = await readCapture(path, (f) => {
      frames++;
      const p = decoder.decode(f);
      if (p) packets.push(p);
    }, anomalies);
    // tshark numbers pcapng custom blocks as frames; so do we (see the readers), without delivering them.
    frames += info.nonPacketRecords;
  } catch (e) {
    if (e instanceof CaptureFormatError) return { packets, frames, error: e.code };
    throw e;
  }
  return { packets, frames };
}

/** Every difference between our decode and the truth, as `kind: detail` lines. */
function compare(truth: Truth, packets: Packet[]): string[] {
  const diffs: string[] = [];
  const byFrame = new Map<number, Packet>();
  for (const p of packets) byFrame.set(p.frame, p);

  for (const t of truth.dns.filter((d) => d.proto === 'dns')) {
    const p = byFrame.get(t.frame);
    const m = p?.dns.find((d) => d.id === t.id && d.qr === (t.qr === 1));
    if (!p || !m) {
      diffs.push(`dns-missing: frame ${t.frame} id ${t.id} qr ${t.qr}${t.encapsulated ? ' (encapsulated)' : ''}`);
      continue;
    }
    const want = { qname: t.qname, qtype: t.qtype, ancount: t.ancount, tc: t.tc, transport: t.transport, sport: t.sport, dport: t.dport, time: truthTime(t.time_epoch), rcode: t.qr === 1 ? t.rcode : null };
    const got = {
      qname: m.question ? wiresharkNameText(m.question.name) : null, qtype: m.question ? m.question.type : null, ancount: m.ancount, tc: m.tc, transport: m.transport,
      sport: p.udp?.srcPort ?? p.tcp?.srcPort, dport: p.udp?.dstPort ?? p.tcp?.dstPort, time: ourTime(p), rcode: t.qr === 1 ? m.rcode : null,
    };
    for (const k of Object.keys(want) as (keyof typeof want)[]) {
      if (want[k] !== got[k]) diffs.push(`dns-${k}: frame ${t.frame} id ${t.id}: tshark ${JSON.stringify(want[k])}, dualscope ${JSON.stringify(got[k])}`);
    }
  }
  const truthDnsFrames = new Set(truth.dns.map((d) => d.frame));
  for (const p of packets) {
    if (p.dns.length > 0 && !truthDnsFrames.has(p.frame)) diffs.push(`dns-extra: frame ${p.frame}`);
  }

  for (const t of truth.tcp_syn) {
    const p = byFrame.get(t.frame);
    const tcp = p?.tcp;
    if (!p || !tcp || !(tcp.flags & TcpFlag.SYN)) {
      diffs.push(`syn-missing: frame ${t.frame}`);
      continue;
    }
    const kind = tcp.flags & TcpFlag.ACK ? 'SYN/ACK' : 'SYN';
    const want = { kind: t.kind, mss: t.mss, wscale: t.wscale, sack: t.sack_perm, time: truthTime(t.time_epoch), src: t.src, dst: t.dst };
    const got = { kind, mss: tcp.mss ?? null, wscale: tcp.windowScale ?? null, sack: tcp.sackPermitted, time: ourTime(p), src: p.ip?.src, dst: p.ip?.dst };
    for (const k of Object.keys(want) as (keyof typeof want)[]) {
      if (want[k] !== got[k]) diffs.push(`syn-${k}: frame ${t.frame}: tshark ${JSON.stringify(want[k])}, dualscope ${JSON.stringify(got[k])}`);
    }
  }
  const truthSynFrames = new Set(truth.tcp_syn.map((s) => s.frame));
  for (const p of packets) if (p.tcp && p.tcp.flags & TcpFlag.SYN && !truthSynFrames.has(p.frame)) diffs.push(`syn-extra: frame ${p.frame}`);

  for (const t of truth.icmp_errors) {
    const p = byFrame.get(t.frame);
    const i = p?.icmp;
    if (!p || !i || i.type !== t.type || i.code !== t.code) {
      diffs.push(`icmp-missing: frame ${t.frame} ${t.family} ${t.type}/${t.code}`);
      continue;
    }
    if ((t.type === 2 && t.family === 'icmpv6') || (t.family === 'icmp' && t.type === 3 && t.code === 4)) {
      if ((t.mtu ?? 0) !== (i.mtu ?? 0)) diffs.push(`icmp-mtu: frame ${t.frame}: tshark ${t.mtu}, dualscope ${i.mtu}`);
    }
    if (t.inner) {
      const q = i.quoted;
      if (!q) {
        diffs.push(`icmp-quote-missing: frame ${t.frame}`);
        continue;
      }
      if (q.src !== t.inner.src || q.dst !== t.inner.dst) diffs.push(`icmp-quote-addr: frame ${t.frame}: tshark ${t.inner.src}>${t.inner.dst}, dualscope ${q.src}>${q.dst}`);
      // tshark's `proto` is the first next-header; ours walks the extension headers. Compare
      // where they mean the same thing: an upper-layer protocol.
      if ([1, 6, 17, 58].includes(t.inner.proto) && q.protocol !== t.inner.proto) diffs.push(`icmp-quote-proto: frame ${t.frame}: tshark ${t.inner.proto}, dualscope ${q.protocol}`);
      if (t.inner.sport !== undefined && (q.srcPort !== t.inner.sport || q.dstPort !== t.inner.dport)) diffs.push(`icmp-quote-ports: frame ${t.frame}: tshark ${t.inner.sport}>${t.inner.dport}, dualscope ${q.srcPort}>${q.dstPort}`);
    }
  }
  return diffs;
}

const manifest: ManifestFile[] = corpusPresent ? (JSON.parse(readFileSync(join(CORPUS, 'manifest.json'), 'utf8')) as { files: ManifestFile[] }).files : [];

describe.skipIf(!corpusPresent)('public capture corpus vs tshark', () => {
  it('has the corpus', () => expect(manifest.length).toBeGreaterThan(100));

  for (const entry of manifest) {
    it(entry.path, async () => {
      const path = join(CORPUS, entry.path);
      const { packets, frames, error } = await decodeAll(path);
      const listed = knownDifferences[entry.path];
      const status = entry.tshark.status;
      if (status === 'unsupported' || status === 'damaged-or-corrupt') {
        // tshark cannot open it: we must not crash; what we read is checked against the container parser.
        if (!error) expect(frames).toBeLessThanOrEqual(Math.max(entry.packets, entry.frames_tshark));
        return;
      }
      expect(error, `unexpected CaptureFormatError ${error}`).toBeUndefined();
      const truth = JSON.parse(readFileSync(join(CORPUS, entry.truth_file), 'utf8')) as Truth;
      const diffs = compare(truth, packets);
      if (frames !== entry.frames_tshark) diffs.unshift(`frames: tshark ${entry.frames_tshark}, dualscope ${frames}`);
      if (process.env.CORPUS_VERBOSE && diffs.length) process.stderr.write(`${entry.path}\n  ${diffs.slice(0, 12).join('\n  ')}\n`);
      if (!listed) {
        expect(diffs.length === 0 ? [] : [`${diffs.length} differences`, ...diffs.slice(0, 12)]).toEqual([]);
      } else {
        // Each listed kind of difference must still occur, and no other kind may appear.
        const kinds = [...new Set(diffs.map((d) => d.slice(0, d.indexOf(':'))))].sort();
        expect(kinds, listed.reason).toEqual([...listed.kinds].sort());
      }
    });
  }
});
