// The probe's one option checked at the edge: the nice value of its thread, named when it is not one.
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkProbePriority } from "../../src/migration/probe.ts";

test("probePriority: unset keeps the caller's; an integer -20..19 is taken", () => {
  assert.equal(checkProbePriority(undefined), undefined);
  assert.equal(checkProbePriority(-10), -10);
  assert.equal(checkProbePriority(19), 19);
});

test("probePriority: anything else is refused naming the option and the range", () => {
  for (const bad of [-21, 20, 1.5, "5", Number.NaN]) {
    assert.throws(() => checkProbePriority(bad), /^RangeError: probePriority: expected an integer -20\.\.19 \(a nice value, lower runs first\), got /);
  }
});
