/** Version 2 whose schema adds a column but whose migrate does not: a gateway must refuse it. */
import { defineTemplates } from "@kuzu-sync/protocol";
import { schema, templates } from "./tracker-v2.ts";

export default defineTemplates({ version: 2, schema, migrate: [], templates });
