# syntax=docker/dockerfile:1
# llm-proxy: build stage compiles TypeScript; runtime stage runs dist/ on Node 20 (slim) with
# production dependencies only, as a numeric non-root user. Config at /app/config.yaml (mount it
# read-only), state at /app/data (a volume). Build: docker build -t llm-proxy .
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
LABEL org.opencontainers.image.title="llm-proxy" \
      org.opencontainers.image.description="OpenAI-compatible LLM gateway: routing, fallback, streaming, translation to native provider APIs" \
      org.opencontainers.image.licenses="UNLICENSED" \
      org.opencontainers.image.vendor="llm-proxy"
ENV NODE_ENV=production \
    MALLOC_TRIM_THRESHOLD_=131072 \
    PROXY_API_CONFIG_FILE=/app/config.yaml \
    PROXY_API_DATA_DIR=/app/data \
    PROXY_API_HOST=0.0.0.0 \
    PROXY_API_PORT=8000
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./package.json
COPY config.yaml ./config.yaml
RUN mkdir -p /app/data && chown 10001:10001 /app/data
USER 10001:10001
VOLUME ["/app/data"]
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PROXY_API_PORT||8000)+'/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# node is PID 1 (no npm, no shell), so SIGTERM reaches the server and it drains.
CMD ["node", "--max-semi-space-size=8", "--heap-growing-percent=25", "dist/main.js"]
