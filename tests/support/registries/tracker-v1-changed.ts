/** Version 1 with a template added but the version not raised: a gateway must refuse it. */
import { defineTemplates, z } from "@kuzu-sync/protocol";
import { schema, templates } from "./tracker-v1.ts";

export default defineTemplates({
  schema,
  templates: { ...templates, REOPEN_TASK: { params: { id: z.string().min(1).max(64) }, cypher: "MATCH (t:Task {id: $id}) SET t.status = 'open'" } },
});
