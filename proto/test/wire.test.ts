// The codec (proto/wire.ts) against @grpc/proto-loader, which the sidecar and the operator used before
// (docs/footprint.md#protobuf): for random messages of every RPC, each side decodes what the other
// encodes to the same object, so a member and an operator of either build understand each other.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import * as protoLoader from "@grpc/proto-loader";
import { generatorArgs, protoFile, protoRoot } from "../load.ts";
import { SCHEMA } from "../generated/schema.ts";
import { Codec, type ProtoSchema } from "../wire.ts";

const codec = new Codec(SCHEMA);
// The options generatorArgs gives the type generator, as proto-loader's loader options.
assert.ok(generatorArgs("x").includes("--longs=Number") && generatorArgs("x").includes("--enums=String"));
const definition = protoLoader.loadSync(protoFile, { keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true, includeDirs: [protoRoot] });
const service = definition[`${SCHEMA.package}.Sidecar`] as protoLoader.ServiceDefinition;

type Obj = Record<string, unknown>;

function valueOf(schema: ProtoSchema, type: string, depth: number): fc.Arbitrary<unknown> {
  switch (type) {
    case "double": return fc.double();
    case "bool": return fc.boolean();
    case "string": return fc.string({ unit: "grapheme", maxLength: 12 });
    case "int32": return fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
    case "uint32": return fc.nat({ max: 2 ** 32 - 1 });
    case "uint64": return fc.oneof(fc.nat(), fc.maxSafeNat());
  }
  const values = schema.enums[type];
  if (values) return fc.constantFrom(...Object.keys(values));
  return messageOf(schema, type, depth + 1);
}

function messageOf(schema: ProtoSchema, type: string, depth = 0): fc.Arbitrary<Obj> {
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [name, , fieldType, repeated] of schema.messages[type]) {
    if (depth > 4) continue;
    const one = valueOf(schema, fieldType, depth);
    model[name] = repeated ? fc.array(one, { maxLength: 4 }) : one;
  }
  return fc.record(model, { requiredKeys: [] }) as fc.Arbitrary<Obj>;
}

const messages = Object.entries(service).flatMap(([method, m]) => [
  { what: `${method} request`, type: SCHEMA.services.Sidecar[method][0], serialize: m.requestSerialize, deserialize: m.requestDeserialize },
  { what: `${method} response`, type: SCHEMA.services.Sidecar[method][1], serialize: m.responseSerialize, deserialize: m.responseDeserialize },
]);

test("every RPC of the proto is in the generated schema, with the same streaming", () => {
  assert.deepEqual(Object.keys(SCHEMA.services.Sidecar).sort(), Object.keys(service).sort());
  for (const [method, m] of Object.entries(service)) {
    const [, , requestStream, responseStream] = SCHEMA.services.Sidecar[method];
    assert.deepEqual([requestStream, responseStream], [m.requestStream, m.responseStream], method);
  }
});

for (const { what, type, serialize, deserialize } of messages) {
  test(`${what} (${type}): the codec and proto-loader decode each other's bytes to the same object`, () => {
    fc.assert(fc.property(messageOf(SCHEMA, type), (value) => {
      const theirs = deserialize(serialize(value));
      assert.deepEqual(codec.decode(type, serialize(value)), theirs);
      assert.deepEqual(deserialize(codec.encode(type, value)), theirs);
      assert.deepEqual(codec.decode(type, codec.encode(type, value)), theirs);
    }), { seed: 21, numRuns: 60 });
  });
}

test("decoding: absent fields get their defaults, unknown fields are skipped, repeated scalars may come unpacked", () => {
  // MigrationProgress: activeSlots (9, repeated uint32) unpacked as 5 and 300; field 99 (varint) unknown; keysMoved (5) = 2^40.
  const bytes = Buffer.from([
    9 << 3, 5, (9 << 3), 0xac, 0x02,
    (99 << 3) >> 0 & 0x7f | 0x80, (99 << 3) >> 7, 7,
    5 << 3, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20,
  ]);
  const out = codec.decode("MigrationProgress", bytes);
  assert.deepEqual(out.activeSlots, [5, 300]);
  assert.equal(out.keysMoved, 2 ** 40);
  assert.equal(out.migrationId, "");
  assert.equal(out.guard, null);
  assert.deepEqual(out.failedSlots, []);
  assert.deepEqual(codec.decode("MigrationProgress", bytes), service.MigrateSlots.responseDeserialize(bytes));
});

test("encoding refuses what protobufjs refuses: a repeated field that is not an array, a message that is not an object", () => {
  assert.throws(() => codec.encode("AssignSlotsRequest", { slots: { start: 1, end: 2 } }), /\.mdb\.sidecar\.v1\.AssignSlotsRequest\.slots: array expected/);
  assert.throws(() => codec.encode("AssignSlotsResponse", { status: "ACTIVE" }), /\.mdb\.sidecar\.v1\.AssignSlotsResponse\.status: object expected/);
});

test("enums: a number the enum does not name survives a round trip as a number; an unknown name encodes as the default", () => {
  assert.equal(codec.decode("PromoteRequest", codec.encode("PromoteRequest", { mode: 7 })).mode, 7);
  assert.equal(codec.decode("PromoteRequest", codec.encode("PromoteRequest", { mode: "SIDEWAYS" })).mode, "PROMOTE_MODE_UNSPECIFIED");
});
