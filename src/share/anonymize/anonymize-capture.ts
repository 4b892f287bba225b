// `dualscope anonymize`: a streaming copy of a capture, in its own format (pcap stays pcap with its
// header and timestamps; pcapng stays pcapng, block by block, in each section's byte order), with
// every packet anonymised (packet.ts) and every free-text or identifying pcapng field removed:
// comments everywhere; the section header's hardware, OS and application strings; the interface
// name, description, addresses, filter, OS and hardware; a packet's hash (of the original bytes)
// and verdict; name-resolution and decryption-secrets blocks dropped; custom and journal blocks
// kept as placeholders of the same size with their contents zeroed (Wireshark gives them a frame
// number, so dropping them would renumber every frame after them). Memory: one record at a time.
import { TOOL_VERSION } from '../../version.js';
import { Anomalies } from '../../core/index.js';
import { BLOCK, BlockType, EPB, IDB, OPB, SHB, SPB, readCapture, type Frame, type ParserInfo, type RawRecord } from '../../readers/index.js';
import type { BlockFile } from '../../writers/index.js';
import type { AnonymizeKeys } from './key.js';
import { MAX_HELD_PACKETS } from './fragments.js';
import { PacketAnonymizer, type PacketStats } from './packet.js';

export interface AnonymizeResult {
  info: ParserInfo;
  anomalies: Anomalies;
  packets: number;
  stats: PacketStats & { reverseNamesApproximated: number; blocksDropped: number };
  /** The mapping used, for the tests and for a caller that wants to translate a report. */
  anonymizer: PacketAnonymizer;
}

/** Interface Statistics Block: interface id, 64-bit timestamp, then options (pcapng §4.6). */
const ISB_OPTIONS = 20;
const pad4 = (n: number): number => (n + 3) & ~3;

/** Options kept, by block type: everything else (comments, names, strings) is removed. */
const KEPT_OPTIONS: ReadonlyMap<number, ReadonlySet<number>> = new Map([
  // if_tsresol 9, if_fcslen 13, if_tsoffset 14: needed to read the timestamps and frames right.
  [BlockType.InterfaceDescription, new Set([9, 13, 14])],
  // epb_flags 2 (direction, FCS length), epb_dropcount 4, epb_packetid 5, epb_queue 6.
  [BlockType.EnhancedPacket, new Set([2, 4, 5, 6])],
  [BlockType.ObsoletePacket, new Set([2])],
  // isb_starttime … isb_usrdeliv: counters and times.
  [BlockType.InterfaceStatistics, new Set([2, 3, 4, 5, 6, 7, 8])],
]);

/** shb_userappl (pcapng §4.1): says what wrote the copy; the original's strings are gone. */
const SHB_USERAPPL = 4;

export async function anonymizeCapture(input: string, out: BlockFile, keys: AnonymizeKeys): Promise<AnonymizeResult> {
  const anonymizer = new PacketAnonymizer(keys);
  const anomalies = new Anomalies();
  let packets = 0;
  let blocksDropped = 0;
  let pcapHeaderDone = false;
  // The frame of the record being read (onFrame runs before onRecord for the same record).
  let frameStart = 0;
  let frameEnd = 0;
  let frameLinkType = 0;
  let frameTime = 0;

  const onFrame = (frame: Frame): void => {
    frameStart = frame.dataOffset ?? 0;
    frameEnd = frame.dataEnd ?? 0;
    frameLinkType = frame.linkType;
    frameTime = frame.time;
  };

  // Output waits here while a fragmented datagram is incomplete (see fragments.ts), in order.
  let queue: Buffer[] = [];
  const emit = (block: Buffer): void => {
    if (!anonymizer.fragments.holding && queue.length === 0) return out.write(block);
    queue.push(block);
    if (queue.length >= MAX_HELD_PACKETS) anonymizer.fragments.giveUpAll();
    if (!anonymizer.fragments.holding) flush();
  };
  const flush = (): void => {
    for (const q of queue) out.write(q);
    queue = [];
  };

  /** Anonymises the current frame inside `block` (an output block whose frame starts where the record's did). */
  const withFrame = (r: RawRecord, block: Buffer): Buffer => {
    const s = frameStart - r.offset;
    const e = frameEnd - r.offset;
    anonymizer.fragments.expire(frameTime);
    if (s >= 0 && e <= block.length && s <= e) anonymizer.frame(block.subarray(s, e), frameLinkType, frameTime);
    packets++;
    return block;
  };
  const copyOf = (r: RawRecord): Buffer => Buffer.from(r.bytes.subarray(r.offset, r.offset + r.length));

  const onRecord = (r: RawRecord): void => {
    if (r.format === 'pcap') {
      // The file header, then records: header copied, data anonymised. A record the reader did
      // not deliver is not copied: its bytes were never looked at.
      if (r.delivered) emit(withFrame(r, copyOf(r)));
      else if (!pcapHeaderDone) emit(copyOf(r));
      else blocksDropped++;
      pcapHeaderDone = true;
      return;
    }
    const block = r.bytes.subarray(r.offset, r.offset + r.length);
    const le = r.littleEndian;
    const type = le ? block.readUInt32LE(BLOCK.type) : block.readUInt32BE(BLOCK.type);
    switch (type) {
      case BlockType.SectionHeader:
        return emit(sectionHeader(block, le));
      case BlockType.InterfaceDescription:
        return emit(keepOptions(Buffer.from(block), le, IDB.options, KEPT_OPTIONS.get(type)!));
      case BlockType.EnhancedPacket:
      case BlockType.ObsoletePacket: {
        if (!r.delivered) return void blocksDropped++;
        const caplen = le ? block.readUInt32LE(EPB.caplen) : block.readUInt32BE(EPB.caplen);
        const start = (type === BlockType.EnhancedPacket ? EPB.data : OPB.data) + pad4(caplen);
        // Options first: the frame is anonymised in the block that is written (a held fragment
        // is finished later, in place).
        return emit(withFrame(r, keepOptions(copyOf(r), le, start, KEPT_OPTIONS.get(type)!)));
      }
      case BlockType.SimplePacket:
        if (!r.delivered) return void blocksDropped++;
        // SPB.data: the frame; the padding after it is zeroed.
        return emit(zeroOutside(withFrame(r, copyOf(r)), SPB.data, frameEnd - r.offset));
      case BlockType.InterfaceStatistics:
        return emit(keepOptions(Buffer.from(block), le, ISB_OPTIONS, KEPT_OPTIONS.get(type)!));
      case BlockType.CustomCopyable:
      case BlockType.CustomNoCopy:
      case BlockType.SystemdJournalExport: {
        if (r.frame === 0) return void blocksDropped++;
        // A frame number of its own: kept as a placeholder (its private enterprise number too).
        const copy = Buffer.from(block);
        copy.fill(0, type === BlockType.SystemdJournalExport ? BLOCK.body : BLOCK.body + 4, copy.length - 4);
        return emit(copy);
      }
      default:
        // Name resolution (addresses and names), decryption secrets, unknown blocks.
        blocksDropped++;
    }
  };

  const info = await readCapture(input, onFrame, anomalies, { onRecord });
  anonymizer.fragments.giveUpAll();
  flush();
  return {
    info, anomalies, packets, anonymizer,
    stats: { ...anonymizer.stats, reverseNamesApproximated: anonymizer.names.stats.reverseApproximated, blocksDropped },
  };
}

