# The e2e suites' in-cluster API test image (lists its namespace's pods with in-cluster config);
# on the proving ground the pod runner maps mdbcluster/test-incluster to the same source.
FROM node:24-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm install --no-save --ignore-scripts tsx
COPY e2e/local/images/test-incluster/main.ts ./main.ts
USER 1000:1000
ENTRYPOINT ["node", "--import", "tsx", "/app/main.ts"]
