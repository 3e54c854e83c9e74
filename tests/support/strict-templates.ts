/**
 * A registry (for `--templates`) with a template that fails on replicas by design: ADD_ITEM uses
 * CREATE, so a second ADD_ITEM of one id violates the primary key on every replica — the
 * deterministic failure the DML statistics count as `failed`.
 * @module
 */
import { defineTemplates } from "@kuzu-sync/protocol";
import { z } from "zod";

export default defineTemplates({
  schema: ["CREATE NODE TABLE Item(id STRING, PRIMARY KEY(id))"],
  templates: {
    ADD_ITEM: { params: { id: z.string() }, cypher: "CREATE (:Item {id: $id})" },
    TOUCH_ITEM: { params: { id: z.string() }, cypher: "MERGE (:Item {id: $id})" },
  },
});

/** Path to pass as `--templates`. */
export const STRICT_TEMPLATES_PATH = import.meta.path;
