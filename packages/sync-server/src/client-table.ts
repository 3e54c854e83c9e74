/**
 * Per-client entries that cannot grow for ever: the entries of connected clients are kept, and of
 * the others only the most recently used `recent` ones (least recently used go first). In-memory
 * clients pick a random id on every run, so a gateway that kept every id it ever saw would grow
 * without bound.
 * @module
 */

/**
 * @example
 * const table = new ClientTable(1000, (id) => new Counter(id));
 * table.connect("a");          // kept while connected
 * table.get("a").add(1);
 * table.disconnect("a");       // now one of the 1000 recent ones
 */
export class ClientTable<V> {
  readonly #recentCapacity: number;
  readonly #create: (clientId: string) => V;
  /** Connected clients: entry and number of open sockets. */
  readonly #connected = new Map<string, { value: V; sockets: number }>();
  /** Other clients, least recently used first (a Map keeps insertion order). */
  readonly #recent = new Map<string, V>();

  constructor(recentCapacity: number, create: (clientId: string) => V) {
    this.#recentCapacity = recentCapacity;
    this.#create = create;
  }

  /** The entry of `clientId`, created when absent; marks it as the most recently used. */
  get(clientId: string): V {
    const connected = this.#connected.get(clientId);
    if (connected) return connected.value;
    let value = this.#recent.get(clientId);
    if (value === undefined) value = this.#create(clientId);
    else this.#recent.delete(clientId);
    this.#recent.set(clientId, value);
    this.#trim();
    return value;
  }

  /** A socket of `clientId` said hello: its entry stays until its last socket closes. */
  connect(clientId: string): void {
    const connected = this.#connected.get(clientId);
    if (connected) {
      connected.sockets++;
      return;
    }
    const value = this.#recent.get(clientId) ?? this.#create(clientId);
    this.#recent.delete(clientId);
    this.#connected.set(clientId, { value, sockets: 1 });
  }

  /** A socket of `clientId` closed; after its last one the entry is one of the recent ones. */
  disconnect(clientId: string): void {
    const connected = this.#connected.get(clientId);
    if (!connected || --connected.sockets > 0) return;
    this.#connected.delete(clientId);
    this.#recent.set(clientId, connected.value);
    this.#trim();
  }

  /** Every entry held: connected clients first, then the recent ones, oldest first. */
  *entries(): IterableIterator<[string, V]> {
    for (const [id, { value }] of this.#connected) yield [id, value];
    yield* this.#recent;
  }

  /** Entries held (connected + recent). */
  get size(): number {
    return this.#connected.size + this.#recent.size;
  }

  #trim(): void {
    while (this.#recent.size > this.#recentCapacity) {
      const oldest = this.#recent.keys().next().value as string;
      this.#recent.delete(oldest);
    }
  }
}
