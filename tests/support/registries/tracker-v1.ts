/**
 * A task tracker's registry at version 1 — the first of three versions tests/registry-versions
 * runs a deployment through (v2 adds a column with a default and a template, v3 changes a
 * template's Cypher, migrates data and removes a template).
 * @module
 */
import { defineTemplates, z } from "@kuzu-sync/protocol";

const id = z.string().min(1).max(64);

export const schema = [
  "CREATE NODE TABLE Task(id STRING, title STRING, status STRING, PRIMARY KEY(id))",
  "CREATE REL TABLE DEPENDS_ON(FROM Task TO Task)",
];

export const templates = {
  ADD_TASK: {
    description: "Create or overwrite a task (status open)",
    params: { id, title: z.string().max(200) },
    cypher: "MERGE (t:Task {id: $id}) SET t.title = $title, t.status = 'open'",
  },
  COMPLETE_TASK: {
    params: { id },
    cypher: "MATCH (t:Task {id: $id}) SET t.status = 'done'",
  },
  DELETE_TASK: {
    params: { id },
    cypher: "MATCH (t:Task {id: $id}) DETACH DELETE t",
  },
  ADD_DEPENDENCY: {
    params: { taskId: id, dependsOn: id },
    cypher: "MATCH (a:Task {id: $taskId}), (b:Task {id: $dependsOn}) MERGE (a)-[:DEPENDS_ON]->(b)",
  },
};

export default defineTemplates({ schema, templates });
