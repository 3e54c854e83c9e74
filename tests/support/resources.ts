/**
 * Resources a test starts one after another and may replace (a gateway restarted on the same
 * data dir), all released at the end in reverse order, even when an assertion fails:
 * `AsyncDisposableStack` in short (this TypeScript lib set does not type it).
 * @module
 */

/**
 * @example
 * await using started = new Resources();
 * let gw = started.use(await startGatewayProcess({ dataDir }));
 * await gw.kill();
 * gw = started.use(await startGatewayProcess({ dataDir, port: gw.port }));
 */
export class Resources implements AsyncDisposable {
  readonly #held: AsyncDisposable[] = [];

  /** Release `resource` with the others (last in, first out); returns it. */
  use<T extends AsyncDisposable>(resource: T): T {
    this.#held.push(resource);
    return resource;
  }

  /** Release everything; every resource is tried, the first failure is thrown after. */
  async [Symbol.asyncDispose](): Promise<void> {
    let failure: unknown = null;
    for (const r of this.#held.splice(0).reverse()) {
      try {
        await r[Symbol.asyncDispose]();
      } catch (error) {
        failure ??= error;
      }
    }
    if (failure !== null) throw failure;
  }
}
