/**
 * `sync-client templates [--json]`: the templates the gateway serves now (`GET /templates`), with
 * their parameters; required ones are marked. No replica, no WebSocket: one HTTP request.
 * @module
 */
import type { WireRegistry } from "@kuzu-sync/protocol";
import { CliError, ExitCode } from "./exit-codes.ts";
import { formatTemplates } from "./format.ts";
import { paramInfo } from "./params.ts";
import { fetchJson, type CliContext } from "./session.ts";
import { toJson } from "./table.ts";

/**
 * Prints the list (or, with `json`, `[{name, description, params: [{name, types, required, default?}]}]`).
 * @example await templatesCommand(ctx, { json: false })
 */
export async function templatesCommand(ctx: CliContext, options: { readonly json: boolean }): Promise<ExitCode> {
  const registry = await fetchJson<WireRegistry>(ctx, "/templates");
  if (!Array.isArray(registry.templates)) {
    throw new CliError(`${ctx.config.httpUrl}/templates did not answer a template registry; is ${ctx.config.url} a sync-server?`, ExitCode.UNAVAILABLE);
  }
  if (options.json) {
    const list = registry.templates.map((t) => ({ name: t.name, description: t.description ?? null, params: paramInfo(t) }));
    ctx.term.print(toJson(list));
  } else {
    ctx.term.print(formatTemplates(registry, ctx.term.colors));
  }
  return ExitCode.OK;
}
