/** bench/registry-upgrade.ts: the registry at version 1 (items with a batch form). */
import { defineTemplates, z } from "@kuzu-sync/protocol";

export const templates = {
  PUT_ITEM: {
    params: { id: z.string().min(1).max(64), name: z.string().max(200) },
    cypher: "MERGE (i:Item {id: $id}) SET i.name = $name",
    batch: { cypher: "UNWIND $rows AS r WITH r, r.id AS k MERGE (i:Item {id: k}) SET i.name = r.name", keys: ["id"] },
  },
};

export default defineTemplates({ schema: ["CREATE NODE TABLE Item(id STRING, name STRING, PRIMARY KEY(id))"], templates });
