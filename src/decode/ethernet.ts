// decode/ethernet.ts: Ethernet II (IEEE 802.3) with stacked 802.1Q / 802.1ad / 0x9100 tags and
// PPPoE sessions (RFC 2516) carrying PPP IPv4/IPv6. Ethernet padding is left to the IP length.
import type { Anomalies } from '../core/index.js';
import { u16 } from './bytes.js';
import { EtherType, type Link } from './link.js';
import type { Mutable } from './types.js';

const ETH = { dst: 0, src: 6, etherType: 12, headerLen: 14 } as const;
// 802.1Q tag: TCI (PCP 3 bits, DEI 1 bit, VID 12 bits), then the next EtherType.
const TAG = { tci: 0, etherType: 2, len: 4 } as const;
// RFC 2516 §4: VER/TYPE (0x11), CODE (0 in session), SESSION_ID, LENGTH, then the PPP protocol.
const PPPOE = { verType: 0, code: 1, session: 2, length: 4, pppProtocol: 6, headerLen: 6 } as const;
const PPP_IPV4 = 0x0021;
const PPP_IPV6 = 0x0057;

/** More tags than any real network stacks (QinQ is 2): beyond this the frame is treated as junk. */
export const MAX_VLAN_TAGS = 8;

/**
 * The frame is b[off, end) (the whole buffer unless given); offsets returned are within `b`.
 * `out`, when given, is filled and returned instead of a new record.
 */
export function decodeEthernet(b: Buffer, anomalies: Anomalies, off = 0, end = b.length, out?: Mutable<Link>): Link | undefined {
  if (end - off < ETH.headerLen) return anomalies.note('link.short_header');
  return decodeEtherPayload(b, off + ETH.headerLen, u16(b, off + ETH.etherType), anomalies, end, out);
}

/**
 * Follows VLAN tags and PPPoE from an EtherType at `off` (shared with the Linux cooked headers,
 * which can carry tagged frames too). Values ≤ 1500 are 802.3 lengths (LLC follows): passed
 * through as they are, so packet.ts counts them as non-IP.
 */
export function decodeEtherPayload(b: Buffer, off: number, etherType: number, anomalies: Anomalies, end = b.length, out?: Mutable<Link>): Link | undefined {
  let type = etherType;
  let o = off;
  let vlan: number | undefined;
  for (let tags = 0; type === EtherType.VLAN || type === EtherType.QinQ || type === EtherType.QinQOld; tags++) {
    if (tags === MAX_VLAN_TAGS) return anomalies.note('link.too_many_vlan_tags');
    if (end < o + TAG.len) return anomalies.note('link.short_header');
    if (vlan === undefined) vlan = u16(b, o + TAG.tci) & 0x0fff;
    type = u16(b, o + TAG.etherType);
    o += TAG.len;
  }
  if (type === EtherType.PPPoESession) {
    if (end < o + PPPOE.headerLen + 1) return anomalies.note('link.short_header');
    if (b[o + PPPOE.verType] !== 0x11 || b[o + PPPOE.code] !== 0) return anomalies.note('link.bad_pppoe');
    o += PPPOE.headerLen;
    // RFC 1661 §6.5: with protocol-field compression an odd first octet is a one-octet protocol.
    let proto: number;
    if (b[o] & 1) { proto = b[o]; o += 1; }
    else {
      if (end < o + 2) return anomalies.note('link.short_header');
      proto = u16(b, o);
      o += 2;
    }
    type = proto === PPP_IPV4 ? EtherType.IPv4 : proto === PPP_IPV6 ? EtherType.IPv6 : 0x10000 | proto;
  }
  if (out === undefined) return { etherType: type, offset: o, vlan };
  out.etherType = type; out.offset = o; out.vlan = vlan;
  return out;
}
