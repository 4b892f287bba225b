import { describe, expect, it } from 'vitest';
import { Anomalies } from '../../src/core/index.js';
import { FragmentReassembler, PacketDecoder } from '../../src/decode/index.js';
import { mutations } from '../support/hex.js';
import { dnsQuery, eth, frag6, frame, ipv4, ipv6, tcp, udp } from './build.js';
import { captureFrames } from './capture-frames.js';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const SAMPLES = join(import.meta.dirname, '../../samples');

const V4 = 0x0800;
const V6 = 0x86dd;

describe('PacketDecoder chain', () => {
  it('decodes Ethernet → IPv4 → UDP → DNS, padding ignored', () => {
    const an = new Anomalies();
    const q = dnsQuery(0x1234, 'example.com');
    const f = Buffer.concat([eth(V4, ipv4({ protocol: 17 }, udp(40000, 53, q))), Buffer.alloc(6)]);
    const p = new PacketDecoder(an).decode(frame(f))!;
    expect(p.ip).toMatchObject({ version: 4, src: '192.0.2.1', dst: '192.0.2.2', protocol: 17, truncated: false });
    expect(p.udp).toEqual({ srcPort: 40000, dstPort: 53, length: 8 + q.length, truncated: false });
    expect(p.dns.map((m) => [m.id, m.question?.name])).toEqual([[0x1234, 'example.com']]);
  });

  it('keeps every Packet key present (one shape)', () => {
    const p = new PacketDecoder(new Anomalies()).decode(frame(eth(V6, ipv6({ nextHeader: 59 }, Buffer.alloc(0)))))!;
    expect(Object.keys(p).sort()).toEqual(['caplen', 'dns', 'frame', 'icmp', 'iface', 'ip', 'linkType', 'nanos', 'origlen', 'tcp', 'time', 'udp', 'vlan']);
    expect(Object.keys(p.ip!)).toHaveLength(14);
  });

  it('with reusePackets, refills one Packet that reads the same as a fresh one, frame by frame', () => {
    // Real traffic with TCP options, SACK, fragments, DNS and ICMP: every field must be rewritten,
    // including the ones a previous frame set and this one lacks (mss, sack, udp …).
    const fresh = new PacketDecoder(new Anomalies());
    const reused = new PacketDecoder(new Anomalies(), { reusePackets: true });
    let first: unknown;
    let compared = 0;
    for (const file of readdirSync(SAMPLES).filter((n) => /\.pcap(ng)?$/.test(n))) {
      for (const f of captureFrames(join(SAMPLES, file))) {
        const a = fresh.decode(f);
        const b = reused.decode(f);
        expect(JSON.stringify(b)).toBe(JSON.stringify(a));
        if (b !== undefined) { first ??= b; expect(b).toBe(first); compared++; }
      }
    }
    expect(compared).toBeGreaterThan(10_000);
  });

  it('with reusePackets, refills one UDP DNS message, its answers past the pool included', () => {
    // A response with 70 A answers (the decoder keeps 64 answer records for reuse), then a query:
    // each decodes as a fresh decoder decodes it, into the same message object.
    const answers = Buffer.concat(Array.from({ length: 70 }, (_, i) => Buffer.from(`c00c000100010000003c0004c00002${(i + 1).toString(16).padStart(2, '0')}`, 'hex')));
    const q = dnsQuery(0x4321, 'many.example');
    const opt = Buffer.from('0000291000000080000000', 'hex'); // EDNS: size 4096, DO
    const response = Buffer.concat([q.subarray(0, 2), Buffer.from('81800001004600000001', 'hex'), q.subarray(12), answers, opt]);
    const frames = [response, q, response].map((m, i) => frame(eth(V4, ipv4({ protocol: 17 }, i === 1 ? udp(40000, 53, m) : udp(53, 40000, m)))));
    const fresh = new PacketDecoder(new Anomalies());
    const reused = new PacketDecoder(new Anomalies(), { reusePackets: true });
    const seen = frames.map((f) => {
      const a = fresh.decode(f)!.dns;
      const b = reused.decode(f)!.dns;
      expect(JSON.stringify(b)).toBe(JSON.stringify(a));
      const m = b[0]!;
      return { m, data: m.answers.map((x) => x.data), edns: m.edns?.udpPayloadSize };
    });
    const all = Array.from({ length: 70 }, (_, i) => `192.0.2.${i + 1}`);
    expect(seen.map((x) => [x.data, x.edns])).toEqual([[all, 4096], [[], undefined], [all, 4096]]);
    expect(seen[1]!.m).toBe(seen[0]!.m);
    // Without reusePackets every message is new.
    expect(fresh.decode(frames[1]!)!.dns[0]).not.toBe(fresh.decode(frames[1]!)!.dns[0]);
  });

  it('with reusePackets, hands one answers list per answer count, refilled, each of its exact size', () => {
    const q = dnsQuery(0x4321, 'few.example');
    const response = (n: number, base: number): Buffer => Buffer.concat([
      q.subarray(0, 2), Buffer.from(`8180000100${n.toString(16).padStart(2, '0')}00000000`, 'hex'), q.subarray(12),
      ...Array.from({ length: n }, (_, i) => Buffer.from(`c00c000100010000003c0004c00002${(base + i).toString(16).padStart(2, '0')}`, 'hex')),
    ]);
    const reused = new PacketDecoder(new Anomalies(), { reusePackets: true });
    const seen = [response(2, 1), response(1, 5), response(2, 9), response(3, 20)].map((m) => {
      const answers = reused.decode(frame(eth(V4, ipv4({ protocol: 17 }, udp(53, 40000, m)))))!.dns[0]!.answers;
      return { answers, data: answers.map((a) => a.data) };
    });
    expect(seen.map((s) => s.data)).toEqual([['192.0.2.1', '192.0.2.2'], ['192.0.2.5'], ['192.0.2.9', '192.0.2.10'], ['192.0.2.20', '192.0.2.21', '192.0.2.22']]);
    expect(seen[2]!.answers).toBe(seen[0]!.answers);
    expect(seen[1]!.answers).not.toBe(seen[0]!.answers);
  });

  it('gives the IPv4 identification, none for IPv6', () => {
    const d = new PacketDecoder(new Anomalies());
    expect(d.decode(frame(eth(V4, ipv4({ protocol: 59, id: 0x872d }, Buffer.alloc(0)))))!.ip!.id).toBe(0x872d);
    expect(d.decode(frame(eth(V6, ipv6({ nextHeader: 59 }, Buffer.alloc(0)))))!.ip!.id).toBeUndefined();
  });

  it('does not try DNS on mDNS/LLMNR, but does by shape on other ports', () => {
    const q = dnsQuery(7, 'printer.local');
    const d = new PacketDecoder(new Anomalies());
    expect(d.decode(frame(eth(V4, ipv4({ protocol: 17 }, udp(5353, 5353, q)))))!.dns).toHaveLength(0);
    expect(d.decode(frame(eth(V4, ipv4({ protocol: 17 }, udp(40000, 5355, q)))))!.dns).toHaveLength(0);
    expect(d.decode(frame(eth(V4, ipv4({ protocol: 17 }, udp(40000, 8053, q)))))!.dns).toHaveLength(1);
    expect(d.decode(frame(eth(V4, ipv4({ protocol: 17 }, udp(40000, 8053, Buffer.from('not dns at all, really'))))))!.dns).toHaveLength(0);
    expect(new PacketDecoder(new Anomalies(), { dnsByShape: false }).decode(frame(eth(V4, ipv4({ protocol: 17 }, udp(40000, 8053, q)))))!.dns).toHaveLength(0);
  });

  it('reassembles a fragmented IPv4 DNS answer out of order and names the fragments', () => {
    const an = new Anomalies();
    const d = new PacketDecoder(an);
    const dgram = udp(53, 40000, Buffer.concat([dnsQuery(99, 'big.example'), Buffer.alloc(100)]));
    const a = dgram.subarray(0, 64), b = dgram.subarray(64);
    const f2 = frame(eth(V4, ipv4({ protocol: 17, id: 5, offset: 64 }, b)));
    const f1 = frame(eth(V4, ipv4({ protocol: 17, id: 5, mf: true }, a)));
    const p2 = d.decode(f2)!;
    expect(p2.ip).toMatchObject({ fragment: true, reassembled: false });
    expect(p2.udp).toBeUndefined();
    const p1 = d.decode(f1)!;
    expect(p1.ip).toMatchObject({ fragment: true, reassembled: true, fragmentFrames: [f2.index, f1.index], length: 20 + dgram.length });
    expect(p1.udp?.srcPort).toBe(53);
    expect(p1.dns.map((m) => m.id)).toEqual([99]);
    expect(an.total).toBe(0);
  });

  it('reassembles IPv6 fragments and walks headers inside the fragmentable part', () => {
    const d = new PacketDecoder(new Anomalies());
    const inner = Buffer.concat([Buffer.from([17, 0, 1, 4, 0, 0, 0, 0]), udp(53, 40000, Buffer.concat([dnsQuery(42, 'v6.example'), Buffer.alloc(40)]))]); // dest opts → UDP
    const a = inner.subarray(0, 48), b = inner.subarray(48);
    d.decode(frame(eth(V6, ipv6({ nextHeader: 44 }, Buffer.concat([frag6(60, 0, true, 77), a])))));
    const p = d.decode(frame(eth(V6, ipv6({ nextHeader: 44 }, Buffer.concat([frag6(60, 48, false, 77), b])))))!;
    expect(p.ip).toMatchObject({ version: 6, protocol: 17, fragment: true, reassembled: true, headerLength: 40 + 8 + 8 });
    expect(p.dns.map((m) => m.id)).toEqual([42]);
  });

  it('follows 6in4 and 4in6 tunnels to the innermost addresses, and bounds the depth', () => {
    const d = new PacketDecoder(new Anomalies());
    const syn = tcp({ sport: 1234, dport: 443, options: Buffer.from([2, 4, 0x05, 0x8c]) });
    const v6 = ipv6({ nextHeader: 6, src: '2001:db8::a', dst: '2001:db8::b' }, syn);
    const p = d.decode(frame(eth(V4, ipv4({ protocol: 41 }, v6))))!;
    expect(p.ip).toMatchObject({ version: 6, src: '2001:db8::a', tunnelled: true });
    expect(p.tcp?.mss).toBe(1420);
    const p2 = d.decode(frame(eth(V6, ipv6({ nextHeader: 4 }, ipv4({ protocol: 6, src: '10.0.0.1' }, syn)))))!;
    expect(p2.ip).toMatchObject({ version: 4, src: '10.0.0.1', tunnelled: true });
    let deep = v6;
    for (let i = 0; i < 6; i++) deep = ipv6({ nextHeader: 41 }, deep);
    const an = new Anomalies();
    const p3 = new PacketDecoder(an, { maxTunnelDepth: 2 }).decode(frame(eth(V6, deep)))!;
    expect(p3.tcp).toBeUndefined();
    expect(an.get('ip.tunnel_too_deep')).toBe(1);
  });

  it('carries the outer VLAN id and accepts Linux cooked / raw / loopback frames', () => {
    const d = new PacketDecoder(new Anomalies());
    const dg = ipv4({ protocol: 17 }, udp(1, 2, Buffer.alloc(4)));
    expect(d.decode(frame(eth(V4, dg, [0x88a8, 0x8100])))!.vlan).toBe(101);
    expect(d.decode(frame(dg, 101))!.udp?.dstPort).toBe(2);
    expect(d.decode(frame(Buffer.concat([Buffer.from([0, 0, 0, 2]), dg]), 108))!.ip?.version).toBe(4);
    expect(d.decode(frame(Buffer.concat([Buffer.alloc(14), Buffer.from([8, 0]), dg]), 113))!.ip?.src).toBe('192.0.2.1');
  });

  it('returns undefined for unsupported links and non-IP frames, counting them', () => {
    const an = new Anomalies();
    const d = new PacketDecoder(an);
    expect(d.decode(frame(Buffer.alloc(60), 105))).toBeUndefined();
    expect(d.decode(frame(eth(0x0806, Buffer.alloc(28))))).toBeUndefined(); // ARP: not an anomaly
    expect(d.decode(frame(eth(0x88cc, Buffer.alloc(28))))).toBeUndefined(); // LLDP
    expect([an.get('link.unsupported'), an.get('link.unknown_ethertype')]).toEqual([1, 1]);
  });

  it('takes TCP payload length from the IP header when the capture is cut', () => {
    const seg = tcp({ sport: 443, dport: 5000, flags: 0x10 }, Buffer.alloc(1400));
    const full = eth(V4, ipv4({ protocol: 6 }, seg));
    const p = new PacketDecoder(new Anomalies()).decode(frame(full.subarray(0, 96)))!;
    expect(p.tcp).toMatchObject({ payloadLength: 1400, truncated: true });
    expect(p.ip?.truncated).toBe(true);
  });
});

