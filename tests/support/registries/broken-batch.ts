/**
 * A registry that loads (its parameters and batch rows are all declared) but is wrong in ways only
 * Kuzu or a run can show: BUMP's batch form overwrites the counter instead of adding to it,
 * ADD_ITEM's batch form CREATEs where the single form MERGEs (so it fails on an existing item), and
 * TAG_ITEM writes a table the schema does not have.
 * @module
 */
import { defineTemplates, z } from "@kuzu-sync/protocol";

export default defineTemplates({
  schema: ["CREATE NODE TABLE Counter(id STRING, value INT64, PRIMARY KEY(id))", "CREATE NODE TABLE Item(id STRING, PRIMARY KEY(id))"],
  templates: {
    BUMP: {
      params: { id: z.string(), by: z.int().min(1).max(10) },
      cypher: "MERGE (c:Counter {id: $id}) ON CREATE SET c.value = $by ON MATCH SET c.value = c.value + $by",
      batch: { cypher: "UNWIND $rows AS r WITH r, r.id AS k MERGE (c:Counter {id: k}) ON CREATE SET c.value = r.by ON MATCH SET c.value = r.by", keys: ["id"] },
    },
    ADD_ITEM: {
      params: { id: z.string() },
      cypher: "MERGE (:Item {id: $id})",
      batch: { cypher: "UNWIND $rows AS r CREATE (:Item {id: r.id})", keys: ["id"] },
    },
    TAG_ITEM: { params: { id: z.string(), tag: z.string() }, cypher: "MATCH (i:Item {id: $id}) MERGE (:Tag {name: $tag})" },
  },
});
