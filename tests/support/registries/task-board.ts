/**
 * A task tracker's registry, written as an application outside this repository would write it
 * (it imports only `@kuzu-sync/protocol`): projects, tasks in projects, DEPENDS_ON edges between
 * tasks, an aggregate counting tasks per project. tests/consumer.test.ts copies this file into a
 * project that installs the packed packages; tests/registry-check.test.ts checks it.
 * @module
 */
import { defineTemplates, z } from "@kuzu-sync/protocol";

const id = z.string().min(1).max(64);

export default defineTemplates({
  schema: [
    "CREATE NODE TABLE Project(id STRING, name STRING, PRIMARY KEY(id))",
    "CREATE NODE TABLE Task(id STRING, projectId STRING, title STRING, status STRING, estimate INT64, PRIMARY KEY(id))",
    "CREATE REL TABLE IN_PROJECT(FROM Task TO Project)",
    "CREATE REL TABLE DEPENDS_ON(FROM Task TO Task)",
  ],
  templates: {
    CREATE_PROJECT: {
      description: "Create a project, or rename an existing one",
      params: { id, name: z.string().max(200) },
      cypher: "MERGE (p:Project {id: $id}) SET p.name = $name",
      batch: { cypher: "UNWIND $rows AS r WITH r, r.id AS k MERGE (p:Project {id: k}) SET p.name = r.name", keys: ["id"] },
    },
    ADD_TASK: {
      description: "Create or overwrite a task (status open), linked to its project when the project exists",
      params: { id, projectId: id, title: z.string().max(500), estimate: z.int().min(0).max(1000).default(1) },
      cypher:
        "MERGE (t:Task {id: $id}) SET t.projectId = $projectId, t.title = $title, t.estimate = $estimate, t.status = 'open' " +
        "WITH t MATCH (p:Project {id: $projectId}) MERGE (t)-[:IN_PROJECT]->(p)",
      batch: {
        cypher:
          "UNWIND $rows AS r WITH r, r.id AS k MERGE (t:Task {id: k}) SET t.projectId = r.projectId, t.title = r.title, t.estimate = r.estimate, t.status = 'open' " +
          "WITH t, r, r.projectId AS pk MATCH (p:Project {id: pk}) MERGE (t)-[:IN_PROJECT]->(p)",
        keys: ["id"],
      },
    },
    SET_STATUS: {
      description: "Move a task to open, doing or done",
      params: { id, status: z.enum(["open", "doing", "done"]) },
      cypher: "MATCH (t:Task {id: $id}) SET t.status = $status",
      batch: { cypher: "UNWIND $rows AS r WITH r, r.id AS k MATCH (t:Task {id: k}) SET t.status = r.status", keys: ["id"] },
    },
    ADD_DEPENDENCY: {
      description: "taskId depends on dependsOn (both must exist)",
      params: { taskId: id, dependsOn: id },
      cypher: "MATCH (a:Task {id: $taskId}), (b:Task {id: $dependsOn}) MERGE (a)-[:DEPENDS_ON]->(b)",
      batch: {
        // Each end looked up on its own through a projected key (a join over both would scan), and
        // r kept in every WITH: Kuzu 0.11 cannot MERGE the edge once the row variable is dropped.
        cypher: "UNWIND $rows AS r WITH r, r.taskId AS ka MATCH (a:Task {id: ka}) WITH a, r, r.dependsOn AS kb MATCH (b:Task {id: kb}) MERGE (a)-[:DEPENDS_ON]->(b)",
        keys: ["taskId", "dependsOn"],
      },
    },
    REMOVE_DEPENDENCY: {
      description: "taskId no longer depends on dependsOn",
      params: { taskId: id, dependsOn: id },
      cypher: "MATCH (a:Task {id: $taskId})-[d:DEPENDS_ON]->(b:Task {id: $dependsOn}) DELETE d",
    },
    DELETE_TASK: {
      description: "Delete a task and its edges",
      params: { id },
      cypher: "MATCH (t:Task {id: $id}) DETACH DELETE t",
      batch: { cypher: "UNWIND $rows AS r WITH r.id AS k MATCH (t:Task {id: k}) DETACH DELETE t", keys: ["id"] },
    },
  },
  aggregates: {
    tasksByProject: {
      kind: "entityCount",
      description: "Number of existing tasks per projectId",
      set: { ADD_TASK: { id: "id", groupBy: "projectId" } },
      remove: { DELETE_TASK: { id: "id" } },
    },
  },
});
