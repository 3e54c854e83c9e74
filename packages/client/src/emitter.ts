/**
 * A tiny typed event emitter (no Node EventEmitter: listeners' errors must not break sync).
 * @module
 */

export type Listener<T> = (value: T) => void;

export class Emitter<Events extends Record<string, unknown>> {
  readonly #listeners = new Map<keyof Events, Set<Listener<never>>>();

  on<K extends keyof Events>(name: K, listener: Listener<Events[K]>): () => void {
    let set = this.#listeners.get(name);
    if (!set) this.#listeners.set(name, (set = new Set()));
    set.add(listener as Listener<never>);
    return () => this.off(name, listener);
  }

  off<K extends keyof Events>(name: K, listener: Listener<Events[K]>): void {
    this.#listeners.get(name)?.delete(listener as Listener<never>);
  }

  /** Whether anyone listens to `name` (so a caller can skip building values nobody reads). */
  has<K extends keyof Events>(name: K): boolean {
    return (this.#listeners.get(name)?.size ?? 0) > 0;
  }

  emit<K extends keyof Events>(name: K, value: Events[K], onError: (error: unknown) => void): void {
    for (const l of this.#listeners.get(name) ?? []) {
      try {
        (l as Listener<Events[K]>)(value);
      } catch (error) {
        onError(error);
      }
    }
  }
}