describe('FragmentReassembler limits', () => {
  const piece = Buffer.alloc(16, 1);
  it('drops the oldest datagram past maxDatagrams', () => {
    const an = new Anomalies();
    const r = new FragmentReassembler(an, { maxDatagrams: 2 });
    for (let i = 0; i < 3; i++) r.fragment(`k${i}`, 0, true, piece, 0, 16, 17, i + 1, 0);
    expect(r.inFlight).toBe(2);
    expect(an.get('ip.fragment_limit')).toBe(1);
    expect(r.fragment('k0', 16, false, piece, 0, 16, 17, 9, 0)).toBeUndefined(); // k0 was dropped
  });
  it('bounds buffered bytes', () => {
    const an = new Anomalies();
    const r = new FragmentReassembler(an, { maxBytes: 40 });
    for (let i = 0; i < 5; i++) r.fragment(`k${i}`, 0, true, piece, 0, 16, 17, i + 1, 0);
    expect(r.bufferedBytes).toBeLessThanOrEqual(40);
    expect(an.get('ip.fragment_limit')).toBe(3);
  });
  it('times out on capture time', () => {
    const an = new Anomalies();
    const r = new FragmentReassembler(an, { timeoutMicros: 1000 });
    r.fragment('a', 0, true, piece, 0, 16, 17, 1, 0);
    r.expire(500);
    expect(r.inFlight).toBe(1);
    r.expire(2000);
    expect([r.inFlight, an.get('ip.fragment_timeout')]).toEqual([0, 1]);
  });
  it('drops a datagram whose earlier fragment lies past the end the last one states', () => {
    // 0–8 and 40–48 arrive, then the last fragment, 16–32: 8 + 8 + 16 octets received would
    // "complete" a 32-octet datagram with octets 8–16 never sent (found by fuzzing in a review).
    const an = new Anomalies();
    const r = new FragmentReassembler(an);
    expect(r.fragment('a', 0, true, piece, 0, 8, 17, 1, 0)).toBeUndefined();
    expect(r.fragment('a', 40, true, piece, 0, 8, 17, 2, 0)).toBeUndefined();
    expect(r.fragment('a', 16, false, piece, 0, 16, 17, 3, 0)).toBeUndefined();
    expect([r.inFlight, an.get('ip.fragment_overlap')]).toEqual([0, 1]);
  });
  it('drops a datagram on overlap, ignores exact duplicates', () => {
    const an = new Anomalies();
    const r = new FragmentReassembler(an);
    r.fragment('a', 0, true, piece, 0, 16, 17, 1, 0);
    r.fragment('a', 0, true, piece, 0, 16, 17, 2, 0);
    expect(an.get('ip.fragment_overlap')).toBe(0);
    expect(r.fragment('a', 16, false, piece, 0, 16, 17, 3, 0)?.frames).toEqual([1, 2, 3]);
    r.fragment('b', 0, true, piece, 0, 16, 17, 4, 0);
    r.fragment('b', 8, false, piece, 0, 16, 17, 5, 0);
    expect(an.get('ip.fragment_overlap')).toBe(1);
    expect(r.inFlight).toBe(0);
  });
  it('refuses fragments past 65535 octets', () => {
    const an = new Anomalies();
    expect(new FragmentReassembler(an).fragment('a', 65528, false, piece, 0, 16, 17, 1, 0)).toBeUndefined();
    expect(an.get('ip.fragment_too_big')).toBe(1);
  });
});

