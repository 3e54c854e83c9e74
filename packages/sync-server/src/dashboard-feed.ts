/**
 * The dashboard's one stream (`GET /dashboard/stream`, Server-Sent Events): every second, while
 * anyone watches, one frame built once and written to every viewer — the page never polls. The
 * first frame goes out at once, so a page shows numbers as soon as it connects.
 * @module
 */

const encoder = new TextEncoder();

/** Frames a viewer may leave unread before it is dropped (a minute, at one a second). */
const MAX_QUEUED_FRAMES = 60;

/** A viewer's stream; closed ones are dropped on the next write. */
type Viewer = ReadableStreamDefaultController<Uint8Array>;

/**
 * @example
 * const feed = new DashboardFeed(() => ({ headSeq: log.headSeq }));
 * if (url.pathname === "/dashboard/stream") return feed.handle();
 * // on shutdown:
 * feed.close();
 */
export class DashboardFeed {
  readonly #frame: () => unknown;
  readonly #intervalMs: number;
  readonly #viewers = new Set<Viewer>();
  #timer: ReturnType<typeof setInterval> | null = null;
  #closed = false;

  constructor(frame: () => unknown, intervalMs = 1_000) {
    this.#frame = frame;
    this.#intervalMs = intervalMs;
  }

  /** Viewers connected now. */
  get viewers(): number {
    return this.#viewers.size;
  }

  /** A new viewer: an SSE response that gets a frame now and one every interval until it goes away. */
  handle(): Response {
    if (this.#closed) return Response.json({ error: "the gateway is shutting down" }, { status: 503 });
    let viewer: Viewer | null = null;
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        viewer = controller;
        this.#viewers.add(controller);
        // A browser's EventSource would reconnect after this long; the dashboard's reader does the same.
        controller.enqueue(encoder.encode(`retry: ${this.#intervalMs}\n\n`));
        this.#write(controller, this.#encode());
        this.#timer ??= setInterval(() => this.#tick(), this.#intervalMs);
      },
      cancel: () => {
        if (viewer !== null) this.#drop(viewer);
      },
    });
    return new Response(body, {
      headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-store", "x-accel-buffering": "no" },
    });
  }

  /** End every stream and stop the timer (gateway shutdown). */
  close(): void {
    this.#closed = true;
    for (const viewer of [...this.#viewers]) {
      this.#drop(viewer);
      try {
        viewer.close();
      } catch {
        // Already closed by the viewer going away.
      }
    }
  }

  #tick(): void {
    if (this.#viewers.size === 0) return;
    const chunk = this.#encode();
    for (const viewer of [...this.#viewers]) this.#write(viewer, chunk);
  }

  #encode(): Uint8Array {
    return encoder.encode(`data: ${JSON.stringify(this.#frame())}\n\n`);
  }

  #write(viewer: Viewer, chunk: Uint8Array): void {
    // A viewer that stopped reading (a frozen tab) would make frames pile up here without bound.
    if ((viewer.desiredSize ?? 0) < -MAX_QUEUED_FRAMES) {
      this.#drop(viewer);
      try {
        viewer.close();
      } catch {
        // Already gone.
      }
      return;
    }
    try {
      viewer.enqueue(chunk);
    } catch {
      this.#drop(viewer); // the viewer went away between two frames
    }
  }

  #drop(viewer: Viewer): void {
    this.#viewers.delete(viewer);
    if (this.#viewers.size === 0 && this.#timer !== null) {
      clearInterval(this.#timer);
      this.#timer = null;
    }
  }
}
