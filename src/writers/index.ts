// The writers layer, the mirror of readers: captures written as pcapng blocks; text files (reports)
// written part by part as they are made.
export {
  blockType, blockWithComments, enhancedPacketBlock, interfaceDescriptionBlock, sectionHeaderBlock, splitTimestamp,
  type InterfaceDescription, type PacketRecord,
} from './pcapng.js';
export { BlockFile } from './block-file.js';
export { writeText, writeTextThenRename, type TextContent } from './text-file.js';
