/**
 * A registry with a template that can crash Kuzu 0.11 with the wrong parameters: `TRIM_NAME` calls
 * `substring(name, 1, $len)`, and a negative `len` makes Kuzu segfault the process that runs it
 * (docs/SECURITY.md lists the shape). A registry author's mistake, not an attack: it stands for any
 * event that crashes the engine on every replica, again on every replay — a poison event. Tests
 * use it to check that gateways and clients do not crash-loop on one (crash-guard.ts) and that
 * `sync-server quarantine` takes it out of service.
 * @module
 */
import { defineTemplates } from "@kuzu-sync/protocol";
import { z } from "zod";

const id = z.string().min(1).max(64);

export default defineTemplates({
  schema: ["CREATE NODE TABLE User(id STRING, name STRING, PRIMARY KEY(id))"],
  templates: {
    CREATE_USER: {
      params: { id, name: z.string().max(200) },
      cypher: "MERGE (u:User {id: $id}) SET u.name = $name",
      batch: { cypher: "UNWIND $rows AS r WITH r, r.id AS k MERGE (u:User {id: k}) SET u.name = r.name", keys: ["id"] },
    },
    TRIM_NAME: {
      description: "Keep the first len characters of a user's name (a negative len crashes Kuzu 0.11)",
      params: { id, len: z.int().min(-100).max(100) },
      cypher: "MATCH (u:User {id: $id}) SET u.name = substring(u.name, 1, $len)",
    },
  },
});
