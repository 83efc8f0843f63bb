# The production image: Node 24 LTS, the compiled app (`node dist/server.js`), production
# dependencies only, a non-root user. Sandbox mode unless the environment holds Cronofy credentials
# (see README "Docker").

# 1. Build: every dependency, then `npm run build` (tsc, src/ -> dist/).
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
RUN npm run build

# 2. Run: production dependencies, dist/ beside the app's views/ and public/ (dist/app.js finds
#    them at ../views and ../public). node is PID 1 and handles SIGTERM itself (src/server.ts).
FROM node:24-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY views ./views
COPY public ./public
USER node
EXPOSE 3000 3001
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/server.js"]
