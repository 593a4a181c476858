// JSON Schema (what OpenAI tools and response_format carry) -> Gemini's Schema, an OpenAPI 3.0
// subset: unknown keywords removed, `$ref` inlined, type unions turned into `nullable` / `anyOf`.
import { isRecord } from '../common/params.js';

const KEEP = new Set([
  'type',
  'format',
  'title',
  'description',
  'nullable',
  'enum',
  'maxItems',
  'minItems',
  'minProperties',
  'maxProperties',
  'minLength',
  'maxLength',
  'pattern',
  'example',
  'default',
  'minimum',
  'maximum',
  'propertyOrdering',
  'required',
]);

/** Deep enough for real tool schemas; a recursive `$ref` stops here instead of looping. */
const MAX_DEPTH = 12;

export function toGeminiSchema(schema: unknown): Record<string, unknown> {
  const root = isRecord(schema) ? schema : {};
  const defs = { ...(isRecord(root.definitions) ? root.definitions : {}), ...(isRecord(root.$defs) ? root.$defs : {}) };
  return convert(root, defs, 0);
}

function convert(node: Record<string, unknown>, defs: Record<string, unknown>, depth: number): Record<string, unknown> {
  if (depth > MAX_DEPTH) return { type: 'object' };
  if (typeof node.$ref === 'string') {
    const target = defs[node.$ref.replace(/^#\/(\$defs|definitions)\//, '')];
    const { $ref: _ref, ...rest } = node;
    return convert({ ...(isRecord(target) ? target : {}), ...rest }, defs, depth + 1);
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) if (KEEP.has(key)) out[key] = value;

  if ('const' in node && !('enum' in node)) out.enum = [node.const];
  if (Array.isArray(out.enum)) {
    // Gemini enums are strings only.
    if (out.enum.every((v) => typeof v === 'string')) out.type ??= 'string';
    else delete out.enum;
  }

  if (Array.isArray(node.type)) {
    const types = node.type.filter((t): t is string => typeof t === 'string');
    const concrete = types.filter((t) => t !== 'null');
    if (types.includes('null')) out.nullable = true;
    if (concrete.length === 1) out.type = concrete[0];
    else {
      delete out.type;
      if (concrete.length > 1) out.anyOf = concrete.map((t) => convert({ ...node, type: t }, defs, depth + 1));
    }
  }

  const union = Array.isArray(node.anyOf) ? node.anyOf : Array.isArray(node.oneOf) ? node.oneOf : null;
  if (union) {
    const branches = union.filter(isRecord);
    const nonNull = branches.filter((b) => b.type !== 'null');
    if (nonNull.length < branches.length) out.nullable = true;
    if (nonNull.length === 1) Object.assign(out, convert(nonNull[0], defs, depth + 1), out.nullable ? { nullable: true } : {});
    else if (nonNull.length > 1) out.anyOf = nonNull.map((b) => convert(b, defs, depth + 1));
  }
  if (Array.isArray(node.allOf)) {
    for (const part of node.allOf.filter(isRecord)) mergeInto(out, convert(part, defs, depth + 1));
  }

  if (isRecord(node.properties)) {
    out.properties = Object.fromEntries(
      Object.entries(node.properties).map(([name, value]) => [name, convert(isRecord(value) ? value : {}, defs, depth + 1)]),
    );
    if (Array.isArray(out.required)) out.required = out.required.filter((r) => typeof r === 'string' && r in (out.properties as object));
  } else {
    delete out.required;
  }
  if (isRecord(node.items)) out.items = convert(node.items, defs, depth + 1);
  else if (out.type === 'array') out.items = { type: 'string' };
  if (!out.type && !out.anyOf && out.properties) out.type = 'object';
  return out;
}

function mergeInto(target: Record<string, unknown>, source: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(source)) {
    if (key === 'properties' && isRecord(target.properties) && isRecord(value)) target.properties = { ...target.properties, ...value };
    else if (key === 'required' && Array.isArray(target.required) && Array.isArray(value)) target.required = [...new Set([...target.required, ...value])];
    else target[key] ??= value;
  }
}

/** Function parameters: Gemini refuses an OBJECT with no properties, so such a schema is left out. */
export function toGeminiParameters(parameters: unknown): Record<string, unknown> | undefined {
  if (!isRecord(parameters)) return undefined;
  const schema = toGeminiSchema(parameters);
  if (schema.type === 'object' && (!isRecord(schema.properties) || Object.keys(schema.properties).length === 0)) return undefined;
  return schema;
}
