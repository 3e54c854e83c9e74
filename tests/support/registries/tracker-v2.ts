/** The task tracker at version 2: tasks get a priority (default 0) and SET_PRIORITY. See tracker-v1.ts. */
import { defineTemplates, z } from "@kuzu-sync/protocol";
import { templates as v1 } from "./tracker-v1.ts";

export const schema = [
  "CREATE NODE TABLE Task(id STRING, title STRING, status STRING, priority INT64 DEFAULT 0, PRIMARY KEY(id))",
  "CREATE REL TABLE DEPENDS_ON(FROM Task TO Task)",
];

export const templates = {
  ...v1,
  SET_PRIORITY: {
    params: { id: z.string().min(1).max(64), priority: z.int().min(0).max(9) },
    cypher: "MATCH (t:Task {id: $id}) SET t.priority = $priority",
  },
};

export default defineTemplates({ version: 2, schema, migrate: ["ALTER TABLE Task ADD priority INT64 DEFAULT 0"], templates });
