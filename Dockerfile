# llm-proxy: a hermetic build (everything from the npm registry and Debian's packages: better-sqlite3
# compiles from its registry sources against the base image's Node headers, never a prebuilt binary
# from GitHub), then a runtime stage on Node 24 LTS (slim) with production dependencies only, as a
# numeric non-root user. Config at /app/config.yaml (mount it read-only), state at /app/data.
#   docker build --build-arg VERSION=$(node -p 'require("./package.json").version') \
#     --build-arg REVISION=$(git rev-parse HEAD) -t llm-proxy .
ARG NODE_IMAGE=node:24-bookworm-slim

# Dependencies, dev included, built from source: python3, make and g++ for node-gyp, and nodedir at the
# headers the Node image ships (/usr/local/include/node), so node-gyp downloads nothing.
# build_from_source makes better-sqlite3's prebuild-install step aside without trying GitHub.
# Cached until package.json or package-lock.json changes.
FROM ${NODE_IMAGE} AS deps
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
ENV npm_config_nodedir=/usr/local \
    npm_config_build_from_source=true \
    npm_config_update_notifier=false
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund \
 && node -e "new (require('better-sqlite3'))(':memory:').close()"

# TypeScript to dist/: the only layer a source change rebuilds.
FROM deps AS build
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# Production dependencies: the same compiled node_modules with dev dependencies pruned (no second
# native build, and cached with the deps stage).
FROM deps AS prod-deps
RUN npm prune --omit=dev --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
ARG VERSION=0.0.0-dev
ARG REVISION=unknown
ARG SOURCE=https://github.com/llm-proxy/llm-proxy
LABEL org.opencontainers.image.title="llm-proxy" \
      org.opencontainers.image.description="OpenAI-compatible LLM gateway: routing, fallback, streaming, translation to native provider APIs" \
      org.opencontainers.image.licenses="UNLICENSED" \
      org.opencontainers.image.vendor="llm-proxy" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.version="${VERSION}"
ENV NODE_ENV=production \
    MALLOC_TRIM_THRESHOLD_=131072 \
    PROXY_API_CONFIG_FILE=/app/config.yaml \
    PROXY_API_DATA_DIR=/app/data \
    PROXY_API_HOST=0.0.0.0 \
    PROXY_API_PORT=8000 \
    npm_config_cache=/tmp/.npm \
    npm_config_update_notifier=false
WORKDIR /app
COPY --from=prod-deps /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./package.json
COPY config.yaml ./config.yaml
# `npm run migrate` in the image runs the compiled CLI (the source tree's script needs tsx, a dev
# dependency); the state folder belongs to the numeric user.
RUN npm pkg set scripts.migrate="node dist/db/migrate-cli.js" \
 && mkdir -p /app/data && chown 10001:10001 /app/data
USER 10001:10001
# No VOLUME: with PostgreSQL (any fleet) /app/data holds nothing that must outlive the container, and
# an anonymous volume per `docker run` would leave orphans; mount one at /app/data for SQLite.
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PROXY_API_PORT||8000)+'/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# node is PID 1 (no npm, no shell), so SIGTERM reaches the server and it drains.
CMD ["node", "--max-semi-space-size=8", "--heap-growing-percent=25", "--single-threaded-gc", "dist/main.js"]
