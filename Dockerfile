# syntax=docker/dockerfile:1
# Build stage: every dependency from the lockfile; `npm ci` patches postgres.js, compiles the
# package and copies the browser files it serves into vendor/ (prepare).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY patches ./patches
COPY scripts ./scripts
COPY src ./src
RUN npm ci --no-audit --no-fund

# Production dependencies only: no install scripts (prepare would need the compiler), no
# embedded PostgreSQL (the image runs against DATABASE_URL).
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund

# Runtime: what the npm package ships (package.json "files": the compiled JavaScript, the
# migrations, the admin console's files, the vendored browser files) and the production dependencies.
FROM node:20-bookworm-slim
ENV NODE_ENV=production PORT=8011
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
# postgres.js as patched by the build stage (patches/: a deferred write after a close).
COPY --from=build /app/node_modules/postgres ./node_modules/postgres
COPY --from=build /app/dist ./dist
COPY --from=build /app/vendor ./vendor
COPY package.json ./
COPY drizzle ./drizzle
COPY console ./console
COPY patches ./patches
# The archive's default directory (ARCHIVE_URL=./.data/archive), writable by the user the
# service runs as; mount a volume there (docker-compose.yml) or set ARCHIVE_URL to s3://.
RUN mkdir -p .data/archive && chown -R node:node .data
VOLUME ["/app/.data/archive"]
USER node
EXPOSE 8011
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8011)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "dist/main.js", "serve"]
