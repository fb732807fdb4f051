// RFC 8785 JSON Canonicalization Scheme (JCS): one byte-exact JSON text per JSON value, so a hash
// over it can be recomputed by anyone, in any language, from the parsed data alone.
//
// JCS is deliberately close to ECMAScript: numbers are written as Number.prototype.toString writes
// them and strings escaped as JSON.stringify escapes them, so those two do the leaf work here. What
// JCS adds is no whitespace and object members sorted by the UTF-16 code units of their names,
// which is exactly what Array.prototype.sort does without a comparator.
//
// Values that are not JSON data follow JSON.stringify, so that canonicalize(x) equals
// canonicalize(JSON.parse(JSON.stringify(x))): `undefined`, functions and symbols are omitted as
// object members and become null in arrays; `toJSON` is honoured (a Date becomes its ISO string).
// Where JSON.stringify would produce something that is not I-JSON (RFC 7493), which JCS requires,
// this throws instead: non-finite numbers, strings with lone surrogates, BigInts and cycles.

/** Thrown for values that have no canonical JSON form. */
export class CanonicalizationError extends TypeError {
  constructor(detail: string) {
    super(`JCS: ${detail}`);
    this.name = "CanonicalizationError";
  }
}

/** The RFC 8785 canonical JSON text of `value`. Throws CanonicalizationError when there is none. */
export function canonicalize(value: unknown): string {
  const text = serialize("", value, []);
  if (text === undefined) throw new CanonicalizationError("the value has no JSON representation");
  return text;
}

/** `undefined` means "omit" (as JSON.stringify does for object members). */
function serialize(key: string, input: unknown, ancestors: object[]): string | undefined {
  const value = unwrap(key, input);
  if (value === null) return "null";
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "number":
      // RFC 8785 §3.2.2.3: NaN and Infinity are not JSON; -0 serialises as "0" (String(-0) is "0").
      if (!Number.isFinite(value)) throw new CanonicalizationError(`${value} is not a JSON number`);
      return String(value);
    case "string":
      // A lone surrogate cannot be encoded as UTF-8, so its hash would not survive a round trip
      // through storage or the network.
      if (!value.isWellFormed()) throw new CanonicalizationError("a string contains a lone surrogate");
      return JSON.stringify(value);
    case "bigint":
      throw new CanonicalizationError("BigInt has no JSON representation");
    case "undefined":
    case "function":
    case "symbol":
      return undefined;
  }
  if (ancestors.includes(value)) throw new CanonicalizationError("the value contains a cycle");
  ancestors.push(value);
  try {
    if (Array.isArray(value)) {
      const items: string[] = [];
      for (let i = 0; i < value.length; i++) items.push(serialize(String(i), value[i], ancestors) ?? "null");
      return `[${items.join(",")}]`;
    }
    const members: string[] = [];
    // The default sort compares UTF-16 code units, which is the order RFC 8785 §3.2.3 fixes.
    for (const name of Object.keys(value).sort()) {
      const member = serialize(name, (value as Record<string, unknown>)[name], ancestors);
      if (member !== undefined) members.push(`${serialize("", name, ancestors)}:${member}`);
    }
    return `{${members.join(",")}}`;
  } finally {
    ancestors.pop();
  }
}

/** What JSON.stringify would serialise in place of `value`: the result of toJSON, or a boxed primitive's value. */
function unwrap(key: string, value: unknown): unknown {
  let v = value;
  if (typeof v === "object" && v !== null && "toJSON" in v && typeof v.toJSON === "function") v = v.toJSON(key);
  if (v instanceof Number || v instanceof String || v instanceof Boolean) return v.valueOf();
  return v;
}
