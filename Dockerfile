# One image for every tier; the compose files pick the entry point.
# BASE_IMAGE is the official Node.js image; a machine that reaches no image registry builds a
# stand-in with scripts/build-base-image.sh and passes it (--build-arg BASE_IMAGE=...).
ARG BASE_IMAGE=node:20-bookworm-slim
FROM ${BASE_IMAGE} AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/* \
  && npm install -g pnpm@10
# CI: pnpm drops the dev dependencies without asking for a terminal (`pnpm prune` empties the
# workspace packages' links). The lockfile alone fills the store, so a code
# change rebuilds from here without downloading again.
ENV CI=true
COPY pnpm-lock.yaml pnpm-workspace.yaml ./
RUN pnpm fetch
COPY . .
RUN pnpm install --offline --frozen-lockfile && pnpm build \
  && pnpm install --offline --frozen-lockfile --prod

FROM ${BASE_IMAGE}
WORKDIR /app
COPY --from=build /app /app
ENV NODE_ENV=production
CMD ["node", "packages/root/dist/main.js"]
