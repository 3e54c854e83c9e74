/**
 * The registry examples/live_tasks.ts runs against: tasks with a title and a status.
 *
 *   bun run server -- --templates examples/live_tasks_registry.ts
 * @module
 */
import { defineTemplates, z } from "@kuzu-sync/protocol";

const id = z.string().min(1).max(64);

export default defineTemplates({
  schema: ["CREATE NODE TABLE Task(id STRING, title STRING, status STRING, PRIMARY KEY(id))"],
  templates: {
    ADD_TASK: {
      description: "Create an open task; fails when the id is taken",
      params: { id, title: z.string().max(200) },
      cypher: "CREATE (t:Task {id: $id, title: $title, status: 'open'})",
    },
    SET_STATUS: {
      description: "Move a task to open, doing or done (any other status is refused)",
      params: { id, status: z.enum(["open", "doing", "done"]) },
      cypher: "MATCH (t:Task {id: $id}) SET t.status = $status",
    },
  },
});
