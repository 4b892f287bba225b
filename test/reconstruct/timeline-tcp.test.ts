// The timeline's TCP lanes past the lane bound: the flows that got a lane keep drawing, in both
// directions, and every other segment is counted in packetsWithoutLane, whether it shares no port
// with a lane, one port (a server's), or both (another address pair, or two lanes' ports crossed).
// A segment with a port no lane uses is counted without a flow lookup, so each case is here.
import { beforeEach, describe, expect, it } from 'vitest';
import { TimelineCollector } from '../../src/reconstruct/index.js';
import { resetFrames, tcp4, tcp6 } from '../support/tcp-packets.js';

const CLIENT = '192.0.2.1';
const SERVER = '198.51.100.1';
const OTHER_SERVER = '198.51.100.2';

describe('timeline TCP lanes past the lane bound', () => {
  beforeEach(resetFrames);

  it('draws the flows that have lanes and counts every other segment', () => {
    const tl = new TimelineCollector({ maxLanes: 2 });
    tl.packet(tcp4({ src: CLIENT, dst: SERVER, sport: 40000, dport: 443, flags: 'S' }));
    tl.packet(tcp4({ src: CLIENT, dst: SERVER, sport: 40001, dport: 443, flags: 'S' })); // the second lane: the bound
    tl.packet(tcp4({ src: CLIENT, dst: SERVER, sport: 40002, dport: 443, flags: 'S' })); // the server's port is a lane's, the client's not
    tl.packet(tcp4({ src: CLIENT, dst: SERVER, sport: 50000, dport: 50001, flags: 'S' })); // no lane's port
    tl.packet(tcp4({ src: CLIENT, dst: OTHER_SERVER, sport: 40000, dport: 443, flags: 'S' })); // a lane's ports, another server
    tl.packet(tcp4({ src: CLIENT, dst: SERVER, sport: 40000, dport: 40001, flags: 'S' })); // two lanes' client ports
    tl.packet(tcp6({ src: '2001:db8::1', dst: '2001:db8::2', sport: 40001, dport: 443, flags: 'S' })); // a lane's ports, other addresses
    expect(tl.packetsWithoutLane).toBe(5);

    tl.packet(tcp4({ src: SERVER, dst: CLIENT, sport: 443, dport: 40001, flags: 'SA' }));
    tl.packet(tcp4({ src: CLIENT, dst: SERVER, sport: 40000, dport: 443, flags: 'R' }));
    expect(tl.packetsWithoutLane).toBe(5);
    const lanes = tl.lanes();
    expect(lanes.map((l) => l.marks.map((m) => m.type))).toEqual([['tcp-syn', 'tcp-rst'], ['tcp-syn', 'tcp-synack']]);
    expect(lanes.map((l) => l.packets)).toEqual([2, 2]);
  });
});
