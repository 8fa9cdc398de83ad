# syntax=docker/dockerfile:1
# Multi-stage build: compile TypeScript with dev dependencies, ship only the runtime ones, run as non-root.
FROM node:24-bookworm-slim AS build
# The native inflate (native/inflate: libdeflate, 1.7-2.2x node:zlib on real tiles) builds against the image's Node
# headers (/usr/local/include/node) with node-gyp, which needs python3, make, gcc and g++ (gyp links with it).
RUN apt-get update && apt-get install -y --no-install-recommends python3 make gcc g++ libc6-dev libdeflate-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm run build:inflate && npm prune --omit=dev

FROM node:24-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libdeflate0 && rm -rf /var/lib/apt/lists/*
# Configuration comes through CHANGEWATCH_* variables (see README "Configuration") or a mounted file given by
# CHANGEWATCH_CONFIG; S3 credentials through the standard AWS variables or an instance role.
ENV NODE_ENV=production \
    CHANGEWATCH_STORE_URL=file:///data/out \
    CHANGEWATCH_SCHEDULE_HEARTBEAT_FILE=/tmp/changewatch.heartbeat.json
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/native/inflate/build/Release/inflate.node ./native/inflate/build/Release/
COPY --from=build /app/aoi/*.geojson ./aoi/
COPY --from=build /app/reports/*.json ./reports/
RUN mkdir -p /data/out && chown node:node /data/out
VOLUME ["/data/out"]
USER node
# The scheduler touches its heartbeat every minute; three missed beats mean it is stuck or gone.
HEALTHCHECK --interval=1m --timeout=10s --start-period=30s --retries=3 \
  CMD ["node", "/app/dist/pipeline/main.js", "health", "--max-age", "180"]
# With the CLI's V8 flags (pipeline/node.flags.ts), as its shebang.
ENTRYPOINT ["node", "--max-semi-space-size=4", "/app/dist/pipeline/main.js"]
CMD ["schedule"]
