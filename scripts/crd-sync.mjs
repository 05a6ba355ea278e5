#!/usr/bin/env node
// `npm run crd:sync`: the chart ships the CRD unchanged; copy the source of truth (crds/mdbcluster.yaml)
// into charts/mdb-operator/crds/. A unit test fails while the two differ.
import { copyFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const from = fileURLToPath(new URL("../crds/mdbcluster.yaml", import.meta.url));
const to = fileURLToPath(new URL("../charts/mdb-operator/crds/mdbcluster.yaml", import.meta.url));
copyFileSync(from, to);
console.log(`copied ${from} → ${to}`);
