// One row of the correlation ladder as correlation/html.ts embeds it and correlation-client.ts draws
// it: the one definition both sides compile against (the script refers to it as an import type, so
// it stays a classic script).
export interface LadderRow {
  /** Index into findings, or -1 for a loss no finding explains. */
  finding: number;
  role: string;
  time: number;
  /** [column, frame, time] per sighting. */
  seen: [number, number, number][];
  /** Column the packet was lost before (it left `lostFrom`), or -1. */
  lostFrom: number;
  lostTo: number;
  detail: string;
}
