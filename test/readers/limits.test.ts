// Per-file tables of the pcapng reader stay bounded on hostile files (issue 18 items 3 and 7): a
// flood of interface, statistics or section blocks, or of distinct link types, is noted as
// pcapng.table_limit and costs no memory past the bound; the packets around it still arrive.
import { describe, expect, it } from 'vitest';
const MAX_INTERFACES = 4096, MAX_LINK_TYPES = 64;
import { floodCapture } from '../support/floods.js';
import { parse } from './support.js';

const N = MAX_INTERFACES * 3;

describe('pcapng per-file tables are bounded', () => {
  it('an Interface Description Block flood: interfaces stop at MAX_INTERFACES, the excess is noted, both packets arrive', () => {
    const r = parse(floodCapture('interfaces', N), 64 * 1024);
    expect(r.info!.interfaces.length).toBe(MAX_INTERFACES);
    expect(r.anomalies.get('pcapng.table_limit')).toBe(N + 1 - MAX_INTERFACES);
    expect(r.frames.map((f) => f.time)).toEqual([1_000_000, 2_000_000]);
  });

  it('distinct link types: the list stops at MAX_LINK_TYPES (constant work per block), each one listed once', () => {
    const r = parse(floodCapture('link-types', N), 64 * 1024);
    expect(r.info!.linkTypes.length).toBe(MAX_LINK_TYPES);
    expect(new Set(r.info!.linkTypes).size).toBe(MAX_LINK_TYPES);
    expect(r.anomalies.get('pcapng.table_limit')).toBeGreaterThan(0);
    expect(r.frames).toHaveLength(2);
  });

  it('a statistics flood for interfaces never described: noted as unknown_interface, only real counters kept', () => {
    const r = parse(floodCapture('statistics', N), 64 * 1024);
    expect(r.anomalies.get('pcapng.unknown_interface')).toBe(N / 2);
    // The last ISB for interface 0 said N − 2 drops (counters are cumulative).
    expect(r.info!.droppedByInterface).toBe(N - 2);
    expect(r.frames).toHaveLength(2);
  });

  it('a section flood (SHB, IDB, ISB repeated): drops summed per section, interfaces listed up to the bound', () => {
    const r = parse(floodCapture('sections', N), 64 * 1024);
    expect(r.info!.sections).toBe(N + 1);
    expect(r.info!.droppedByInterface).toBe(N);
    expect(r.info!.interfaces.length).toBe(MAX_INTERFACES);
    expect(r.anomalies.get('pcapng.table_limit')).toBe(N + 1 - MAX_INTERFACES);
  });
});
