// A real capture on a Linux bridge (`tcpdump -i any` on the bridge host, samples/healthy-bridge-any)
// shows every packet twice at the same hop limit, once per bridge port. The connections rebuilt
// from it must be the ones the client's own capture of the same run gives: no retransmission, no
// duplicate ACK, no SYN retry, the same packets.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ConnectionRecord } from '../../../src/reconstruct/path/index.js';
import { runPath } from './pipeline.js';

const SAMPLES = join(import.meta.dirname, '../../../samples');

async function connections(file: string): Promise<ConnectionRecord[]> {
  const { records } = await runPath(join(SAMPLES, file));
  return records.filter((r): r is ConnectionRecord => r.type === 'connection').sort((a, b) => a.version - b.version);
}

describe('mirror copies in a real bridge capture', () => {
  it('give the connections the client capture gives', async () => {
    const bridge = await connections('healthy-bridge-any.pcap');
    const client = await connections('healthy-bridge-client.pcapng');
    expect(bridge.map((c) => c.version)).toEqual([4, 6]);
    expect(client.map((c) => `${c.client} ${c.clientPort}`)).toEqual(bridge.map((c) => `${c.client} ${c.clientPort}`));
    for (const [i, b] of bridge.entries()) {
      const c = client[i]!;
      expect(b.synCount).toBe(1);
      expect(b.toServer.retransmissions + b.toClient.retransmissions).toBe(0);
      expect(b.toServer.dupAcks + b.toClient.dupAcks).toBe(c.toServer.dupAcks + c.toClient.dupAcks);
      expect(b.toClient.payloadBytes).toBe(c.toClient.payloadBytes);
      expect(b.toClient.packets).toBe(c.toClient.packets);
      // A client ACK and its copy can straddle a server segment (the copy then no longer follows
      // it at once): the odd one stays counted, so allow a few.
      expect(b.toServer.packets - c.toServer.packets).toBeGreaterThanOrEqual(0);
      expect(b.toServer.packets - c.toServer.packets).toBeLessThanOrEqual(4);
    }
  });
});
