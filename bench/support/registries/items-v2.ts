/** bench/registry-upgrade.ts: version 2 adds a column with a default and a template. */
import { defineTemplates, z } from "@kuzu-sync/protocol";
import { templates } from "./items-v1.ts";

export default defineTemplates({
  version: 2,
  schema: ["CREATE NODE TABLE Item(id STRING, name STRING, score INT64 DEFAULT 0, PRIMARY KEY(id))"],
  migrate: ["ALTER TABLE Item ADD score INT64 DEFAULT 0"],
  templates: {
    ...templates,
    SET_SCORE: { params: { id: z.string().min(1).max(64), score: z.int() }, cypher: "MATCH (i:Item {id: $id}) SET i.score = $score" },
  },
});
