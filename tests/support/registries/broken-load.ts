/**
 * A registry that must not load: a typo in a parameter name ($idd for id) and a declared parameter
 * no statement uses. Both used to be accepted at start-up and then fail on every replica.
 * @module
 */
import { defineTemplates, z } from "@kuzu-sync/protocol";

export default defineTemplates({
  schema: ["CREATE NODE TABLE Task(id STRING, title STRING, PRIMARY KEY(id))"],
  templates: {
    ADD_TASK: { params: { id: z.string(), title: z.string() }, cypher: "MERGE (t:Task {id: $idd}) SET t.title = $title" },
    RENAME_TASK: { params: { id: z.string(), title: z.string(), by: z.string() }, cypher: "MATCH (t:Task {id: $id}) SET t.title = $title" },
  },
});
