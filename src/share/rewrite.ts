// One streaming pass that copies a capture into a pcapng file, packet by packet as a plan decides:
// keep or leave out, which comments to add. pcapng input is copied block by block, so its own
// options, comments, name-resolution and custom blocks survive (and custom blocks keep taking a
// frame number, as Wireshark and the readers count them); pcap input becomes one section with one
// interface at the file's resolution. Memory: one block at a time, plus what the plan keeps.
import { Anomalies } from '../core/index.js';
import {
  BlockType, PCAP_FILE_HEADER, PCAP_LINKTYPE_MASK, PcapMagic, readCapture,
  type Frame, type ParserInfo, type RawRecord,
} from '../readers/index.js';
import {
  blockType, blockWithComments, enhancedPacketBlock, interfaceDescriptionBlock, sectionHeaderBlock, splitTimestamp, type BlockFile,
} from '../writers/index.js';

export interface RewritePlan {
  /** Comments for the (first) section header: what the file is about. */
  readonly sectionComments: readonly string[];
  /** The comments a frame gets, or undefined to leave it out. Called once per delivered frame. */
  packet(frame: Frame): readonly string[] | undefined;
  /**
   * pcapng blocks that are neither section, interface nor packet (statistics, name resolution,
   * secrets, custom blocks): copied as they are, or left out (an extract shares only evidence).
   */
  readonly otherBlocks: 'copy' | 'drop';
}

export interface RewriteResult {
  info: ParserInfo;
  anomalies: Anomalies;
  /** Packets written. */
  packets: number;
}

const NANO_MAGICS: readonly number[] = [PcapMagic.NanosLe, PcapMagic.NanosBe];
const LE_MAGICS: readonly number[] = [PcapMagic.MicrosLe, PcapMagic.NanosLe, PcapMagic.ModifiedLe];

/** Reads `input` once and writes the plan's packets to `out` (which the caller closes or aborts). */
export async function rewriteCapture(input: string, out: BlockFile, plan: RewritePlan): Promise<RewriteResult> {
  const anomalies = new Anomalies();
  let decision: readonly string[] | undefined;
  let firstSection = true;
  let pcapNanos = false;
  let packets = 0;
  // The frame of the record being read: pcap records are rebuilt from it (time already decoded).
  let frameTime = 0;
  let frameNanos = 0;
  let frameOriglen = 0;
  let frameData: Buffer = Buffer.alloc(0);

  const onFrame = (frame: Frame): void => {
    decision = plan.packet(frame);
    frameTime = frame.time;
    frameNanos = frame.nanos;
    frameOriglen = frame.origlen;
    // A view, used (and copied into a block) before the reader moves on.
    frameData = frame.data;
  };

  const onRecord = (r: RawRecord): void => {
    const block = r.bytes.subarray(r.offset, r.offset + r.length);
    if (r.format === 'pcap') {
      if (!r.delivered) {
        if (r.frame === 0 && r.length === PCAP_FILE_HEADER.length) pcapHeader(block);
        return;
      }
      if (decision === undefined) return;
      const units = pcapNanos ? BigInt(frameTime) * 1000n + BigInt(frameNanos) : BigInt(frameTime);
      out.write(enhancedPacketBlock({ iface: 0, ...splitTimestamp(units), origlen: frameOriglen, data: frameData }, decision));
      packets++;
      return;
    }
    const type = blockType(block, r.littleEndian);
    if (type === BlockType.SectionHeader) {
      out.write(firstSection ? withComments(block, r.littleEndian, plan.sectionComments) : copy(block));
      firstSection = false;
    } else if (type === BlockType.InterfaceDescription) {
      out.write(copy(block));
    } else if (r.delivered) {
      if (decision === undefined) return;
      out.write(withComments(block, r.littleEndian, decision));
      packets++;
    } else if (plan.otherBlocks === 'copy') {
      out.write(copy(block));
    }
  };

  const pcapHeader = (header: Buffer): void => {
    const magic = header.readUInt32LE(PCAP_FILE_HEADER.magic);
    const le = LE_MAGICS.includes(magic);
    pcapNanos = NANO_MAGICS.includes(magic);
    const u32 = (off: number): number => (le ? header.readUInt32LE(off) : header.readUInt32BE(off));
    out.write(sectionHeaderBlock(plan.sectionComments));
    out.write(interfaceDescriptionBlock({ linkType: u32(PCAP_FILE_HEADER.linkType) & PCAP_LINKTYPE_MASK, snaplen: u32(PCAP_FILE_HEADER.snaplen), nanos: pcapNanos }));
    firstSection = false;
  };

  const info = await readCapture(input, onFrame, anomalies, { onRecord });
  return { info, anomalies, packets };
}

/** The writer keeps blocks until it flushes, and the reader reuses its chunk: copy. */
const copy = (block: Buffer): Buffer => Buffer.from(block);

/** The block with comments added, or a copy of it when there are none. */
const withComments = (block: Buffer, le: boolean, comments: readonly string[]): Buffer =>
  comments.length > 0 ? blockWithComments(block, le, comments) : copy(block);
