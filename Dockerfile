# syntax=docker/dockerfile:1
# pktlens: one image for every service (`serve --target …`) and for `capture`.
#   docker build -t pktlens .
#   docker run --rm -p 127.0.0.1:5000:5000 pktlens                          everything in one process, embedded DB
#   docker run --rm -v "$PWD:/data:ro" pktlens decode /data/capture.pcap   any pktlens command
# The five-service stack with PostgreSQL: docker compose up --build (docker-compose.yml).

# ---- build: dependencies with dev tools, TypeScript and the web app ----------------------------------------------
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
COPY bin ./bin
COPY src ./src
COPY web ./web
# `npm ci` runs the root `prepare` script (tsc, and the web build once prepare includes it); the second line builds
# whatever prepare did not, so the image never ships without dist/ or web/dist/.
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
RUN (test -f dist/src/cli/main.js || npx tsc -p .) \
 && (test -f web/dist/index.html || npm run build --workspace web)

# ---- runtime: production dependencies, the build output, tcpdump for live capture ---------------------------------
FROM node:20-bookworm-slim AS runtime
# tcpdump with file capabilities, so live capture works as the unprivileged user; the container still needs
# NET_RAW and NET_ADMIN (compose: cap_add) — without NET_ADMIN in its bounding set the kernel refuses to run this
# tcpdump at all, which only matters to live capture (see capture-live in docker-compose.yml).
RUN apt-get update \
 && apt-get install -y --no-install-recommends tcpdump libcap2-bin \
 && setcap cap_net_raw,cap_net_admin=eip "$(command -v tcpdump)" \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production \
    PKTLENS_HOST=0.0.0.0 \
    PKTLENS_LOG_DIR=/app/logs \
    PKTLENS_DATA=/app/pktlens-data
# production dependencies only; --ignore-scripts: `prepare` (tsc) must not run here, dist/ comes from the build stage
COPY package.json package-lock.json ./
COPY web/package.json ./web/
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --ignore-scripts --no-audit --no-fund
COPY bin ./bin
COPY --from=build /app/dist ./dist
COPY --from=build /app/web/dist ./web/dist
COPY samples ./samples
# writable by the runtime user; a new named volume mounted here starts with this owner
RUN mkdir -p /app/logs /app/pktlens-data && chown node:node /app/logs /app/pktlens-data
USER node
EXPOSE 5000 5001 5002 5003
# Alive when any service of this container answers /healthz (which one depends on --target); compose overrides this
# per service with /readyz.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "const e=process.env;const ports=[e.PKTLENS_UI_PORT||5000,e.PKTLENS_PARSER_PORT||5001,e.PKTLENS_PERSISTOR_PORT||5002,e.PKTLENS_ANALYZER_PORT||5003];Promise.any(ports.map(p=>fetch('http://127.0.0.1:'+p+'/healthz',{signal:AbortSignal.timeout(4000)}).then(r=>{if(!r.ok)throw new Error(String(r.status))}))).then(()=>process.exit(0),()=>process.exit(1))"]
ENTRYPOINT ["node", "bin/pktlens.js"]
CMD ["serve", "--target", "all"]
