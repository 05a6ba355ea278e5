// Planner input checks, once at the edge (STYLE: validate once into a checked type). Malformed input
// is a PlannerInputError naming the field and what to do; a plan that cannot be made from valid
// input is a Refusal instead (plan.ts). Inner code trusts what passed here.

export class PlannerInputError extends Error {
  override name = "PlannerInputError";
  constructor(readonly field: string, detail: string) {
    super(`${field}: ${detail}`);
  }
}

export function requireArray<T>(value: readonly T[] | null | undefined, field: string): readonly T[] {
  if (!Array.isArray(value)) throw new PlannerInputError(field, `must be a list, got ${value === null ? "null" : typeof value}`);
  return value;
}

export function requireName(value: unknown, field: string): string {
  if (typeof value !== "string" || value.length === 0) throw new PlannerInputError(field, `must be a non-empty name, got ${JSON.stringify(value) ?? "undefined"}`);
  return value;
}

export function requireIndex(value: unknown, field: string, what = "an integer ≥ 0"): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) throw new PlannerInputError(field, `must be ${what}, got ${JSON.stringify(value) ?? "undefined"}`);
  return value;
}

/** Refuse a list in which two entries share a name; `field` is the list ("nodes", "members"). */
export function requireUniqueNames(items: readonly { name: string }[], field: string, hint: string): void {
  const seen = new Set<string>();
  items.forEach((item, i) => {
    const name = requireName(item?.name, `${field}[${i}].name`);
    if (seen.has(name)) throw new PlannerInputError(`${field}[${i}].name`, `"${name}" appears twice; ${hint}`);
    seen.add(name);
  });
}

const ROLES = ["primary", "standby"];

/** Members as the shell observed them: unique names, a shard index ≥ 0, a node name, a role. */
export function requireMembers(members: readonly { name: string; shard: number; node: string; role: string }[] | null | undefined, field: string): void {
  requireUniqueNames(requireArray(members, field), field, "list each member once");
  members!.forEach((m, i) => {
    requireIndex(m.shard, `${field}[${i}].shard`, "a shard index (an integer ≥ 0)");
    if (typeof m.node !== "string") throw new PlannerInputError(`${field}[${i}].node`, `must be a node name ("" when the member has no pod), got ${JSON.stringify(m.node) ?? "undefined"}`);
    if (!ROLES.includes(m.role)) throw new PlannerInputError(`${field}[${i}].role`, `must be primary or standby, got ${JSON.stringify(m.role) ?? "undefined"}`);
  });
}

/** A list of names (lost members, non-candidates): each a non-empty string. */
export function requireNames(names: readonly string[] | null | undefined, field: string): readonly string[] {
  requireArray(names, field).forEach((name, i) => requireName(name, `${field}[${i}]`));
  return names!;
}
