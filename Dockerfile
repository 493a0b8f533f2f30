# syntax=docker/dockerfile:1
# Multi-stage build: compile TypeScript and the knowledge (CQL -> ELM) in a build stage, ship only the
# runtime dependencies, the compiled code and the built knowledge, and run as a non-root user.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY scripts ./scripts
COPY bench ./bench
COPY knowledge ./knowledge
COPY cds-hooks ./cds-hooks
COPY console ./console
RUN npx tsc -p tsconfig.json && node dist/src/cli/loopcds.js knowledge build && npm run build:console

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production TZ=UTC PORT=3000
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY --from=build /app/knowledge ./knowledge
COPY --from=build /app/cds-hooks ./cds-hooks
COPY fixtures ./fixtures
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "dist/src/cli/loopcds.js", "serve"]
