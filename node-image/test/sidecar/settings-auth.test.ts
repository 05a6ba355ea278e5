import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { parseSidecarSettings } from "../../src/sidecar/settings.ts";
import { checkBearer, secretsEqual } from "../../src/sidecar/auth.ts";
import { SettingsError } from "../../src/sidecar/engine-config.ts";

const token = "t".repeat(40);
const files: Record<string, string> = { "/s/password": "engine-password-0123456789\n", "/s/token": `${token}\n`, "/s/ca": "CA", "/s/cert": "CERT", "/s/key": "KEY" };
const readFile = (p: string) => {
  if (!(p in files)) throw Object.assign(new Error("no such file"), { code: "ENOENT" });
  return Buffer.from(files[p]);
};
const env = { MDB_POD_IP: "10.0.0.7", MDB_PASSWORD_FILE: "/s/password", MDB_SIDECAR_TOKEN_FILE: "/s/token" };

describe("parseSidecarSettings", () => {
  test("listens on the pod IP and loopback", () => assert.deepEqual(parseSidecarSettings(env, readFile).listenHosts, ["10.0.0.7", "127.0.0.1"]));
  test("a loopback pod IP (local runs) listens only on itself", () => assert.deepEqual(parseSidecarSettings({ ...env, MDB_POD_IP: "127.0.3.1" }, readFile).listenHosts, ["127.0.3.1"]));
  test("reads the token and password without trailing newlines", () => {
    const s = parseSidecarSettings(env, readFile);
    assert.equal(s.auth.bearerToken, token);
    assert.equal(s.enginePassword, "engine-password-0123456789");
  });
  test("mTLS files are read together", () => {
    const s = parseSidecarSettings({ ...env, MDB_TLS_CA_FILE: "/s/ca", MDB_TLS_CERT_FILE: "/s/cert", MDB_TLS_KEY_FILE: "/s/key" }, readFile);
    assert.equal(s.auth.tls?.caPem.toString(), "CA");
  });
  const refusals: [string, Record<string, string | undefined>, string, RegExp][] = [
    ["no authentication configured", { MDB_SIDECAR_TOKEN_FILE: undefined }, "MDB_SIDECAR_TOKEN_FILE", /must be authenticated/],
    ["half the mTLS files", { MDB_TLS_CA_FILE: "/s/ca" }, "MDB_TLS_CERT_FILE", /missing MDB_TLS_CERT_FILE, MDB_TLS_KEY_FILE/],
    ["unreadable token file", { MDB_SIDECAR_TOKEN_FILE: "/s/missing" }, "MDB_SIDECAR_TOKEN_FILE", /cannot read \/s\/missing \(ENOENT\)/],
    ["missing password file", { MDB_PASSWORD_FILE: undefined }, "MDB_PASSWORD_FILE", /is required/],
    ["short token", { MDB_SIDECAR_TOKEN_FILE: "/s/ca" }, "MDB_SIDECAR_TOKEN_FILE", /at least 32/],
  ];
  for (const [name, patch, variable, pattern] of refusals) {
    test(`refuses: ${name}`, () => assert.throws(() => parseSidecarSettings({ ...env, ...patch }, readFile),
      (err: unknown) => err instanceof SettingsError && err.variable === variable && pattern.test(err.message)));
  }
});

describe("bearer token check", () => {
  const md = (value?: string) => {
    const m = new grpc.Metadata();
    if (value !== undefined) m.set("authorization", value);
    return m;
  };
  const cases: [string, string | undefined, RegExp | undefined][] = [
    ["right token", `Bearer ${token}`, undefined],
    ["scheme is case-insensitive", `bearer ${token}`, undefined],
    ["no header", undefined, /missing authorization/],
    ["wrong scheme", `Basic ${token}`, /must be "Bearer <token>"/],
    ["wrong token", `Bearer ${"x".repeat(40)}`, /does not match/],
    ["prefix of the token", `Bearer ${token.slice(0, 20)}`, /does not match/],
  ];
  for (const [name, header, want] of cases) {
    test(name, () => {
      const reason = checkBearer(md(header), token);
      if (want) assert.match(reason ?? "", want);
      else assert.equal(reason, undefined);
    });
  }
  test("secretsEqual compares content and length", () => {
    assert.equal(secretsEqual("abc", "abc"), true);
    assert.equal(secretsEqual("abc", "abd"), false);
    assert.equal(secretsEqual("abc", "abcd"), false);
  });
});
