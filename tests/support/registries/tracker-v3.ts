/**
 * The task tracker at version 3: status 'open' is renamed 'todo' (ADD_TASK's Cypher changes and a
 * data step renames the existing ones), and DELETE_TASK is removed. See tracker-v1.ts.
 */
import { defineTemplates } from "@kuzu-sync/protocol";
import { schema, templates as v2 } from "./tracker-v2.ts";

const { DELETE_TASK: _removed, ...kept } = v2;

export const templates = {
  ...kept,
  ADD_TASK: { ...v2.ADD_TASK, cypher: "MERGE (t:Task {id: $id}) SET t.title = $title, t.status = 'todo'" },
};

export default defineTemplates({ version: 3, schema, migrate: ["MATCH (t:Task) WHERE t.status = 'open' SET t.status = 'todo'"], templates });
