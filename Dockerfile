# syntax=docker/dockerfile:1
# The FunLess image: one image for the Core and the Worker, both started by the `fl` command
# (`fl core`, `fl worker`). See docs/deployment.md, "The image".
#
#   docker buildx build --platform linux/amd64,linux/arm64 -t registry.example/funless:0.1.0 --push .
#
# The Node.js major version is a build argument; the repository is tested on the one in
# package.json's engines (20.19 and later).
ARG NODE_VERSION=20

# ---- build: compile the TypeScript, then keep only what runs ----
FROM node:${NODE_VERSION}-bookworm-slim AS build
# better-sqlite3 is a native addon: npm takes a prebuilt binary when one exists for the platform and
# compiles it with these tools otherwise (e.g. under emulation for another architecture).
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json tsconfig.json tsconfig.base.json ./
COPY types ./types
COPY packages ./packages
RUN npm ci --no-audit --no-fund
RUN npm run build
# Production dependencies only (no compilers for guest code: `fl fn build` is a developer's tool),
# and no tests or TypeScript sources.
RUN npm prune --omit=dev --omit=optional --no-audit --no-fund \
  && rm -rf packages/*/test packages/*/src packages/*/dist/test packages/*/dist/.tsbuildinfo

# ---- runtime: Node.js and the built tree, as an unprivileged user ----
FROM node:${NODE_VERSION}-bookworm-slim
ENV NODE_ENV=production \
  FL_HOST=0.0.0.0 \
  FL_DATA_DIR=/var/lib/funless \
  FL_LOG_FORMAT=json
WORKDIR /app
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/packages ./packages
# The data directory (SQLite, tokens file, code cache) belongs to the image's `node` user (1000); on
# Kubernetes or with a read-only root file system, mount a volume there.
RUN mkdir -p /var/lib/funless && chown 1000:1000 /var/lib/funless && chmod 0700 /var/lib/funless
USER 1000:1000
EXPOSE 4000
# fl.js execs Node with the flags the platform runs with, so Node is the container's process 1 and
# receives SIGTERM itself (a graceful stop: docs/configuration.md, "Shutdown").
ENTRYPOINT ["/app/packages/cli/bin/fl.js"]
CMD ["core"]
