# syntax=docker/dockerfile:1
# kuzu-sync: one image for the gateway (sync-server), the archiver (sync-archiver) and the CLI
# (sync-client). Debian-based Bun image: kuzu's native addon needs glibc.
#   docker build -t kuzu-sync .
#   docker run --rm -p 8080:8080 -v kuzu-data:/data kuzu-sync            # sync-server
#   docker run --rm kuzu-sync sync-archiver run --older-than 30d          # with S3_* / DATA_DIR
#   docker run --rm -it kuzu-sync sync-client --url ws://host:8080 repl
#   docker run --rm -p 8080:8080 -v kuzu-data:/data -v "$PWD/registry:/registry:ro" \
#     -e TEMPLATES_PATH=/registry/registry.ts kuzu-sync                    # your own registry
#   (see docs/REGISTRY.md: a mounted registry may import @kuzu-sync/protocol and zod)

# --- dependencies: production only, exactly the lockfile ---
FROM oven/bun:1.4.5-slim AS deps
WORKDIR /app
COPY package.json bun.lock bunfig.toml ./
# Every workspace package.json: the lockfile covers the whole workspace.
COPY packages/protocol/package.json packages/protocol/
COPY packages/telemetry/package.json packages/telemetry/
COPY packages/log/package.json packages/log/
COPY packages/replica/package.json packages/replica/
COPY packages/sync-server/package.json packages/sync-server/
COPY packages/client/package.json packages/client/
COPY packages/archiver/package.json packages/archiver/
# kuzu's install script (trustedDependencies) puts the right prebuilt addon at kuzujs.node; the
# sources and the other platforms' prebuilts (~500 MB) are not needed at run time.
RUN bun install --frozen-lockfile --production \
 && rm -rf node_modules/.bun/kuzu@*/node_modules/kuzu/kuzu-source node_modules/.bun/kuzu@*/node_modules/kuzu/prebuilt

# --- runtime ---
FROM oven/bun:1.4.5-slim
WORKDIR /app
ENV NODE_ENV=production
# Isolated installs: root node_modules/.bun holds the packages, and each workspace package has its
# own node_modules of relative symlinks into it; both trees are copied, symlinks kept.
COPY --from=deps /app/node_modules ./node_modules
COPY --from=deps /app/packages ./packages
COPY package.json bun.lock bunfig.toml tsconfig.json ./
COPY packages ./packages
COPY deploy ./deploy
# A registry mounted anywhere (TEMPLATES_PATH=/registry/registry.ts) resolves its imports by walking
# up to /node_modules: the app's own, where the root package.json puts @kuzu-sync/protocol and zod
# (the same copies the gateway uses, so defineTemplates() builds the registry class it expects).
RUN ln -s /app/node_modules /node_modules \
 && bun deploy/install-bins.ts /usr/local/bin /app \
 # kuzu's native binary loads and answers a query (fails the build otherwise).
 && cd packages/replica \
 && bun -e "const k = require('kuzu'); const db = new k.Database(':memory:'); const c = new k.Connection(db); const r = await c.query('RETURN 1 AS x'); const rows = await r.getAll(); r.close(); await c.close(); await db.close(); if (rows[0]?.x !== 1) throw new Error('kuzu answered ' + JSON.stringify(rows))" \
 && cd /app \
 && sync-server --help >/dev/null && sync-archiver --help >/dev/null && sync-client --help >/dev/null \
 # A registry outside /app resolves @kuzu-sync/protocol and zod (fails the build otherwise).
 && mkdir -p /tmp/registry-probe && cp deploy/registry-probe.ts /tmp/registry-probe/registry.ts \
 && sync-server check --templates /tmp/registry-probe/registry.ts --runs 1 >/dev/null \
 && rm -rf /tmp/registry-probe \
 && mkdir -p /data && chown bun:bun /data
USER bun
ENV DATA_DIR=/data
VOLUME ["/data"]
EXPOSE 8080
CMD ["sync-server"]
