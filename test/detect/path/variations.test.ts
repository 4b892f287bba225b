// Variations of the path incidents that the lab's own samples do not show: other capture points,
// other stacks' timing, and the look-alikes INCIDENTS.md lists under "Not this". Hand-built
// packet sequences (test/support/tcp-packets.ts); the real captures of the same ideas are in
// samples/ (pmtud-v6-blackhole-router-*, pmtud-tso-server, pmtud-congestion-loss-*, pmtud-v4-nodf-*).
import { describe, expect, it } from 'vitest';
import type { Packet } from '../../../src/decode/index.js';
import { dnsAnswer, icmp6, resetFrames, tcp4, tcp6, type TcpSpec } from '../../support/tcp-packets.js';
import { C4, C6, MS, S4, S6, run, transfer } from './scenarios.js';

const kind = (ps: Packet[], k: string) => run(ps).findings.filter((f) => f.kind === k);
const renumber = (ps: Packet[]) => ps.sort((a, b) => a.time - b.time).map((p, i) => ({ ...p, frame: i + 1 }));

/** `tcpdump -i any` on a router: each forwarded packet again 20 µs later, one hop lower. */
function forwardedTwice(ps: Packet[], keep: (p: Packet) => boolean = () => true): Packet[] {
  const out: Packet[] = [];
  for (const p of ps) {
    out.push(p);
    if (keep(p)) out.push({ ...p, time: p.time + 20, ip: { ...p.ip!, hopLimit: p.ip!.hopLimit - 1 } });
  }
  return renumber(out);
}

describe('forwarding copies (-i any on a router)', () => {
  it('are not retransmissions, duplicate ACKs or SYN retries', () => {
    const once = run(transfer({ v: 6, largeSends: [0], sackedTail: true, clientRstAt: 300 })).connections[0]!;
    const c = run(forwardedTwice(transfer({ v: 6, largeSends: [0], sackedTail: true, clientRstAt: 300 }))).connections[0]!;
    expect(c.synCount).toBe(1);
    expect(c.toClient.retransmissions + c.toServer.retransmissions).toBe(0);
    expect(c.toClient.dupAcks).toBe(once.toClient.dupAcks);
    expect(c.toClient.packets).toBe(once.toClient.packets);
  });

  it('leave the sender-side blackhole as it is: the lost segments have no second copy', () => {
    const ps = forwardedTwice(transfer({ v: 6, largeSends: [0, 200, 600, 1400, 3000], sackedTail: true, clientRstAt: 6000 }), (p) => (p.tcp?.payloadLength ?? 0) < 1000);
    const f = kind(ps, 'path.pmtud_blackhole');
    expect(f).toHaveLength(1);
    expect(f[0]!.details).toMatchObject({ side: 'sender', sends: 5, smallestLost: 1500 });
  });

  it('a real retransmission keeps its hop limit and still counts', () => {
    resetFrames();
    const sc = (x: Partial<TcpSpec>) => tcp6({ src: S6, dst: C6, sport: 80, dport: 40000, flags: 'A', hopLimit: 64, ...x });
    const ps = [
      tcp6({ src: C6, dst: S6, sport: 40000, dport: 80, flags: 'S', seq: 1, mss: 1440, time: 0 }),
      sc({ flags: 'SA', seq: 100, ack: 2, mss: 1440, time: 1 * MS }),
      sc({ seq: 101, ack: 2, len: 500, time: 5 * MS }),
      sc({ seq: 101, ack: 2, len: 500, time: 205 * MS }), // same hop limit, after the minimum RTO
    ];
    expect(run(ps).connections[0]!.toClient.retransmissions).toBe(1);
  });
});

/** `tcpdump -i any` on a bridge, or a mirror port: each packet again 15 µs later, same hop limit. */
function mirroredTwice(ps: Packet[]): Packet[] {
  return renumber(ps.flatMap((p) => [p, { ...p, time: p.time + 15 }]));
}

