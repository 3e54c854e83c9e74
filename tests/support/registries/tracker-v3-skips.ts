/** Version 3 started on a log at version 1 (version 2 never started): refused. */
import { defineTemplates } from "@kuzu-sync/protocol";
import { schema, templates } from "./tracker-v1.ts";

export default defineTemplates({ version: 3, schema, migrate: [], templates });
