# The e2e suites' small HTTP test image (on the proving ground the pod runner maps
# mdbcluster/test-http to the same script as a local process).
FROM node:24-bookworm-slim
COPY e2e/local/images/test-http/server.mjs /app/server.mjs
USER 1000:1000
ENTRYPOINT ["node", "/app/server.mjs"]
