# syntax=docker/dockerfile:1
# The FunLess image: one image for the Core and the Worker, both started by the `fl` command
# (`fl core`, `fl worker`). See docs/deployment.md, "The image".
#
#   docker buildx build --platform linux/amd64,linux/arm64 -t registry.example/funless:0.1.0 --push .
#
# The Node.js major version is a build argument; package.json's engines say which ones run it.
ARG NODE_VERSION=20

# ---- base: Node.js, and the tools to compile better-sqlite3 where npm has no prebuilt binary ----
FROM node:${NODE_VERSION}-bookworm-slim AS toolchain
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json ./
COPY packages/protocol/package.json packages/protocol/
COPY packages/testing/package.json packages/testing/
COPY packages/worker/package.json packages/worker/
COPY packages/core/package.json packages/core/
COPY packages/sdk-assemblyscript/package.json packages/sdk-assemblyscript/
COPY packages/cli/package.json packages/cli/

# ---- deps: what `fl` needs at run time, nothing else (no compilers for guest code, no tests) ----
FROM toolchain AS deps
# @yowasp/clang, the C toolchain of `fl fn build -l c` (optional for the CLI), stays in the tree as a
# dependency of the test workspace: removed by hand.
RUN npm ci --omit=dev --omit=optional --workspace=@funless/cli --no-audit --no-fund \
  && rm -rf node_modules/@yowasp

# ---- build: every dependency, then the TypeScript compiled ----
FROM toolchain AS build
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.base.json ./
COPY types ./types
COPY packages ./packages
RUN npm run build

# ---- runtime: Node.js, the production dependencies and the compiled code, as an unprivileged user ----
FROM node:${NODE_VERSION}-bookworm-slim
ENV FL_HOST=0.0.0.0 \
  FL_DATA_DIR=/var/lib/funless/data \
  FL_LOG_FORMAT=json
WORKDIR /app
COPY --from=deps /src/package.json ./
COPY --from=deps /src/node_modules ./node_modules
COPY --from=build /src/packages/protocol/package.json packages/protocol/
COPY --from=build /src/packages/protocol/dist/src packages/protocol/dist/src
COPY --from=build /src/packages/worker/package.json packages/worker/
COPY --from=build /src/packages/worker/dist/src packages/worker/dist/src
COPY --from=build /src/packages/core/package.json packages/core/
COPY --from=build /src/packages/core/dist/src packages/core/dist/src
COPY --from=build /src/packages/sdk-assemblyscript packages/sdk-assemblyscript
COPY --from=build /src/packages/cli/package.json packages/cli/
COPY --from=build /src/packages/cli/bin packages/cli/bin
COPY --from=build /src/packages/cli/dist/src packages/cli/dist/src
COPY --from=build /src/packages/cli/templates packages/cli/templates
# The data directory (SQLite, tokens file, code cache) belongs to the image's `node` user (1000);
# with a read-only root file system, mount a volume on /var/lib/funless.
RUN mkdir -p /var/lib/funless/data && chown -R 1000:1000 /var/lib/funless && chmod 0700 /var/lib/funless/data
USER 1000:1000
EXPOSE 4000
# fl.js execs Node with the flags the platform runs with, so Node is the container's process 1 and
# receives SIGTERM itself (a graceful stop: docs/configuration.md, "Shutdown").
ENTRYPOINT ["/app/packages/cli/bin/fl.js"]
CMD ["core"]
