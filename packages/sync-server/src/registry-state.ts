/**
 * The registry a running gateway uses — to validate events, in `welcome`, on `GET /templates` and
 * `GET /registry` — and the versions of its log. The log is the source of truth: when this gateway
 * consumes a registry event of a newer version (another JetStream gateway upgraded), it adopts it
 * at once (docs/PROTOCOL.md §10.3).
 * @module
 */
import type { EventLog, RegistryVersionEntry } from "@kuzu-sync/log";
import { REGISTRY_TEMPLATE, TemplateRegistry, type HelloMessage, type WireRegistry } from "@kuzu-sync/protocol";
import type { Logger } from "@kuzu-sync/telemetry";

/** What `welcome` says about the registry. */
export interface RegistryWelcome {
  readonly registry: WireRegistry;
  readonly registryHistory: readonly { readonly version: number; readonly seq: number; readonly hash: string }[];
  readonly base?: WireRegistry;
}

/**
 * @example
 * const state = new RegistryState(log, fileRegistry, logger);
 * state.current.validate("CREATE_USER", params);
 */
export class RegistryState {
  readonly #log: EventLog;
  readonly #file: TemplateRegistry;
  readonly #logger: Logger;
  #current: TemplateRegistry;
  #unsubscribe: (() => void) | null = null;

  /** `current`: what start-up settled on (the file, or the log's newer version). */
  constructor(log: EventLog, file: TemplateRegistry, current: TemplateRegistry, logger: Logger) {
    this.#log = log;
    this.#file = file;
    this.#current = current;
    this.#logger = logger;
  }

  /** The registry events are validated against now. */
  get current(): TemplateRegistry {
    return this.#current;
  }

  /** Follow the log: adopt each newer version as it is committed. Returns a stop function. */
  follow(): () => void {
    this.#unsubscribe ??= this.#log.onCommit(({ effective }) => {
      if (!effective.some((e) => e.template === REGISTRY_TEMPLATE)) return;
      const latest = this.#log.registry.latest();
      if (latest !== undefined && latest.version > this.#current.version) this.#adopt(latest);
    });
    return () => {
      this.#unsubscribe?.();
      this.#unsubscribe = null;
    };
  }

  #adopt(entry: RegistryVersionEntry): void {
    this.#current = entry.hash === this.#file.hash ? this.#file : TemplateRegistry.fromWire(entry.registry);
    this.#logger.warn("registry version adopted from the log", {
      version: entry.version,
      hash: entry.hash,
      seq: entry.seq,
      fileVersion: this.#file.version,
      hint: this.#current === this.#file ? undefined : "deploy this version's registry file (TEMPLATES_PATH) to validate with its zod schemas",
    });
  }

  /** The registry fields of the `welcome` for `hello`. */
  welcomeFor(hello: HelloMessage): RegistryWelcome {
    const registry = this.#current.toWire();
    const registryHistory = this.#log.registry.entries().map(({ version, seq, hash }) => ({ version, seq, hash }));
    // A replica without a registry of its own (new, or from before versions) gets the one in force
    // after its seq — unless the event there is the genesis, which brings it.
    const base = hello.registryVersion === undefined ? this.#log.registry.inForceAt(hello.lastSeq + 1)?.registry : undefined;
    return { registry, registryHistory, ...(base === undefined ? {} : { base }) };
  }

  /** `GET /registry`. */
  describe(): { readonly version: number; readonly hash: string; readonly history: RegistryWelcome["registryHistory"] } {
    const { version, hash } = this.#current;
    return { version, hash, history: this.#log.registry.entries().map(({ version: v, seq, hash: h }) => ({ version: v, seq, hash: h })) };
  }
}