/** A Simple Packet Block with the bytes after its frame (`end`), up to the trailing length, zeroed. */
function zeroOutside(b: Buffer, start: number, end: number): Buffer {
  if (end >= start && end < b.length - 4) b.fill(0, end, b.length - 4);
  return b;
}

interface Option { code: number; value: Buffer }

/** The options of a block from `start` (up to opt_endofopt, or the last whole one). */
function readOptions(block: Buffer, le: boolean, start: number): Option[] {
  const u16 = (o: number): number => (le ? block.readUInt16LE(o) : block.readUInt16BE(o));
  const end = block.length - 4;
  const opts: Option[] = [];
  for (let p = start; p + 4 <= end; ) {
    const code = u16(p);
    const len = u16(p + 2);
    if (code === 0 || p + 4 + len > end) break;
    opts.push({ code, value: block.subarray(p + 4, p + 4 + len) });
    p += 4 + pad4(len);
  }
  return opts;
}

/** The block's fixed part (`block[0, start)`), then the given options, rebuilt with its lengths. */
function withOptions(block: Buffer, le: boolean, start: number, opts: readonly Option[]): Buffer {
  const optBytes = opts.length === 0 ? 0 : opts.reduce((n, o) => n + 4 + pad4(o.value.length), 4);
  const total = Math.min(start, block.length - 4) + optBytes + 4;
  const b = Buffer.alloc(total);
  block.copy(b, 0, 0, Math.min(start, block.length - 4));
  const u16 = (o: number, v: number): void => void (le ? b.writeUInt16LE(v, o) : b.writeUInt16BE(v, o));
  const u32 = (o: number, v: number): void => void (le ? b.writeUInt32LE(v, o) : b.writeUInt32BE(v, o));
  let p = Math.min(start, block.length - 4);
  if (opts.length > 0) {
    for (const o of opts) {
      u16(p, o.code);
      u16(p + 2, o.value.length);
      o.value.copy(b, p + 4);
      p += 4 + pad4(o.value.length);
    }
    u16(p, 0);
    u16(p + 2, 0);
  }
  u32(BLOCK.totalLength, total);
  u32(total - 4, total);
  return b;
}

function keepOptions(block: Buffer, le: boolean, start: number, kept: ReadonlySet<number>): Buffer {
  if (start > block.length - 4) return block;
  return withOptions(block, le, start, readOptions(block, le, start).filter((o) => kept.has(o.code)));
}

/** A section header with none of the original's options, saying what wrote it; length unknown (-1). */
function sectionHeader(block: Buffer, le: boolean): Buffer {
  const app = { code: SHB_USERAPPL, value: Buffer.from(`dualscope ${TOOL_VERSION} anonymize`) };
  const b = withOptions(block, le, SHB.options, [app]);
  b.fill(0xff, SHB.sectionLength, SHB.sectionLength + 8);
  return b;
}
