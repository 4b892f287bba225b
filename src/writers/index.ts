// The writers layer, the mirror of readers: captures written as pcapng blocks.
export {
  blockType, blockWithComments, enhancedPacketBlock, interfaceDescriptionBlock, sectionHeaderBlock, splitTimestamp,
  type InterfaceDescription, type PacketRecord,
} from './pcapng.js';
export { BlockFile } from './block-file.js';
