import { describe, expect, it } from 'vitest';
import { PathReconstructor, unwrapSeq, type ConnectionRecord, type IcmpErrorRecord, type PathRecord } from '../../../src/reconstruct/path/index.js';
import { dnsAnswer, icmp6, resetFrames, tcp6 } from '../../support/tcp-packets.js';
import type { Packet } from '../../../src/decode/index.js';

const C = '2001:db8:1::10';
const S = '2001:db8:2::80';
const MS = 1000;
const cs = (x: object): Packet => tcp6({ src: C, dst: S, sport: 40000, dport: 443, hopLimit: 64, ...x } as never);
const sc = (x: object): Packet => tcp6({ src: S, dst: C, sport: 443, dport: 40000, hopLimit: 57, ...x } as never);

function records(ps: Packet[], expireAt?: number): PathRecord[] {
  const out: PathRecord[] = [];
  const r = new PathReconstructor({}, (x) => out.push(x));
  for (const p of ps) r.packet(p);
  if (expireAt !== undefined) r.expire(expireAt);
  else r.finish();
  return out;
}
const conns = (rs: PathRecord[]) => rs.filter((x): x is ConnectionRecord => x.type === 'connection');


/** A handshake, then FIN both ways, the client first (frames 1–6, 1 ms apart). */
const closedByClient = (): Packet[] => [
      cs({ flags: 'S', seq: 1, time: 0 }),
      sc({ flags: 'SA', seq: 100, ack: 2, time: 1 * MS }),
      cs({ flags: 'A', seq: 2, ack: 101, time: 2 * MS }),
      cs({ flags: 'FA', seq: 2, ack: 101, time: 3 * MS }),
      sc({ flags: 'FA', seq: 101, ack: 3, time: 4 * MS }),
      cs({ flags: 'A', seq: 3, ack: 102, time: 5 * MS }),
];

