FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY tsconfig.json ./
COPY src ./src
COPY views ./views
COPY public ./public
USER node
EXPOSE 3000 3001
CMD ["npx", "tsx", "src/server.ts"]
