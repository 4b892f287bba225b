// The path reconstructor reuses the Connection (and Direction) objects of finished connections.
// Reuse must leave nothing behind: a reused object reads exactly as a new one, and a long run of
// connections that close and are replaced gives each one a record of its own traffic only.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { generateCapture } from '../../../bench/generate.js';
import { Anomalies } from '../../../src/core/index.js';
import { PacketDecoder } from '../../../src/decode/index.js';
import { Connection } from '../../../src/reconstruct/path/connection.js';
import type { Direction } from '../../../src/reconstruct/path/direction.js';
import { DEFAULT_PATH_OPTIONS } from '../../../src/reconstruct/path/options.js';
import { PathReconstructor } from '../../../src/reconstruct/path/reconstructor.js';
import type { ConnectionRecord } from '../../../src/reconstruct/path/records.js';
import { Segment } from '../../../src/reconstruct/path/segment.js';
import { captureFrames } from '../../decode/capture-frames.js';
import { resetFrames, tcp6 } from '../../support/tcp-packets.js';
import { runPath } from './pipeline.js';

const SAMPLES = join(import.meta.dirname, '../../../samples');

/**
 * Every field the objects hold, private ones included (TypeScript `private` is a plain property),
 * and each direction's state records (traffic, sequence space, sizes, losses, ends) spread too. Of
 * the delivery log, the part in use: its array keeps its storage for the next connection.
 */
const direction = (d: Direction): unknown => ({
  ...d, deliveryLog: d.deliveryLog.slice(0, d.deliveryLength),
  traffic: { ...d.traffic }, seq: { ...d.seq }, sizes: { ...d.sizes }, losses: { ...d.losses }, ends: { ...d.ends },
});
const state = (c: Connection): unknown => ({ connection: { ...c, toServer: undefined, toClient: undefined }, toServer: direction(c.toServer), toClient: direction(c.toClient) });

