/**
 * The replica's write connection as transactions see it. Kuzu 0.11 can corrupt a row when a
 * transaction that updated it in place is rolled back (reopen.ts), so whoever writes must note
 * which transactions ran an updating statement, and a rollback of one reopens the database — after
 * which every prepared statement (the templates', and SET_SEQ, which moves the applied seq) is
 * prepared again. Keeping that flag, the rollback and the re-preparation in one place is what
 * keeps them in step; the replica's write queue decides when they run (one transaction at a time).
 * @module
 */
import type { Logger } from "@kuzu-sync/telemetry";
import type { CompiledTemplates } from "./compiled-templates.ts";
import type { DatabaseHandle } from "./database-handle.ts";
import * as k from "./kuzu.ts";
import { SET_SEQ } from "./meta.ts";
import { execStatements, type Statement } from "./template-statements.ts";

/**
 * @example
 * const session = new WriteSession(h, log, path, () => templates);
 * await session.transaction(async () => { await k.run(session.write, ddl); });
 */
export class WriteSession {
  readonly #h: DatabaseHandle;
  readonly #log: Logger;
  readonly #path: string | null;
  readonly #templates: () => CompiledTemplates | null;
  /** The open transaction ran a statement that updates rows in place (see reopen.ts). */
  #txUpdated = false;
  #setSeq: k.PreparedStatement | undefined;

  /** `templates` gives the templates in force, whose statements a reopen unprepares. */
  constructor(h: DatabaseHandle, log: Logger, path: string | null, templates: () => CompiledTemplates | null) {
    this.#h = h;
    this.#log = log;
    this.#path = path;
    this.#templates = templates;
  }

  /** The write connection (a new one after a reopen). */
  get write(): k.Connection {
    return this.#h.write;
  }

  async begin(): Promise<void> {
    this.#txUpdated = false;
    await k.run(this.#h.write, "BEGIN TRANSACTION");
  }

  /** The open transaction may update rows in place: its rollback reopens the database. */
  markUpdated(): void {
    this.#txUpdated = true;
  }

  /** Run statements in the open transaction, noting whether they update rows in place. */
  async run(statements: readonly Statement[], bound: Readonly<Record<string, unknown>>): Promise<void> {
    if (statements.some((st) => st.updates)) this.#txUpdated = true;
    await execStatements(this.#h.write, statements, bound);
  }

  /** Move the applied seq to `seq` in the open transaction (SET_SEQ must be prepared). */
  async recordSeq(seq: number): Promise<void> {
    await k.exec(this.#h.write, this.#setSeq!, { seq });
  }

  async commit(): Promise<void> {
    await k.run(this.#h.write, "COMMIT");
  }

  /** Roll back; after a transaction that updated rows in place, reopen the database (reopen.ts). */
  async rollback(): Promise<void> {
    try {
      await k.run(this.#h.write, "ROLLBACK");
    } catch {
      // Kuzu already rolled the transaction back when the statement failed.
    }
    if (this.#txUpdated) await this.#reopen();
    this.#txUpdated = false;
  }

  /** Run `task` in one transaction (rolled back, and the database reopened if needed, when it throws). */
  async transaction(task: () => Promise<void>): Promise<void> {
    await this.begin();
    // DDL and data steps may update rows in place: a rollback reopens (reopen.ts).
    this.#txUpdated = true;
    try {
      await task();
      await k.run(this.#h.write, "COMMIT");
      this.#txUpdated = false;
    } catch (error) {
      await this.rollback();
      throw error;
    }
  }

  /** Prepare SET_SEQ (again): after an install, a registry change, a dry run's rollback. */
  async prepareSeq(): Promise<void> {
    this.#setSeq = await k.prepare(this.#h.write, SET_SEQ);
  }

  /** SET_SEQ, prepared on first use (a reopened replica needs no install). */
  async seqStatement(): Promise<k.PreparedStatement> {
    return (this.#setSeq ??= await k.prepare(this.#h.write, SET_SEQ));
  }

  /** Reopen the database (reopen.ts); statements are prepared again on the new connection. */
  async #reopen(): Promise<void> {
    await this.#h.reopen();
    this.#templates()?.unprepare();
    this.#setSeq = await k.prepare(this.#h.write, SET_SEQ);
    this.#log.info("replica database reopened after a rollback", { path: this.#path ?? ":memory:" });
  }
}
