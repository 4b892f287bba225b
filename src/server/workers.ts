// Bounded analysis concurrency. Analysis runs in-process and is CPU-bound, so at most `size`
// analyses run at once: an upload that finds a free slot is analysed while it arrives; the others
// are only stored (and checked to be captures) and wait here in arrival order for a slot.

export class Workers {
  #busy = 0;
  readonly #queue: string[] = [];

  constructor(
    readonly size: number,
    private readonly run: (id: string) => Promise<void>,
    /** What a run that threw (it should not) leaves: called instead of an unhandled rejection. */
    private readonly onError: (id: string, e: unknown) => void = () => undefined,
  ) {}

  get busy(): number {
    return this.#busy;
  }

  get queued(): number {
    return this.#queue.length;
  }

  /** A slot for an upload to be analysed as it arrives; never ahead of analyses already waiting. */
  tryAcquire(): boolean {
    if (this.#busy >= this.size || this.#queue.length > 0) return false;
    this.#busy++;
    return true;
  }

  release(): void {
    this.#busy--;
    this.#pump();
  }

  enqueue(id: string): void {
    this.#queue.push(id);
    this.#pump();
  }

  /** Drops a waiting analysis (deleted before its turn); false when it was not waiting. */
  remove(id: string): boolean {
    const i = this.#queue.indexOf(id);
    if (i < 0) return false;
    this.#queue.splice(i, 1);
    return true;
  }

  #pump(): void {
    while (this.#busy < this.size && this.#queue.length > 0) {
      const id = this.#queue.shift()!;
      this.#busy++;
      // The slot comes back whatever the run does; a rejection is reported, never left unhandled
      // (it would end the process).
      void this.run(id)
        .catch((e: unknown) => {
          try {
            this.onError(id, e);
          } catch {
            // nothing left to tell
          }
        })
        .finally(() => this.release());
    }
  }
}