describe('Connection reuse', () => {
  it('init() leaves a used connection exactly as a new one', () => {
    // Real traffic with loss, retransmissions, SACK, PTBs and both FINs sets nearly every field.
    const decoder = new PacketDecoder(new Anomalies());
    const used = new Connection(1, 6, 'x', 1, 'y', 2, 'syn', 1, 1_000, DEFAULT_PATH_OPTIONS);
    let fed = 0;
    for (const file of ['pmtud-v6-blackhole-server.pcap', 'pmtud-congestion-loss-client.pcapng', 'fallback-rst-client.pcap']) {
      for (const f of captureFrames(join(SAMPLES, file))) {
        const p = decoder.decode(f);
        if (p?.ip === undefined || p.tcp === undefined) continue;
        used.packet(p, fed % 3 !== 0);
        fed++;
      }
    }
    used.setLookup('example.test', 3, 900, 'z');
    expect(fed).toBeGreaterThan(500);
    const before = JSON.stringify(state(used));
    // Parked (waiting for reuse), it lets go of everything it referred to.
    expect(used.toServer.segs.length + used.toClient.segs.length).toBeGreaterThan(0);
    used.park();
    for (const d of [used.toServer, used.toClient]) {
      expect([d.segs.length, d.deliveryLength, d.retxFrames.length, d.recovered.length, d.gaps.length, d.ptbs.length, d.longestStall]).toEqual([0, 0, 0, 0, 0, 0, undefined]);
    }
    expect([used.icmp.length, used.names.length, used.syns.length <= 1, used.lookup]).toEqual([0, 0, true, undefined]);
    used.init(7, 4, '192.0.2.1', 40000, '198.51.100.2', 443, 'port', 9, 5_000, DEFAULT_PATH_OPTIONS);
    const fresh = new Connection(7, 4, '192.0.2.1', 40000, '198.51.100.2', 443, 'port', 9, 5_000, DEFAULT_PATH_OPTIONS);
    expect(JSON.stringify(state(fresh))).not.toBe(before); // the traffic did change the state
    expect(state(used)).toEqual(state(fresh));
    expect(Object.keys(used)).toEqual(Object.keys(fresh));
    expect(Object.keys(used.toServer)).toEqual(Object.keys(fresh.toServer));
    for (const k of ['traffic', 'seq', 'sizes', 'losses', 'ends'] as const) expect(Object.keys(used.toServer[k])).toEqual(Object.keys(fresh.toServer[k]));
  });

  it('a released segment is made again exactly as a new one', () => {
    const used = Segment.make(1000, 2448, 7, 150, 1500, false);
    used.resend(9, 400, 1280, true);
    used.sacked = true;
    used.acked = { frame: 11, time: 5_000 };
    used.end = 3000;
    Segment.release(used);
    const again = Segment.make(0, 1448, 3, 20, 1500, false);
    expect(again).toBe(used);
    // Another one, new or remade from a segment sent once (earlier tests in this file release some).
    const fresh = Segment.make(0, 1448, 3, 20, 1500, false);
    expect(fresh).not.toBe(again);
    expect({ ...again }).toEqual({ ...fresh });
    expect(Object.keys(again)).toEqual(Object.keys(fresh));
    expect(again.toRange(1_000_000)).toEqual(fresh.toRange(1_000_000));
  });

  it('keeps every connection one expiry pass finishes for reuse, thousands of them', () => {
    // A busy link finishes more than a thousand connections per pass (the edge bench file up to
    // 1,335): each is parked for the connections of the next second rather than let go.
    resetFrames();
    const park = vi.spyOn(Connection.prototype, 'park');
    try {
      const records: unknown[] = [];
      const path = new PathReconstructor({}, (r) => records.push(r));
      const refused = (port: number, time: number): void => {
        path.packet(tcp6({ src: '2001:db8:1::10', dst: '2001:db8:2::80', sport: port, dport: 443, flags: 'S', seq: 7, time }));
        path.packet(tcp6({ src: '2001:db8:2::80', dst: '2001:db8:1::10', sport: 443, dport: port, flags: 'RA', seq: 0, ack: 8, time: time + 1 }));
      };
      for (let i = 0; i < 3_000; i++) refused(10_000 + i, 1_000 + i);
      path.expire(10_000_000); // past every one's linger: one pass finishes all 3,000
      expect(records).toHaveLength(3_000);
      expect(park).toHaveBeenCalledTimes(3_000);
    } finally {
      park.mockRestore();
    }
  });

  describe('over thousands of connections that close and are replaced', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dualscope-reuse-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('gives each connection the record of its own packets', async () => {
      // bench/generate: every round one 13- or 14-packet connection (a 50th quoted by a PTB),
      // closed with FINs; after the 2 s linger its object serves a later connection.
      const file = join(dir, 'mixed.pcap');
      generateCapture(file, 120_000);
      const run = await runPath(file);
      const conns = run.records.filter((r): r is ConnectionRecord => r.type === 'connection');
      expect(conns.length).toBeGreaterThan(6_000);
      const ids = new Set<number>();
      for (const c of conns) {
        ids.add(c.id);
        expect({ id: c.id, server: c.serverPort, handshake: c.handshake, ended: c.ended, syns: c.syns.length, toServer: c.toServer.packets, toClient: c.toClient.packets,
          sent: c.toClient.payloadBytes, retransmissions: c.toServer.retransmissions + c.toClient.retransmissions, icmp: c.icmp.length <= 1, names: c.names.length > 0 })
          .toEqual({ id: c.id, server: 443, handshake: c.ended === 'capture-end' ? c.handshake : 'established', ended: c.ended === 'capture-end' ? 'capture-end' : 'fin', syns: 1,
            toServer: c.ended === 'capture-end' ? c.toServer.packets : 7, toClient: c.ended === 'capture-end' ? c.toClient.packets : 6,
            sent: c.ended === 'capture-end' ? c.toClient.payloadBytes : 4 * 1440, retransmissions: 0, icmp: true, names: true });
        expect(c.start.time).toBe(c.syns[0]!.time);
        expect(c.last.time - c.start.time).toBeLessThan(5_000);
      }
      expect(ids.size).toBe(conns.length);
    });
  });
});
