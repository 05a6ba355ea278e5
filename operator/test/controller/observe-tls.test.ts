import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { V1Secret } from "@kubernetes/client-node";
import { observeTls } from "../../src/controller/observe-tls.ts";
import { createCa, issueLeaf } from "../../src/executor/pki.ts";
import { buildCaSecret, CA_SECRET_KEYS } from "../../src/resources/tls-secrets.ts";
import { makeCluster } from "./fixtures.ts";

const DAY = 86_400_000;

describe("observeTls: the CA Secret", () => {
  test("is parsed once per object: the same Secret gives the same judgement, a changed one (a new object, as the informer gives) is judged again", async () => {
    const cluster = makeCluster({ shards: 1, replicasPerShard: 0 });
    const ca = await createCa("demo", 0, 365 * DAY);
    const client = await issueLeaf(ca, { commonName: "operator", usage: "client", nowMs: 0, validityMs: 30 * DAY });
    const secret = buildCaSecret(cluster, ca, client);

    const first = observeTls({ caSecret: secret }, []);
    const again = observeTls({ caSecret: secret }, []);
    assert.equal(first.ca?.ok, true);
    assert.equal(first.client?.ok, true);
    assert.equal(again.ca, first.ca, "the same object: not parsed again");
    assert.equal(again.client, first.client);
    assert.equal(again.trustPem, first.trustPem);

    // The informer replaces an object that changed: here its client key is another key.
    const other = await issueLeaf(ca, { commonName: "operator", usage: "client", nowMs: 0, validityMs: 30 * DAY });
    const changed: V1Secret = { ...secret, data: { ...secret.data, [CA_SECRET_KEYS.clientKey]: Buffer.from(other.keyPem).toString("base64") } };
    const judged = observeTls({ caSecret: changed }, []);
    assert.equal(judged.ca?.ok, true);
    assert.deepEqual(judged.client, { ok: false, problem: `${CA_SECRET_KEYS.clientKey} is not the key of ${CA_SECRET_KEYS.clientCert}` });
    assert.equal(observeTls({ caSecret: secret }, []).client, first.client, "the first object's judgement is still its own");
  });
});
