/**
 * `client.liveQuery()`: a live query as an async iterator of row arrays. A consumer slower than
 * the changes sees the latest rows, not every intermediate result; the iterator ends when the
 * client closes or the loop breaks (`return()`), and throws when an evaluation fails.
 * @module
 */
import type { SyncError } from "@kuzu-sync/protocol";
import type { LiveSubscription, Rows } from "./live-queries.ts";

/** How the iterator registers its live query: listeners for rows, errors and the client closing. */
export type Subscribe = (onRows: (rows: Rows) => void, onError: (error: SyncError) => void, onClose: () => void) => LiveSubscription;

/**
 * @example
 * for await (const rows of liveIterator((onRows, onError, onClose) => live.add(cypher, {}, onRows, onError, onClose))) render(rows);
 */
export function liveIterator(subscribe: Subscribe): AsyncIterableIterator<Rows> {
  let latest: Rows | null = null;
  let failure: SyncError | null = null;
  let done = false;
  let waiter: { resolve: (r: IteratorResult<Rows>) => void; reject: (e: unknown) => void } | null = null;
  const wake = (): void => {
    const w = waiter;
    if (w === null) return;
    if (failure !== null) {
      // Thrown once; the iterator is finished after that.
      const error = failure;
      failure = null;
      latest = null;
      waiter = null;
      done = true;
      w.reject(error);
    } else if (latest !== null) {
      waiter = null;
      const value = latest;
      latest = null;
      w.resolve({ value, done: false });
    } else if (done) {
      waiter = null;
      w.resolve({ value: undefined, done: true });
    }
  };
  const end = (): void => {
    done = true;
    subscription.unsubscribe();
    wake();
  };
  const subscription = subscribe(
    (rows) => {
      latest = rows;
      wake();
    },
    (error) => {
      failure = error;
      subscription.unsubscribe();
      wake();
    },
    end,
  );
  const iterator: AsyncIterableIterator<Rows> = {
    next() {
      if (latest === null && failure === null && done) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve, reject) => {
        waiter = { resolve, reject };
        wake();
      });
    },
    return() {
      end();
      return Promise.resolve({ value: undefined, done: true });
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
