# One image for every role: ROLE=api | worker | all (see docker-compose.yml). Pinned to the Node the repository
# pins (package.json devDependencies.node).
FROM node:24.21.0-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts
COPY src ./src
COPY projections ./projections
COPY scripts ./scripts
COPY schema.graphql ./
# Data (the embedded store, the saved API key) lives in /data, owned by the unprivileged user the server runs as.
RUN mkdir -p /data && chown node:node /data
USER node
ENV NODE_ENV=production PORT=4000 DATA_DIR=/data
EXPOSE 4000
# /health answers 200 while the projections run (503 once they stopped): an orchestrator restarts the container.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||4000)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# A small young generation: more, shorter scavenges (~1 ms instead of ~4 ms), so request latency has no GC tail.
CMD ["node", "--max-semi-space-size=8", "src/main.ts"]
