/**
 * The image's self-test of a mounted registry: the Dockerfile copies this file outside /app and
 * runs `sync-server check` on it, so an image in which a registry mounted at /registry cannot
 * resolve `@kuzu-sync/protocol` or `zod` fails to build. tests/docker-layout.test.ts does the same
 * on the image's layout rebuilt in a temp dir.
 * @module
 */
import { defineTemplates, z } from "@kuzu-sync/protocol";
import { z as zod } from "zod";

export default defineTemplates({
  schema: ["CREATE NODE TABLE Probe(id STRING, n INT64, PRIMARY KEY(id))"],
  templates: {
    // Parameters from both imports: registries written before protocol re-exported z use zod.
    PROBE: { params: { id: z.string().min(1), n: zod.int().min(0).max(9) }, cypher: "MERGE (p:Probe {id: $id}) SET p.n = $n" },
  },
});
