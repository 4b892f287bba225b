import { describe, expect, it } from 'vitest';
import { Finding } from '../../../src/detect/index.js';
import { resetFrames, tcp6 } from '../../support/tcp-packets.js';
import { C6, MS, S6, run, transfer } from './scenarios.js';

const blackholes = (ps: Parameters<typeof run>[0]) => run(ps).findings.filter((f) => f.kind === 'path.pmtud_blackhole');

describe('path.pmtud_blackhole, sender side', () => {
  it('finds large segments retransmitted with backoff while a SACKed small tail got through (Linux RTO series)', () => {
    const found = blackholes(transfer({ v: 6, largeSends: [0, 200, 600, 1400, 3000], sackedTail: true, clientRstAt: 6000 }));
    expect(found).toHaveLength(1);
    const f = found[0]!;
    expect(() => Finding.parse(f)).not.toThrow();
    expect(f.details).toMatchObject({ side: 'sender', smallestLost: 1500, largestDelivered: 260, pathMtuMax: 1499, pathMtuMin: 1280, sends: 5, mssClient: 1440, mssServer: 1440, direction: 'server-to-client' });
    expect(f.details.rtoSeriesMicros).toEqual([200 * MS, 400 * MS, 800 * MS, 1600 * MS]);
    expect(f.confidence.level).toBe('high');
    expect(f.displayFilter).toBe(`ipv6.addr == ${C6} && ipv6.addr == ${S6} && tcp.port == 40000 && tcp.port == 80`);
    expect(f.impact.stalledBytes).toBe(1440);
  });

  it('fits other RTO series too (Windows-like 300 ms doubling, IPv4 with DF, ICMP 3/4 absent)', () => {
    const found = blackholes(transfer({ v: 4, largeSends: [0, 300, 900, 2100], clientRstAt: 5000 }));
    expect(found).toHaveLength(1);
    expect(found[0]!.details).toMatchObject({ smallestLost: 1500, largestDelivered: 240, ipVersion: 4 });
  });

  it('is silent for a slow server: nothing large is ever retransmitted', () => {
    expect(blackholes(transfer({ v: 6, largeSends: [], clientRstAt: 8000 }))).toEqual([]);
  });

  it('is silent when a capture ends mid-transfer (one retransmission only)', () => {
    expect(blackholes(transfer({ v: 6, largeSends: [0, 200] }))).toEqual([]);
  });

  it('is silent for loss of all sizes: the lost size had been delivered before', () => {
    resetFrames();
    const ps = transfer({ v: 6, largeSends: [0, 200, 600, 1400], clientRstAt: 5000, header: false });
    // Before the loss, one 1500-byte segment was delivered and acknowledged.
    const pre = [
      tcp6({ src: S6, dst: C6, sport: 80, dport: 40000, flags: 'A', seq: 5001, ack: 1101, len: 1440, time: 23 * MS, hopLimit: 64 }),
      tcp6({ src: C6, dst: S6, sport: 40000, dport: 80, flags: 'A', seq: 1101, ack: 6441, time: 33 * MS, hopLimit: 62 }),
    ];
    const shifted = ps.map((p) => (p.tcp !== undefined && p.tcp.srcPort === 80 && p.tcp.payloadLength === 1440 ? { ...p, tcp: { ...p.tcp, seq: 6441 } } : p));
    const all = [...shifted, ...pre].sort((a, b) => a.time - b.time).map((p, i) => ({ ...p, frame: i + 1 }));
    expect(blackholes(all)).toEqual([]);
  });

  it('is silent when small segments are lost too (nothing above the IPv6 minimum MTU)', () => {
    expect(blackholes(transfer({ v: 6, largeSends: [0, 200, 600, 1400], largeLen: 500, clientRstAt: 5000 }))).toEqual([]);
  });

  it('is silent for IPv4 without DF: routers fragment, PMTUD is not involved', () => {
    expect(blackholes(transfer({ v: 4, largeSends: [0, 300, 900, 2100], clientRstAt: 5000, df: false }))).toEqual([]);
  });

  it('says nothing when no receiver activity or smaller delivery distinguishes it from a vanished peer', () => {
    expect(blackholes(transfer({ v: 6, largeSends: [0, 200, 600, 1400], header: false }))).toEqual([]);
  });
});

