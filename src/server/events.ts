// Server-sent events (the `text/event-stream` format of the HTML standard): every page that is
// open gets each change to the list of analyses, and progress, as it happens.
import type { ServerResponse } from 'node:http';

const HEARTBEAT_MS = 15_000;

export class EventHub {
  readonly #clients = new Set<ServerResponse>();
  readonly #timer: NodeJS.Timeout;

  constructor(readonly maxClients: number) {
    // A comment line now and then keeps proxies from closing a quiet stream.
    this.#timer = setInterval(() => {
      for (const c of this.#clients) c.write(': keep-alive\n\n');
    }, HEARTBEAT_MS);
    this.#timer.unref();
  }

  get size(): number {
    return this.#clients.size;
  }

  /** Takes over the response as an event stream; false when there are too many already. */
  add(res: ServerResponse): boolean {
    if (this.#clients.size >= this.maxClients) return false;
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Accel-Buffering': 'no',
    });
    res.write('retry: 2000\n\n');
    this.#clients.add(res);
    res.on('close', () => this.#clients.delete(res));
    return true;
  }

  send(event: string, data: unknown): void {
    // JSON.stringify never emits a raw newline, so the data fits on one `data:` line.
    const text = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const c of this.#clients) c.write(text);
  }

  close(): void {
    clearInterval(this.#timer);
    for (const c of this.#clients) c.end();
    this.#clients.clear();
  }
}
