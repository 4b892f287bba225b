// Hostile pcapng files made of tiny blocks repeated: each grows a per-file table of the reader
// (interfaces, link types, drop counters) when nothing bounds it. Small to build, small gzip'd,
// large once inflated — the shape of the 1.45 MB upload that took 4.9 GB before the bounds.
import { gzipSync } from 'node:zlib';

const SHB = Buffer.from('0a0d0d0a1c0000004d3c2b1a01000000ffffffffffffffff1c000000', 'hex');

/** An IDB (20 bytes) for `linkType`. */
function idb(linkType: number): Buffer {
  const b = Buffer.alloc(20);
  b.writeUInt32LE(1, 0);
  b.writeUInt32LE(20, 4);
  b.writeUInt16LE(linkType & 0xffff, 8);
  b.writeUInt32LE(0x40000, 12);
  b.writeUInt32LE(20, 16);
  return b;
}

/** An ISB (36 bytes) for `ifaceId` carrying isb_ifdrop = `drops`. */
function isb(ifaceId: number, drops: number): Buffer {
  const b = Buffer.alloc(36);
  b.writeUInt32LE(5, 0);
  b.writeUInt32LE(36, 4);
  b.writeUInt32LE(ifaceId, 8);
  b.writeUInt16LE(5, 20); // isb_ifdrop
  b.writeUInt16LE(8, 22);
  b.writeBigUInt64LE(BigInt(drops), 24);
  b.writeUInt32LE(36, 32);
  return b;
}

/** An EPB on interface 0 with 4 bytes of data at second `sec`. */
function epb(sec: number): Buffer {
  const b = Buffer.alloc(36);
  b.writeUInt32LE(6, 0);
  b.writeUInt32LE(36, 4);
  const ticks = BigInt(sec) * 1_000_000n;
  b.writeUInt32LE(Number(ticks >> 32n), 12);
  b.writeUInt32LE(Number(ticks & 0xffffffffn), 16);
  b.writeUInt32LE(4, 20);
  b.writeUInt32LE(4, 24);
  b.writeUInt32LE(36, 32);
  return b;
}

export type FloodKind = 'interfaces' | 'link-types' | 'statistics' | 'sections';

/**
 * `count` repetitions of one block after a section header, an Ethernet IDB and one packet:
 * - interfaces: IDBs, all Ethernet;
 * - link-types: IDBs with link types 0, 1, 2 … (mod 65536);
 * - statistics: ISBs for interface ids 1, 2, 3 … (none described) and for interface 0;
 * - sections: (SHB, IDB, ISB) triples, each a new section with its own drop counter.
 */
export function floodCapture(kind: FloodKind, count: number): Buffer {
  const parts: Buffer[] = [SHB, idb(1), epb(1)];
  const eth = idb(1);
  for (let i = 0; i < count; i++) {
    if (kind === 'interfaces') parts.push(eth);
    else if (kind === 'link-types') parts.push(idb(i));
    else if (kind === 'statistics') parts.push(isb(i % 2 === 0 ? 0 : i, i));
    else parts.push(SHB, eth, isb(0, 1));
  }
  parts.push(epb(2));
  return Buffer.concat(parts);
}

export const gzippedFlood = (kind: FloodKind, count: number): Buffer => gzipSync(floodCapture(kind, count), { level: 9 });