describe('path.pmtud_blackhole, receiver side', () => {
  it('finds bytes that never arrived (sequence jump on the server ACK) after a long wait, smaller ones delivered', () => {
    resetFrames();
    const cs = (x: object) => tcp6({ src: C6, dst: S6, sport: 40000, dport: 80, hopLimit: 64, ts: true, ...x } as never);
    const sc = (x: object) => tcp6({ src: S6, dst: C6, sport: 80, dport: 40000, hopLimit: 62, ts: true, ...x } as never);
    const ps = [
      cs({ flags: 'S', seq: 100, mss: 1440, time: 0 }),
      sc({ flags: 'SA', seq: 900, ack: 101, mss: 1440, time: 1 * MS }),
      cs({ flags: 'A', seq: 101, ack: 901, time: 2 * MS }),
      cs({ flags: 'PA', seq: 101, ack: 901, len: 85, time: 3 * MS }),
      sc({ flags: 'A', seq: 901, ack: 186, time: 4 * MS }),
      sc({ flags: 'PA', seq: 901, ack: 186, len: 204, time: 7 * MS }),
      cs({ flags: 'A', seq: 186, ack: 1105, time: 8 * MS }),
      cs({ flags: 'FA', seq: 186, ack: 1105, time: 6008 * MS }),
      sc({ flags: 'A', seq: 18241, ack: 187, time: 6050 * MS }),
    ];
    const found = blackholes(ps);
    expect(found).toHaveLength(1);
    expect(found[0]!.details).toMatchObject({ side: 'receiver', largestDelivered: 276, smallestLost: 1500, pathMtuMax: 1499, ptbVisible: false, capturePoint: 'client' });
    expect(found[0]!.impact.delayMicros).toBeGreaterThanOrEqual(6000 * MS);
  });

  // A capture that starts mid-connection: no SYN, so no MSS; the server's data arrives at varied
  // sizes up to `sizes`' largest, then `gap` bytes go missing and come (or not) as `fill` segments.
  const midConnection = (o: { sizes: number[]; gap: number; fill?: number[]; fillAt?: number; endAt: number }) => {
    resetFrames();
    const cs = (x: object) => tcp6({ src: C6, dst: S6, sport: 40000, dport: 9000, hopLimit: 64, ts: true, ...x } as never);
    const sc = (x: object) => tcp6({ src: S6, dst: C6, sport: 9000, dport: 40000, hopLimit: 62, ts: true, ...x } as never);
    const ps = [];
    let seq = 5000;
    let t = 0;
    for (const n of o.sizes) {
      ps.push(sc({ flags: 'PA', seq, ack: 77, len: n, time: (t += 25) * MS }));
      seq += n;
      ps.push(cs({ flags: 'A', seq: 77, ack: seq, time: t * MS + 100 }));
    }
    const hole = seq;
    seq += o.gap;
    // two segments after the hole, each drawing a duplicate ACK with SACK
    for (const n of [700, 800]) {
      ps.push(sc({ flags: 'PA', seq, ack: 77, len: n, time: (t += 25) * MS }));
      seq += n;
      ps.push(cs({ flags: 'A', seq: 77, ack: hole, sack: [hole + o.gap, seq], time: t * MS + 100 }));
    }
    if (o.fill !== undefined) {
      let at = hole;
      let ft = o.fillAt!;
      for (const n of o.fill) {
        ps.push(sc({ flags: 'PA', seq: at, ack: 77, len: n, time: (ft += 10) * MS }));
        at += n;
        ps.push(cs({ flags: 'A', seq: 77, ack: at === hole + o.gap ? seq : at, time: ft * MS + 100 }));
      }
    }
    ps.push(cs({ flags: 'FA', seq: 77, ack: o.fill !== undefined ? seq : hole, time: o.endAt * MS }));
    return ps;
  };

  it('is silent for plain loss: the missing bytes come in pieces no larger than what got through before (issue 15)', () => {
    // 2 500 bytes wider than any segment, open 1.9 s, then resent at the sizes first sent
    const ps = midConnection({ sizes: [1250, 610, 1173, 980, 1239, 455], gap: 2412, fill: [1173, 1239], fillAt: 2100, endAt: 2500 });
    expect(blackholes(ps)).toEqual([]);
  });

  it('still finds a recovered blackhole: the missing bytes come in pieces larger than anything before the gap', () => {
    const ps = midConnection({ sizes: [204, 310, 96], gap: 2856, fill: [1208, 1208, 440], fillAt: 2100, endAt: 2500 });
    const found = blackholes(ps);
    expect(found).toHaveLength(1);
    expect(found[0]!.severity).toBe('warning');
    expect(found[0]!.details).toMatchObject({ side: 'receiver', recovered: true, lostSizeGuessed: true });
  });

  it('lowers the confidence and says so when the lost size is a guess (no handshake, no run of equal segments)', () => {
    const ps = midConnection({ sizes: [204, 310, 96], gap: 2856, endAt: 7000 });
    const found = blackholes(ps);
    expect(found).toHaveLength(1);
    const f = found[0]!;
    expect(f.details).toMatchObject({ side: 'receiver', recovered: false, lostSizeGuessed: true, smallestLost: 1500 });
    expect(f.confidence.level).toBe('medium'); // the receiver SACKed the hole: high when the size is measured
    expect(f.confidence.reason).toContain('only by estimate');
    expect(f.summary).toContain('~1500 bytes, estimated');
  });
});
