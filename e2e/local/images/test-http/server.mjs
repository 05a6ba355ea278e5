// mdbcluster/test-http: answers every request with its pod name (HOSTNAME), on $PORT or 8080.
import { createServer } from "node:http"; createServer((_req, res) => res.end(`${process.env.POD_NAME ?? process.env.HOSTNAME}\n`)).listen(Number(process.env.PORT ?? 8080), () => console.log(`test-http listening on ${process.env.PORT ?? 8080}`));
