// d3-node ships no types and @types/d3 is not installed: just the part of d3 that
// src/report/html.ts uses (selections built in a jsdom document, and linear scales).
declare module 'd3-node' {
  type AttrValue = string | number | null;

  export interface Selection<Datum = unknown> {
    append(name: string): Selection<Datum>;
    attr(name: string, value: AttrValue | ((d: Datum, i: number) => AttrValue)): Selection<Datum>;
    classed(names: string, value: boolean | ((d: Datum, i: number) => boolean)): Selection<Datum>;
    text(value: string | ((d: Datum, i: number) => string)): Selection<Datum>;
    selectAll(selector: string): Selection<Datum>;
    data<T>(data: readonly T[]): Selection<T>;
    join(name: string): Selection<Datum>;
    each(fn: (this: unknown, d: Datum, i: number) => void): Selection<Datum>;
    node(): { outerHTML: string } | null;
  }

  export interface ScaleLinear {
    (value: number): number;
    domain(d: [number, number]): ScaleLinear;
    range(r: [number, number]): ScaleLinear;
    ticks(count?: number): number[];
  }

  export interface D3Module {
    select(node: unknown): Selection;
    scaleLinear(): ScaleLinear;
  }

  export interface D3NodeOptions {
    container?: string;
    selector?: string;
  }

  export class D3Node {
    constructor(options?: D3NodeOptions);
    readonly d3: D3Module;
    readonly document: { querySelector(selector: string): unknown };
    svgString(): string;
    html(): string;
  }
}