describe('mirror copies (-i any on a bridge, a SPAN port)', () => {
  const scenario = () => transfer({ v: 6, largeSends: [0], sackedTail: true, clientRstAt: 300 });

  it('are not retransmissions, duplicate ACKs or SYN retries', () => {
    const once = run(scenario()).connections[0]!;
    const c = run(mirroredTwice(scenario())).connections[0]!;
    expect(once.toClient.retransmissions).toBe(0);
    expect(c.synCount).toBe(1);
    expect(c.toClient.retransmissions + c.toServer.retransmissions).toBe(0);
    expect(c.toClient.dupAcks).toBe(once.toClient.dupAcks);
    expect(c.toServer.packets).toBe(once.toServer.packets);
    expect(c.toClient.packets).toBe(once.toClient.packets);
  });

  it('leave a sender-side blackhole as it is', () => {
    const plain = kind(transfer({ v: 6, largeSends: [0, 200, 600, 1400, 3000], sackedTail: true, clientRstAt: 6000 }), 'path.pmtud_blackhole');
    const mirrored = kind(mirroredTwice(transfer({ v: 6, largeSends: [0, 200, 600, 1400, 3000], sackedTail: true, clientRstAt: 6000 })), 'path.pmtud_blackhole');
    expect(plain).toHaveLength(1);
    expect(mirrored).toHaveLength(1);
    expect(mirrored[0]!.details).toMatchObject({ sends: (plain[0]!.details as { sends: number }).sends });
  });

  function quickResend(between: 'nothing' | 'peer-ack', v: 4 | 6, ids?: [number, number]): number {
    resetFrames();
    const mk = v === 6 ? tcp6 : tcp4;
    const [c, s] = v === 6 ? [C6, S6] : [C4, S4];
    const sc = (x: Partial<TcpSpec>) => mk({ src: s, dst: c, sport: 80, dport: 40000, flags: 'A', hopLimit: 64, ...x });
    const withId = (p: Packet, id: number | undefined): Packet => (id === undefined ? p : { ...p, ip: { ...p.ip!, id } });
    const ps = [
      mk({ src: c, dst: s, sport: 40000, dport: 80, flags: 'S', seq: 1, mss: 1440, time: 0 }),
      sc({ flags: 'SA', seq: 100, ack: 2, mss: 1440, time: 1 * MS }),
      mk({ src: c, dst: s, sport: 40000, dport: 80, flags: 'A', seq: 2, ack: 101, time: 2 * MS }),
      withId(sc({ seq: 101, ack: 2, len: 500, time: 5 * MS }), ids?.[0]),
      ...(between === 'peer-ack' ? [mk({ src: c, dst: s, sport: 40000, dport: 80, flags: 'A', seq: 2, ack: 101, time: 5 * MS + 100 })] : []),
      withId(sc({ seq: 101, ack: 2, len: 500, time: 5 * MS + 300 }), ids?.[1]),
    ];
    return run(ps).connections[0]!.toClient.retransmissions;
  }

  it('a segment sent again within a millisecond is a retransmission when the peer spoke in between', () => {
    expect(quickResend('nothing', 6)).toBe(0); // the second sighting of one packet
    expect(quickResend('peer-ack', 6)).toBe(1); // a fast retransmit on a LAN answers the peer's ACKs
  });

  it('duplicate ACKs in a capture of one direction only still count', () => {
    resetFrames();
    // Only the client's packets are in the capture (asymmetric routing): nothing says whether the
    // server sent data in between, so identical ACKs 100 µs apart are taken as sent twice.
    const cs = (x: Partial<TcpSpec>) => tcp6({ src: C6, dst: S6, sport: 40000, dport: 80, flags: 'A', hopLimit: 64, ...x });
    const ps = [cs({ seq: 2, ack: 5000, time: 0 }), cs({ seq: 2, ack: 5000, time: 100 }), cs({ seq: 2, ack: 5000, time: 200 })];
    const c = run(ps).connections[0]!;
    expect(c.client === C6 ? c.toServer.packets : c.toClient.packets).toBe(3);
  });

  it('over IPv4, a new identification makes it a second sending', () => {
    expect(quickResend('nothing', 4, [7, 7])).toBe(0);
    expect(quickResend('nothing', 4, [7, 8])).toBe(1);
  });
});

