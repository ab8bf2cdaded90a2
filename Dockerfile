# psa-sync worker and API (one image, two commands). Built for docker-compose.yml.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npx tsc -p tsconfig.build.json --outDir dist

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY --from=build /app/dist ./dist
# Workflows are bundled from source at worker start.
COPY --from=build /app/workflows ./workflows
USER node
# A worker's process settings (infra/cluster/topology.ts `workerProcess`; a unit test keeps these equal).
ENV MALLOC_ARENA_MAX=2
CMD ["node", "--max-semi-space-size=2", "--max-old-space-size=192", "dist/worker/main.js"]
