// The rule that groups files into capture sets (src/batch/capture-sets.ts), on the names the real
// tools write and on times that do and do not continue.
import { describe, expect, it } from 'vitest';
import { groupCaptureSets, nameChainCandidates, namesContinue, ringStem } from '../../src/batch/capture-sets.js';

const S = 1_000_000;

describe('namesContinue', () => {
  it('follows the counters and time stamps of tcpdump -C/-G, dumpcap -b and editcap', () => {
    expect(namesContinue('/d/trace.pcap', '/d/trace.pcap1')).toBe(true); // tcpdump -C: the first has no number
    expect(namesContinue('/d/trace.pcap1', '/d/trace.pcap2')).toBe(true);
    expect(namesContinue('/d/trace.pcap09', '/d/trace.pcap10')).toBe(true); // tcpdump -C -W 100
    expect(namesContinue('/d/ring_00001_20260101120000.pcapng', '/d/ring_00002_20260101120500.pcapng')).toBe(true); // dumpcap -b
    expect(namesContinue('/d/ring_00001_20260101120000.pcapng.gz', '/d/ring_00002_20260101120500.pcapng')).toBe(true);
    expect(namesContinue('/d/trace-20260101-1200.pcap', '/d/trace-20260101-1300.pcap')).toBe(false); // 4-digit part: not a stamp
    expect(namesContinue('/d/trace-202601011200.pcap', '/d/trace-202601011300.pcap')).toBe(true); // tcpdump -G %Y%m%d%H%M
  });

  it('does not chain names that merely share a pattern', () => {
    expect(namesContinue('/d/pmtud-v4-blackhole-server.pcap', '/d/pmtud-v6-blackhole-server.pcap')).toBe(false);
    expect(namesContinue('/d/lab-01.pcap', '/d/lab-03.pcap')).toBe(false);
    expect(namesContinue('/d/trace2.pcap', '/d/trace1.pcap')).toBe(false);
    expect(namesContinue('/d/a.pcap', '/d/a.pcap')).toBe(false);
    expect(namesContinue('/d/client.pcap', '/d/client.pcap1x')).toBe(false);
  });
});

describe('nameChainCandidates', () => {
  it('keeps every file whose name could continue or be continued, so the scan it skips never mattered', () => {
    const names = [
      '/d/trace.pcap', '/d/trace.pcap1', '/d/trace.pcap2', '/d/trace.pcap09', '/d/trace.pcap10',
      '/d/ring_00001_20260101120000.pcapng', '/d/ring_00002_20260101120500.pcapng.gz',
      '/d/trace-202601011200.pcap', '/d/trace-202601011300.pcap', '/d/lab-01.pcap', '/d/lab-03.pcap',
      '/d/client.pcap', '/d/client.pcap1x', '/e/trace.pcap3', '/d/site-a.pcap', '/d/site-b.pcap', '/d/one-42.pcap',
    ];
    const candidates = nameChainCandidates(names);
    // groupCaptureSets only ever tries namesContinue on files of one stem (same folder).
    for (const a of names) for (const b of names) if (ringStem(a) === ringStem(b) && namesContinue(a, b)) expect([a, b].filter((p) => !candidates.has(p))).toEqual([]);
    // Names without numbers never chain (batch-bench's site-a, site-b …), nor a file alone in its folder or stem.
    for (const p of ['/d/site-a.pcap', '/d/site-b.pcap', '/d/one-42.pcap', '/e/trace.pcap3']) expect(candidates.has(p)).toBe(false);
    expect(nameChainCandidates(['/d/a.pcap', '/d/b.pcapng', '/d/c.pcap.gz']).size).toBe(0);
  });
});

describe('groupCaptureSets', () => {
  const file = (path: string, first: number, last: number, linkTypes = [1]) => ({ path, linkTypes, firstTime: first * S, lastTime: last * S });

  it('chains a ring in time order, whatever order the files come in', () => {
    const sets = groupCaptureSets([file('/d/t.pcap2', 20, 30), file('/d/t.pcap', 0, 10), file('/d/t.pcap1', 10, 20)]);
    expect([...sets.values()].map((m) => [m.path, m.seq, m.prev, m.next]).sort()).toEqual([
      ['/d/t.pcap', 0, null, '/d/t.pcap1'],
      ['/d/t.pcap1', 1, '/d/t.pcap', '/d/t.pcap2'],
      ['/d/t.pcap2', 2, '/d/t.pcap1', null],
    ]);
  });

  it('keeps apart overlapping captures, a long pause, other link types and other folders', () => {
    const sets = groupCaptureSets([
      file('/d/t.pcap', 0, 10),
      file('/d/t.pcap1', 5, 20), // overlaps: captured at the same time
      file('/e/u.pcap', 0, 10),
      file('/e/u.pcap1', 80, 90), // 70 s later
      file('/f/v.pcap', 0, 10),
      file('/f/v.pcap1', 10, 20, [113]), // SLL
      file('/g/w.pcap', 0, 10),
      file('/h/w.pcap1', 10, 20),
    ]);
    for (const m of sets.values()) expect([m.prev, m.next]).toEqual([null, null]);
    const gap = groupCaptureSets([file('/e/u.pcap', 0, 10), file('/e/u.pcap1', 80, 90)], { maxGapMicros: 120 * S });
    expect(gap.get('/e/u.pcap1')!.prev).toBe('/e/u.pcap');
  });

  it('tolerates a next file starting a millisecond before the last packet of the previous one', () => {
    const sets = groupCaptureSets([file('/d/t.pcap', 0, 10), { path: '/d/t.pcap1', linkTypes: [1], firstTime: 10 * S - 49, lastTime: 20 * S }]);
    expect(sets.get('/d/t.pcap1')!.prev).toBe('/d/t.pcap');
  });
});
