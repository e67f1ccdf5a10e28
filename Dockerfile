# The image of every Triggers service and of the migrations Job: `node dist/services/run.js <service>|migrate`.

# Debian slim, not alpine: argon2 is a native addon linked against glibc.
FROM node:20-bookworm-slim AS base
WORKDIR /app
RUN chown 1000:1000 /app
ENV HOST=0.0.0.0

# argon2 0.45's prebuilt binary declares Node-API 10; Node 20 has 9 and crashes loading it. So the stages that
# install dependencies compile argon2, which needs a C++ toolchain the runtime image does without.
FROM base AS toolchain
RUN apt-get update \
  && apt-get install -y --no-install-recommends g++ make python3 \
  && rm -rf /var/lib/apt/lists/*
# The image's `node` user: builds and the services run without root.
USER 1000:1000

# Compiles the TypeScript to dist/. Tilt's dev image is this stage: it keeps the compiler, so that a live
# update can recompile inside the running container.
FROM toolchain AS build
# The lockfile before the sources, so that the dependency layer is rebuilt only when dependencies change.
# Install scripts are skipped, as on the project's machines, and argon2 is built on purpose.
COPY --chown=1000:1000 package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund \
  && npm rebuild argon2 --build-from-source
COPY --chown=1000:1000 tsconfig.json tsconfig.build.json ./
COPY --chown=1000:1000 gen ./gen
COPY --chown=1000:1000 tools ./tools
COPY --chown=1000:1000 services ./services
RUN npm run build
# Not for the build: for the gateway of Tilt's dev image, which runs from this stage and serves the reference.
COPY --chown=1000:1000 openapi ./openapi

FROM toolchain AS production-dependencies
COPY --chown=1000:1000 package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
  && npm rebuild argon2 --build-from-source

# What runs: production dependencies and compiled code only, owned by root so the process cannot change them.
FROM node:20-bookworm-slim AS runtime
WORKDIR /app
ENV HOST=0.0.0.0 NODE_ENV=production
COPY --from=production-dependencies /app/node_modules ./node_modules
# The services and the code generated from the contracts; not tools/, the launcher behind npm start.
COPY --from=build /app/dist/services ./dist/services
COPY --from=build /app/dist/gen ./dist/gen
# The reference the gateway serves at /docs: the OpenAPI document, and the one file of Scalar (a dev dependency,
# 100 MB with its own) that renders it.
COPY openapi ./openapi
COPY --from=build /app/node_modules/@scalar/api-reference/dist/browser/standalone.js ./node_modules/@scalar/api-reference/dist/browser/
# package.json says "type": "module", which makes Node load dist/ as ES modules.
COPY package.json ./
USER 1000:1000
ENTRYPOINT ["node", "dist/services/run.js"]