describe('PathReconstructor', () => {
  it('unwraps sequence numbers across 2^32', () => {
    expect(unwrapSeq(10, 0xffffff00, 0)).toBe(266);
    expect(unwrapSeq(0xffffff00, 10, 0)).toBe(-266);
  });

  it('counts SYN retries with their spacing and an unanswered handshake', () => {
    resetFrames();
    const rs = conns(records([cs({ flags: 'S', seq: 7, mss: 1440, time: 0 }), cs({ flags: 'S', seq: 7, mss: 1440, time: 1000 * MS }), cs({ flags: 'S', seq: 7, mss: 1440, time: 3000 * MS })]));
    expect(rs).toHaveLength(1);
    expect(rs[0]!.handshake).toBe('unanswered');
    expect(rs[0]!.syns.map((m) => m.time)).toEqual([0, 1000 * MS, 3000 * MS]);
    expect(rs[0]!.toServer.retransmissionFrames).toEqual([2, 3]);
    expect(rs[0]!.ended).toBe('capture-end');
  });

  it('marks an RST answering the SYN as refused, and an ICMP unreachable quoting it as unreachable', () => {
    resetFrames();
    const refused = conns(records([cs({ flags: 'S', seq: 7, time: 0 }), sc({ flags: 'RA', seq: 0, ack: 8, time: 1 * MS })]));
    expect(refused[0]!.handshake).toBe('refused');
    expect(refused[0]!.handshakeFailure?.frame).toBe(2);
    resetFrames();
    const rs = records([
      cs({ flags: 'S', seq: 7, time: 0 }),
      icmp6({ src: '2001:db8:1::1', dst: C, kind: 'unreachable', type: 1, code: 3, length: 120, quoted: { src: C, dst: S, sport: 40000, dport: 443, seq: 7, length: 80 }, time: 3000 * MS }),
    ]);
    const icmp = rs.find((x): x is IcmpErrorRecord => x.type === 'icmp-error')!;
    expect(icmp).toMatchObject({ match: 'connection', quotes: 'to-server', quotedSeqSent: true, toQuotedSender: true, from: '2001:db8:1::1' });
    expect(conns(rs)[0]!.handshake).toBe('unreachable');
  });

  it('is final as soon as it closes: emitted by expire() after the linger, not at finish', () => {
    resetFrames();
    const ps = closedByClient();
    expect(conns(records(ps, 1000 * MS))).toHaveLength(0);
    const rs = conns(records(ps, 3000 * MS));
    expect(rs).toHaveLength(1);
    expect(rs[0]).toMatchObject({ handshake: 'established', ended: 'fin', endedBy: 'client', establishMicros: 2 * MS });
  });

  it('gives fields that name one packet one Mark (records share readonly Marks), with the same values', () => {
    resetFrames();
    const [r] = conns(records(closedByClient()));
    expect(r!.start).toEqual({ frame: 1, time: 0 });
    expect(r!.start).toBe(r!.syns[0]);
    expect(r!.start).toBe(r!.toServer.first);
    expect(r!.synAck).toBe(r!.toClient.first);
    expect(r!.last).toBe(r!.toServer.last);
    expect(r!.toClient.fin).toBe(r!.toClient.last);
    expect(r!.toClient.fin).toEqual({ frame: 5, time: 4 * MS });
    expect(r!.toServer.fin).toEqual({ frame: 4, time: 3 * MS }); // not its last packet: a Mark of its own
    expect(r!.established).toEqual({ frame: 3, time: 2 * MS });
  });

  it('works from the middle: no SYN, roles from the ports, retransmission of an unacknowledged range', () => {
    resetFrames();
    const rs = conns(
      records([
        sc({ flags: 'A', seq: 50_000, ack: 9, len: 1000, time: 0 }),
        sc({ flags: 'A', seq: 51_000, ack: 9, len: 1000, time: 1 * MS }),
        cs({ flags: 'A', seq: 9, ack: 51_000, time: 20 * MS }),
        sc({ flags: 'A', seq: 51_000, ack: 9, len: 1000, time: 300 * MS }),
        cs({ flags: 'A', seq: 9, ack: 52_000, time: 320 * MS }),
      ]),
    );
    expect(rs[0]).toMatchObject({ handshake: 'not-seen', rolesFrom: 'port', client: C, server: S });
    expect(rs[0]!.toClient.retransmissionFrames).toEqual([4]);
    expect(rs[0]!.toClient.recovered).toHaveLength(1);
    expect(rs[0]!.toClient.recovered[0]!.sends).toBe(2);
  });

  it('does not take sequence wrap-around for retransmissions', () => {
    resetFrames();
    const base = 0xffffffff - 1500;
    const rs = conns(
      records([
        cs({ flags: 'S', seq: 1, time: 0 }),
        sc({ flags: 'SA', seq: base, ack: 2, mss: 1440, time: 1 * MS }),
        cs({ flags: 'A', seq: 2, ack: base + 1, time: 2 * MS }),
        sc({ flags: 'A', seq: base + 1, ack: 2, len: 1400, time: 3 * MS }),
        sc({ flags: 'A', seq: (base + 1401) >>> 0, ack: 2, len: 1400, time: 4 * MS }),
        cs({ flags: 'A', seq: 2, ack: (base + 2801) >>> 0, time: 5 * MS }),
      ]),
    );
    expect(rs[0]!.toClient.retransmissions).toBe(0);
    expect(rs[0]!.toClient.ackedBytes).toBe(2801);
    expect(rs[0]!.toClient.unackedBytes).toBe(0);
  });

  it('recognises TSO/GRO segments: 64 kB "segments" count as MSS-sized on the wire, not as jumbo frames', () => {
    resetFrames();
    const rs = conns(
      records([
        cs({ flags: 'S', seq: 1, mss: 1440, time: 0 }),
        sc({ flags: 'SA', seq: 100, ack: 2, mss: 1440, time: 1 * MS }),
        cs({ flags: 'A', seq: 2, ack: 101, time: 2 * MS }),
        sc({ flags: 'A', seq: 101, ack: 2, len: 64_000, time: 3 * MS }),
        cs({ flags: 'A', seq: 2, ack: 64_101, time: 4 * MS }),
      ]),
    );
    const d = rs[0]!.toClient;
    expect(d.offloadedSegments).toBe(1);
    expect(d.maxOffloadedIpLength).toBe(64_060);
    expect(d.maxDelivered?.wireLength).toBe(1500);
    expect(d.maxSegment?.wireLength).toBe(1500);
  });

  it('ties a connection to the DNS answer for its server address', () => {
    resetFrames();
    const rs = conns(records([dnsAnswer({ client: C, server: '2001:db8::53', name: 'www.example.test', addresses: [S], time: 0 }), cs({ flags: 'S', seq: 1, time: 5 * MS })]));
    expect(rs[0]!.names).toEqual(['www.example.test']);
    expect(rs[0]!.lookup).toMatchObject({ frame: 1, asker: C });
  });

  it('follows what the sender does after a PTB quoting its segment', () => {
    resetFrames();
    const rs = records([
      cs({ flags: 'S', seq: 1, mss: 1440, time: 0 }),
      sc({ flags: 'SA', seq: 100, ack: 2, mss: 1440, time: 1 * MS }),
      cs({ flags: 'A', seq: 2, ack: 101, time: 2 * MS }),
      sc({ flags: 'A', seq: 101, ack: 2, len: 1440, time: 3 * MS }),
      icmp6({ src: '2001:db8:2::1', dst: S, kind: 'packet-too-big', mtu: 1280, length: 1280, quoted: { src: S, dst: C, sport: 443, dport: 40000, seq: 101, length: 1500 }, time: 4 * MS }),
      sc({ flags: 'A', seq: 101, ack: 2, len: 1440, time: 300 * MS }),
      sc({ flags: 'A', seq: 101, ack: 2, len: 1440, time: 900 * MS }),
    ]);
    const icmp = rs.find((x): x is IcmpErrorRecord => x.type === 'icmp-error')!;
    expect(icmp).toMatchObject({ match: 'connection', quotes: 'to-client', quotedSeqSent: true, icmpLength: 1280, mtu: 1280 });
    const c = conns(rs)[0]!;
    expect(c.icmp[0]).toMatchObject({ largerAfter: 2, smallerAfter: 0, firstLargerAfter: { frame: 6 } });
  });
});