describe('receiver side: the lost size is no larger than what the sender was seen using', () => {
  /** Client capture; the server's segments are 1492 bytes (a clamp or PPPoE at its end the SYNs do not show). */
  function clampedLoss(fill: 'same-size' | 'never'): Packet[] {
    resetFrames();
    const cs = (x: Partial<TcpSpec>) => tcp4({ src: C4, dst: S4, sport: 40000, dport: 80, flags: 'A', hopLimit: 64, ...x });
    const sc = (x: Partial<TcpSpec>) => tcp4({ src: S4, dst: C4, sport: 80, dport: 40000, flags: 'A', hopLimit: 52, ...x });
    const seg = 1452;
    const ps: Packet[] = [
      cs({ flags: 'S', seq: 1, mss: 1460, time: 0 }),
      sc({ flags: 'SA', seq: 1000, ack: 2, mss: 1460, time: 20 * MS }),
      cs({ seq: 2, ack: 1001, time: 21 * MS }),
      cs({ flags: 'PA', seq: 2, ack: 1001, len: 80, time: 22 * MS }),
    ];
    let seq = 1001;
    for (let i = 0; i < 8; i++, seq += seg) ps.push(sc({ seq, ack: 82, len: seg, time: (45 + i) * MS }));
    const hole = seq;
    seq += 2 * seg; // two segments lost before the capture point: a hole wider than the MSS
    for (let i = 0; i < 3; i++, seq += seg) {
      ps.push(sc({ seq, ack: 82, len: seg, time: (54 + i) * MS }));
      ps.push(cs({ seq: 82, ack: hole, sack: [hole + seg, seq + seg], time: (55 + i) * MS }));
    }
    if (fill === 'same-size') {
      // after RTOs lost again: the hole is filled at the size the sender has used all along
      ps.push(sc({ seq: hole, ack: 82, len: seg, time: 1700 * MS }));
      ps.push(sc({ seq: hole + seg, ack: 82, len: seg, time: 1701 * MS }));
    }
    ps.push(cs({ flags: 'R', seq: 82, time: 1800 * MS })); // the client aborts
    return renumber(ps);
  }

  it('is silent when the gap is filled at the size the sender uses (1492, under a 1460 MSS)', () => {
    expect(kind(clampedLoss('same-size'), 'path.pmtud_blackhole')).toEqual([]);
  });

  it('is silent when a client aborts with a hole open while full segments of that size arrive', () => {
    expect(kind(clampedLoss('never'), 'path.pmtud_blackhole')).toEqual([]);
  });

  it('sees the hole before a server FIN: a server giving up on a stalled response', () => {
    resetFrames();
    const cs = (x: Partial<TcpSpec>) => tcp6({ src: C6, dst: S6, sport: 40000, dport: 80, flags: 'A', hopLimit: 64, ...x });
    const sc = (x: Partial<TcpSpec>) => tcp6({ src: S6, dst: C6, sport: 80, dport: 40000, flags: 'A', hopLimit: 58, ...x });
    const ps = renumber([
      cs({ flags: 'S', seq: 1, mss: 1440, time: 0 }),
      sc({ flags: 'SA', seq: 1000, ack: 2, mss: 1440, time: 10 * MS }),
      cs({ seq: 2, ack: 1001, time: 11 * MS }),
      cs({ flags: 'PA', seq: 2, ack: 1001, len: 80, time: 12 * MS }),
      sc({ flags: 'PA', seq: 1001, ack: 82, len: 200, time: 25 * MS }),
      cs({ seq: 82, ack: 1201, time: 26 * MS }),
      sc({ flags: 'FA', seq: 1201 + 14400, ack: 82, time: 60_000 * MS }), // nginx send_timeout
    ]);
    const f = kind(ps, 'path.pmtud_blackhole');
    expect(f).toHaveLength(1);
    expect(f[0]!.details).toMatchObject({ side: 'receiver', missingBytes: 14400, smallestLost: 1500 });
  });
});

