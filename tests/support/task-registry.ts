/**
 * A task-tracker registry (for `--templates` and the batching property tests): projects, tasks,
 * people, dependency edges, assignment, completion, deletion. It exercises what the example
 * registry does not: a one-per-endpoint relationship (ASSIGNED is MANY_ONE, so assigning an
 * assigned task fails), a counter on a shared project node, a whole-table write (completing a
 * task updates its project, found through the task) and a variable-length path (a barrier).
 * @module
 */
import { defineTemplates } from "@kuzu-sync/protocol";
import { z } from "zod";

const id = z.string().min(1).max(64);

export default defineTemplates({
  schema: [
    "CREATE NODE TABLE Project(id STRING, name STRING, open INT64, PRIMARY KEY(id))",
    "CREATE NODE TABLE Task(id STRING, projectId STRING, title STRING, status STRING, points INT64, PRIMARY KEY(id))",
    "CREATE NODE TABLE Person(id STRING, name STRING, PRIMARY KEY(id))",
    "CREATE REL TABLE IN_PROJECT(FROM Task TO Project, MANY_ONE)",
    "CREATE REL TABLE DEPENDS_ON(FROM Task TO Task)",
    "CREATE REL TABLE ASSIGNED(FROM Task TO Person, MANY_ONE)",
  ],
  templates: {
    CREATE_PROJECT: {
      params: { id, name: z.string().max(200) },
      cypher: "MERGE (p:Project {id: $id}) ON CREATE SET p.name = $name, p.open = 0 ON MATCH SET p.name = $name",
      batch: {
        cypher: "UNWIND $rows AS r WITH r, r.id AS k MERGE (p:Project {id: k}) ON CREATE SET p.name = r.name, p.open = 0 ON MATCH SET p.name = r.name",
        keys: ["id"],
      },
    },
    ADD_PERSON: {
      params: { id, name: z.string().max(200) },
      cypher: "MERGE (p:Person {id: $id}) SET p.name = $name",
      batch: { cypher: "UNWIND $rows AS r WITH r, r.id AS k MERGE (p:Person {id: k}) SET p.name = r.name", keys: ["id"] },
    },
    CREATE_TASK: {
      description: "A task in an existing project (nothing otherwise); fails when the id is taken",
      params: { id, projectId: id, title: z.string().max(200), points: z.int().min(0).max(100).default(1) },
      cypher:
        "MATCH (p:Project {id: $projectId}) " +
        "CREATE (t:Task {id: $id, projectId: $projectId, title: $title, status: 'open', points: $points})-[:IN_PROJECT]->(p) " +
        "SET p.open = p.open + 1",
      batch: {
        cypher:
          "UNWIND $rows AS r WITH r, r.projectId AS k MATCH (p:Project {id: k}) " +
          "CREATE (t:Task {id: r.id, projectId: r.projectId, title: r.title, status: 'open', points: r.points})-[:IN_PROJECT]->(p) " +
          "SET p.open = p.open + 1",
        keys: ["id"],
      },
    },
    ADD_DEPENDENCY: {
      params: { taskId: id, dependsOn: id },
      cypher: "MATCH (a:Task {id: $taskId}), (b:Task {id: $dependsOn}) MERGE (a)-[:DEPENDS_ON]->(b)",
      batch: {
        cypher:
          "UNWIND $rows AS r WITH r.taskId AS a, r.dependsOn AS b MATCH (x:Task) WHERE x.id = a " +
          "WITH x, b MATCH (y:Task) WHERE y.id = b MERGE (x)-[:DEPENDS_ON]->(y)",
        keys: ["taskId", "dependsOn"],
      },
    },
    REMOVE_DEPENDENCY: {
      params: { taskId: id, dependsOn: id },
      cypher: "MATCH (a:Task {id: $taskId})-[d:DEPENDS_ON]->(b:Task {id: $dependsOn}) DELETE d",
      batch: {
        cypher: "UNWIND $rows AS r WITH r.taskId AS a, r.dependsOn AS b MATCH (x:Task {id: a})-[d:DEPENDS_ON]->(y:Task) WHERE y.id = b DELETE d",
        keys: ["taskId", "dependsOn"],
      },
    },
    ASSIGN_TASK: {
      description: "Assign a task to a person; fails when the task is already assigned (ASSIGNED is MANY_ONE)",
      params: { taskId: id, personId: id },
      cypher: "MATCH (t:Task {id: $taskId}), (p:Person {id: $personId}) CREATE (t)-[:ASSIGNED]->(p)",
      batch: {
        cypher:
          "UNWIND $rows AS r WITH r.taskId AS a, r.personId AS b MATCH (t:Task) WHERE t.id = a " +
          "WITH t, b MATCH (p:Person) WHERE p.id = b CREATE (t)-[:ASSIGNED]->(p)",
        keys: ["taskId"],
      },
    },
    UNASSIGN_TASK: {
      params: { taskId: id },
      cypher: "MATCH (t:Task {id: $taskId})-[a:ASSIGNED]->(:Person) DELETE a",
      batch: { cypher: "UNWIND $rows AS r WITH r.taskId AS k MATCH (t:Task {id: k})-[a:ASSIGNED]->(:Person) DELETE a", keys: ["taskId"] },
    },
    COMPLETE_TASK: {
      description: "Mark an open task done and count it off its project (found through the task)",
      params: { id },
      cypher: "MATCH (t:Task {id: $id})-[:IN_PROJECT]->(p:Project) WHERE t.status = 'open' SET t.status = 'done', p.open = p.open - 1",
    },
    DELETE_TASK: {
      params: { id },
      cypher: "MATCH (t:Task {id: $id}) DETACH DELETE t",
      batch: { cypher: "UNWIND $rows AS r WITH r.id AS k MATCH (t:Task {id: k}) DETACH DELETE t", keys: ["id"] },
    },
    BUMP_BLOCKERS: {
      description: "Add a point to every task this one depends on, up to three hops (a variable-length path: a barrier)",
      params: { id },
      cypher: "MATCH (t:Task {id: $id})-[:DEPENDS_ON*1..3]->(d:Task) SET d.points = d.points + 1",
    },
  },
});

/** Path to pass as `--templates`. */
export const TASK_TEMPLATES_PATH = import.meta.path;
