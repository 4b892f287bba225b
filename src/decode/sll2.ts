// decode/sll2.ts: Linux cooked capture v2 (LINKTYPE_LINUX_SLL2 276), libpcap ≥ 1.10 `-i any`.
// https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL2.html
import type { Anomalies } from '../core/index.js';
import { u16 } from './bytes.js';
import { decodeEtherPayload } from './ethernet.js';
import type { Link } from './link.js';

const SLL2 = { protocol: 0, reserved: 2, ifindex: 4, arphrd: 8, packetType: 10, addrLen: 11, addr: 12, headerLen: 20 } as const;

export function decodeSll2(b: Buffer, anomalies: Anomalies, off = 0, end = b.length): Link | undefined {
  if (end - off < SLL2.headerLen) return anomalies.note('link.short_header');
  return decodeEtherPayload(b, off + SLL2.headerLen, u16(b, off + SLL2.protocol), anomalies, end);
}