describe('path.ptb_problem "ignored"', () => {
  function afterPtb(mtu: number, sizes: number[], v4df = true): Packet[] {
    resetFrames();
    const tcp = tcp6;
    const sc = (x: Partial<TcpSpec>) => tcp({ src: S6, dst: C6, sport: 80, dport: 40000, flags: 'A', hopLimit: 64, df: v4df, ...x });
    const ps: Packet[] = [
      tcp({ src: C6, dst: S6, sport: 40000, dport: 80, flags: 'S', seq: 1, mss: 1440, time: 0, hopLimit: 60 }),
      sc({ flags: 'SA', seq: 1000, ack: 2, mss: 1440, time: 1 * MS }),
      tcp({ src: C6, dst: S6, sport: 40000, dport: 80, flags: 'A', seq: 2, ack: 1001, time: 30 * MS, hopLimit: 60 }),
      sc({ seq: 1001, ack: 2, len: 1440, time: 40 * MS }),
      icmp6({ src: '2001:db8:9::1', dst: S6, kind: 'packet-too-big', mtu, length: 1280, quoted: { src: S6, dst: C6, sport: 80, dport: 40000, seq: 1001, length: 1500 }, time: 41 * MS }),
    ];
    let seq = 1001;
    sizes.forEach((len, i) => {
      ps.push(sc({ seq, ack: 2, len, time: (200 + i) * MS }));
      seq += len;
    });
    ps.push(tcp({ src: C6, dst: S6, sport: 40000, dport: 80, flags: 'A', seq: 2, ack: seq, time: 300 * MS, hopLimit: 60 }));
    return renumber(ps);
  }

  it('is reported when the sender keeps sending above the MTU', () => {
    expect(kind(afterPtb(1400, [1440, 1440, 1440]), 'path.ptb_problem').map((f) => f.details.reason)).toContain('ignored');
  });

  it('is not reported from sizes alone in a TSO capture when everything was acknowledged (GSO of the new size)', () => {
    resetFrames();
    const ps = afterPtb(1280, [2440, 1300, 1300, 1300]); // a 2 × 1220 super-segment, then 1220 + 80 GSO packets
    expect(kind(ps, 'path.ptb_problem').map((f) => f.details.reason)).not.toContain('ignored');
  });

  it('is not reported for 1280-byte packets after an IPv6 PTB naming less (RFC 8201: 1280 is the floor)', () => {
    const reasons = kind(afterPtb(1000, [1220, 1220, 1220]), 'path.ptb_problem').map((f) => f.details.reason);
    expect(reasons).not.toContain('ignored');
    expect(reasons).toContain('invalid-mtu');
  });
});

describe('path.ptb_problem "burst-then-silence"', () => {
  it('is not reported for a later connection that had delivered the lost size before (congestion loss)', () => {
    resetFrames();
    const ptb = icmp6({ src: '2001:db8:9::1', dst: S6, kind: 'packet-too-big', mtu: 1280, length: 1280, quoted: { src: S6, dst: '2001:db8:7::7', sport: 80, dport: 41000, seq: 1, length: 1500 }, time: 0 });
    const later = transfer({ v: 6, largeSends: [0, 200, 600, 1400], clientRstAt: 5000, header: false });
    // before the loss, one 1500-byte segment of this connection was delivered and acknowledged
    const pre = [
      tcp6({ src: S6, dst: C6, sport: 80, dport: 40000, flags: 'A', seq: 5001, ack: 1101, len: 1440, time: 23 * MS, hopLimit: 64 }),
      tcp6({ src: C6, dst: S6, sport: 40000, dport: 80, flags: 'A', seq: 1101, ack: 6441, time: 33 * MS, hopLimit: 62 }),
    ];
    const shifted = later.map((p) => (p.tcp !== undefined && p.tcp.srcPort === 80 && p.tcp.payloadLength === 1440 ? { ...p, tcp: { ...p.tcp, seq: 6441 } } : p));
    const ps = renumber([ptb, ...[...shifted, ...pre].map((p) => ({ ...p, time: p.time + 10_000 * MS }))]);
    expect(kind(ps, 'path.ptb_problem').map((f) => f.details.reason)).not.toContain('burst-then-silence');
  });
});

