// A check of a value against a CRD's structural OpenAPI v3 schema, for the keywords the CRD uses:
// type, properties (an unknown field is an error, as with kubectl's strict field validation),
// additionalProperties, items, required, enum, minimum/maximum, minLength/maxLength, pattern.
// CEL rules (x-kubernetes-validations) need the API server and are not evaluated here.

export interface StructuralSchema {
  type?: "object" | "array" | "string" | "integer" | "number" | "boolean";
  properties?: Record<string, StructuralSchema>;
  additionalProperties?: StructuralSchema | boolean;
  items?: StructuralSchema;
  required?: string[];
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  "x-kubernetes-preserve-unknown-fields"?: boolean;
}

/** Every violation as "path: what is wrong"; empty when the value fits. */
export function validate(schema: StructuralSchema, value: unknown, path: string): string[] {
  const errors: string[] = [];
  const typeError = (want: string) => [`${path}: expected ${want}, got ${Array.isArray(value) ? "array" : value === null ? "null" : typeof value} ${JSON.stringify(value)}`];
  switch (schema.type) {
    case "object": {
      if (typeof value !== "object" || value === null || Array.isArray(value)) return typeError("an object");
      const obj = value as Record<string, unknown>;
      for (const key of schema.required ?? []) if (!(key in obj)) errors.push(`${path}.${key}: required`);
      for (const [key, child] of Object.entries(obj)) {
        const sub = schema.properties?.[key] ?? (typeof schema.additionalProperties === "object" ? schema.additionalProperties : undefined);
        if (sub) errors.push(...validate(sub, child, `${path}.${key}`));
        else if (!schema.additionalProperties && !schema["x-kubernetes-preserve-unknown-fields"] && schema.properties) {
          errors.push(`${path}.${key}: unknown field; known: ${Object.keys(schema.properties).join(", ")}`);
        }
      }
      return errors;
    }
    case "array":
      if (!Array.isArray(value)) return typeError("an array");
      value.forEach((item, i) => schema.items && errors.push(...validate(schema.items, item, `${path}[${i}]`)));
      return errors;
    case "string":
      if (typeof value !== "string") return typeError("a string");
      if (schema.pattern && !new RegExp(schema.pattern, "u").test(value)) errors.push(`${path}: "${value}" does not match ${schema.pattern}`);
      if (schema.minLength !== undefined && value.length < schema.minLength) errors.push(`${path}: shorter than ${schema.minLength}`);
      if (schema.maxLength !== undefined && value.length > schema.maxLength) errors.push(`${path}: longer than ${schema.maxLength}`);
      break;
    case "integer":
    case "number":
      if (typeof value !== "number" || (schema.type === "integer" && !Number.isInteger(value))) return typeError(schema.type === "integer" ? "an integer" : "a number");
      if (schema.minimum !== undefined && value < schema.minimum) errors.push(`${path}: ${value} is below the minimum ${schema.minimum}`);
      if (schema.maximum !== undefined && value > schema.maximum) errors.push(`${path}: ${value} is above the maximum ${schema.maximum}`);
      break;
    case "boolean":
      if (typeof value !== "boolean") return typeError("a boolean");
      break;
  }
  if (schema.enum && !schema.enum.includes(value)) errors.push(`${path}: ${JSON.stringify(value)} is not one of ${schema.enum.map((v) => JSON.stringify(v)).join(", ")}`);
  return errors;
}

/**
 * Every field path the schema declares below `path`, array items as `[]`, e.g. `spec.placement.tolerations[].key`.
 * A free-form map (additionalProperties) is one path: an example sets it by setting any key.
 */
export function schemaPaths(schema: StructuralSchema, path: string): string[] {
  if (schema.type === "object" && schema.properties) {
    return Object.entries(schema.properties).flatMap(([key, child]) => [`${path}.${key}`, ...schemaPaths(child, `${path}.${key}`)]);
  }
  if (schema.type === "array" && schema.items) return schemaPaths(schema.items, `${path}[]`);
  return [];
}

/** The field paths a value sets, in the same notation as schemaPaths (keys of free-form maps not listed). */
export function valuePaths(schema: StructuralSchema, value: unknown, path: string): string[] {
  if (schema.type === "object" && schema.properties && typeof value === "object" && value !== null) {
    return Object.entries(value as Record<string, unknown>).flatMap(([key, child]) => {
      const sub = schema.properties?.[key];
      return sub ? [`${path}.${key}`, ...valuePaths(sub, child, `${path}.${key}`)] : [];
    });
  }
  if (schema.type === "array" && schema.items && Array.isArray(value)) return value.flatMap((item) => valuePaths(schema.items!, item, `${path}[]`));
  return [];
}
