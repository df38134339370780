# syntax=docker/dockerfile:1
# Build stage: production dependencies only, installed from the lockfile.
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

# Runtime stage: the dependencies, the sources (run by tsx, no build step) and the migrations.
FROM node:20-bookworm-slim
ENV NODE_ENV=production PORT=8011
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY drizzle ./drizzle
COPY src ./src
COPY bin ./bin
USER node
EXPOSE 8011
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8011)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "bin/events-service.mjs", "serve"]