describe('never throws', () => {
  // Real frames of every link type and protocol the chain handles.
  const files = [
    'ndpi/6in4tunnel.pcap', 'zeek/ipv6-fragmented-dns.pcap', 'dnscap/frags.pcap', 'zeek/smtp.pcap', 'arkime/v6.pcap',
    'pcapplusplus/PcapTest/sll2.pcap', 'tcpdump/tcp-handshake-nano.pcap', 'pcapplusplus/PcapTest/null_loopback.pcap',
    'pcapplusplus/PcapTest/four_ipv6_http_streams.pcap', 'libpcap/filter/ipv6_ext_headers.pcap', 'zeek/icmp/icmp6-destunreach-ip6ext-udp.pcap',
    'dnscap/vlan11.pcap', 'pcapplusplus/PacketTest/QinQ_802.1_AD.pcapng', 'dnscap/dnso1tcp.pcap', 'suricata-verify/ipv6-evasion/ipv6-malformed-fragments-1/frag-1.pcap',
  ];
  const frames = files.flatMap((f) => captureFrames(f).slice(0, 40));
  it('on every prefix of real frames', () => {
    const d = new PacketDecoder(new Anomalies());
    for (const f of frames) for (let n = 0; n <= f.data.length; n += f.data.length > 200 ? 7 : 1) {
      const data = f.data.subarray(0, n);
      expect(() => d.decode({ ...f, data, caplen: n })).not.toThrow();
    }
  });
  it('on 2000 seeded mutations of each of a sample of real frames', () => {
    const d = new PacketDecoder(new Anomalies(), { fragments: { maxDatagrams: 64 } });
    const sample = frames.filter((_, i) => i % 6 === 0);
    let decoded = 0;
    for (const [i, f] of sample.entries()) for (const m of mutations(f.data.subarray(0, 200), 2000, i + 1)) {
      if (d.decode({ ...f, data: m, caplen: m.length }) !== undefined) decoded++;
    }
    expect(decoded).toBeGreaterThan(sample.length * 1000); // most mutations still decode to something
  });
});
