/** Version 2 that drops the dependency table while ADD_DEPENDENCY still writes it: refused. */
import { defineTemplates } from "@kuzu-sync/protocol";
import { templates } from "./tracker-v1.ts";

export default defineTemplates({
  version: 2,
  schema: ["CREATE NODE TABLE Task(id STRING, title STRING, status STRING, PRIMARY KEY(id))"],
  migrate: ["DROP TABLE DEPENDS_ON"],
  templates,
});