describe('path.fallback_delay: look-alikes', () => {
  const syn6 = (t: number, sport = 50000) => tcp6({ src: C6, dst: S6, sport, dport: 443, flags: 'S', seq: 11, time: t * MS });
  const v4conn = (t: number, server = S4, sport = 50001): Packet[] => [
    tcp4({ src: C4, dst: server, sport, dport: 443, flags: 'S', seq: 21, time: t * MS }),
    tcp4({ src: server, dst: C4, sport: 443, dport: sport, flags: 'SA', seq: 91, ack: 22, time: (t + 20) * MS }),
    tcp4({ src: C4, dst: server, sport, dport: 443, flags: 'A', seq: 22, ack: 92, time: (t + 21) * MS }),
  ];

  it('without DNS, does not pair a failed IPv6 attempt with an IPv4 connection made long after it was given up', () => {
    resetFrames();
    // SYNs at 0, 1, 3 s (given up at ~7 s); an unrelated IPv4 connection to port 443 at 20 s.
    const ps = renumber([syn6(0), syn6(1000), syn6(3000), ...v4conn(20_000, '203.0.113.7')]);
    expect(kind(ps, 'path.fallback_delay')).toEqual([]);
  });

  it('still pairs the IPv4 attempt that follows the give-up (Windows-like 3, 6 s retries)', () => {
    resetFrames();
    const ps = renumber([syn6(0), syn6(3000), syn6(9000), ...v4conn(21_000)]);
    const f = kind(ps, 'path.fallback_delay');
    expect(f).toHaveLength(1);
    expect(f[0]!.details.classification).toBe('timeout');
  });

  it('is silent when IPv6 wins the Happy Eyeballs race (IPv4 started, then dropped)', () => {
    resetFrames();
    const ps = renumber([
      dnsAnswer({ client: C6, server: '2001:db8:1::53', name: 'www.example.test', addresses: [S6], time: 0 }),
      dnsAnswer({ client: C6, server: '2001:db8:1::53', name: 'www.example.test', addresses: [S4], time: 1 * MS }),
      syn6(2),
      tcp6({ src: S6, dst: C6, sport: 443, dport: 50000, flags: 'SA', seq: 91, ack: 12, time: 260 * MS }),
      tcp6({ src: C6, dst: S6, sport: 50000, dport: 443, flags: 'A', seq: 12, ack: 92, time: 261 * MS }),
      ...v4conn(252).slice(0, 2),
      tcp4({ src: C4, dst: S4, sport: 50001, dport: 443, flags: 'R', seq: 22, time: 273 * MS }),
    ]);
    expect(kind(ps, 'path.fallback_delay')).toEqual([]);
  });

  it('is silent when IPv6 works but answers later than IPv4 (the client resets the late SYN-ACK)', () => {
    resetFrames();
    const ps = renumber([
      dnsAnswer({ client: C6, server: '2001:db8:1::53', name: 'www.example.test', addresses: [S6], time: 0 }),
      dnsAnswer({ client: C6, server: '2001:db8:1::53', name: 'www.example.test', addresses: [S4], time: 1 * MS }),
      syn6(2),
      ...v4conn(252),
      tcp6({ src: S6, dst: C6, sport: 443, dport: 50000, flags: 'SA', seq: 91, ack: 12, time: 400 * MS }),
      tcp6({ src: C6, dst: S6, sport: 50000, dport: 443, flags: 'R', seq: 12, time: 401 * MS }),
    ]);
    expect(kind(ps, 'path.fallback_delay')).toEqual([]);
  });
});
