// LINKTYPE_* names (https://www.tcpdump.org/linktypes.html), for reports and messages.
const NAMES = new Map<number, string>([
  [0, 'NULL'], [1, 'ETHERNET'], [9, 'PPP'], [12, 'RAW (DLT 12)'], [14, 'RAW (DLT 14)'], [101, 'RAW'],
  [105, 'IEEE802_11'], [108, 'LOOP'], [113, 'LINUX_SLL'], [127, 'IEEE802_11_RADIOTAP'], [228, 'IPV4'],
  [229, 'IPV6'], [276, 'LINUX_SLL2'],
]);
export const linkTypeName = (value: number): string => NAMES.get(value) ?? `LINKTYPE_${value}`;
