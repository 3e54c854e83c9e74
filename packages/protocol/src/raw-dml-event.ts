/**
 * Raw DML travels as an ordinary sequenced event with the reserved template name `RAW_DML` and
 * params `{ cypher }`, so it is logged, ordered, deduplicated and archived like any other event.
 * Both the gateway (before sequencing) and every replica (before running it) pass the text
 * through {@link checkRawDml}.
 * @module
 */
import { ErrorCode } from "./errors.ts";
import { RawDmlLimits, checkRawDml } from "./raw-dml.ts";

/**
 * Template name of raw DML events. No registry may define a template of this name.
 * @example if (event.template === RAW_DML_TEMPLATE) runChecked(event.params.cypher);
 */
export const RAW_DML_TEMPLATE = "RAW_DML";

/** Outcome of {@link checkRawDmlParams}. */
export type RawDmlParamsCheck =
  | { readonly ok: true; readonly cypher: string }
  | { readonly ok: false; readonly code: ErrorCode; readonly message: string };

/**
 * Validate the params of a `RAW_DML` event: exactly `{ cypher: string }`, and the text passes
 * {@link checkRawDml}.
 * @example
 * const r = checkRawDmlParams(event.params);
 * if (!r.ok) return reject(event.id, r.code, r.message);
 */
export function checkRawDmlParams(params: Readonly<Record<string, unknown>>): RawDmlParamsCheck {
  const keys = Object.keys(params);
  const cypher = params["cypher"];
  if (keys.length !== 1 || typeof cypher !== "string") {
    return { ok: false, code: ErrorCode.INVALID_PARAMS, message: `${RAW_DML_TEMPLATE}: params must be exactly { cypher: string }` };
  }
  if (cypher.length === 0 || cypher.length > RawDmlLimits.maxLength) {
    return { ok: false, code: ErrorCode.INVALID_PARAMS, message: `${RAW_DML_TEMPLATE}: cypher must be 1..${RawDmlLimits.maxLength} characters` };
  }
  const check = checkRawDml(cypher);
  if (!check.ok) return { ok: false, code: check.code, message: check.message };
  return { ok: true, cypher };
}
