/**
 * Form patterns run on untrusted citizen input inside a shared isolate, so they never run on the
 * backtracking JavaScript engine as a whole. A pattern is compiled into a Thompson automaton and simulated
 * breadth-first (a Pike machine without captures): every input position is visited once, with at most one
 * thread per instruction, so matching takes time linear in the input whatever the pattern
 * (O(input × instructions), and instructions are capped).
 *
 * Only the structure (sequence, alternation, repetition, groups, anchors, word boundaries) is ours. What a
 * single character matches (a literal, an escape, `.`, a class such as `[\p{L} -]`) is decided by the
 * JavaScript engine itself, with a one-character RegExp anchored at both ends: one character against one
 * class cannot backtrack, and the meaning is exactly the browser's, `\s`, `\p{…}` and `u`-flag escapes
 * included. A pattern must be a valid JavaScript RegExp with the `u` flag (what a browser's `pattern`
 * attribute and JSON Schema tools expect); one that needs backtracking (backreferences, lookahead,
 * lookbehind) or modifiers, or one that expands past MAX_INSTRUCTIONS, is refused at publishing.
 */

export class UnsafePatternError extends Error {}

/** What one program may hold once counted repetitions are expanded (`\d{6}` is 6 character steps). */
export const MAX_INSTRUCTIONS = 2_000;

/** Instructions. Char consumes the code point `arg`; Set one that `sets[arg]` accepts; Split continues at `arg`
 * and at `alt`; Assert continues only where assertion `arg` holds at the current position. */
const Op = { Char: 0, Set: 1, Split: 2, Jump: 3, Assert: 4, Match: 5 } as const;
type Op = (typeof Op)[keyof typeof Op];

const Assertion = { Start: 0, End: 1, WordBoundary: 2, NotWordBoundary: 3 } as const;
type Assertion = (typeof Assertion)[keyof typeof Assertion];

interface Instruction {
  op: Op;
  arg: number;
  alt: number;
}

type Node =
  | { kind: "char"; cp: number }
  | { kind: "set"; set: number }
  | { kind: "assert"; assertion: Assertion }
  | { kind: "seq"; items: Node[] }
  | { kind: "alt"; items: Node[] }
  | { kind: "repeat"; node: Node; min: number; max: number };

/** One character class, decided by the JavaScript engine on one code point at a time; ASCII answers kept. */
class CharSet {
  private readonly re: RegExp;
  private readonly ascii = new Uint8Array(128);

  constructor(source: string) {
    try {
      this.re = new RegExp(`^(?:${source})$`, "u");
    } catch (e) {
      throw new UnsafePatternError((e as Error).message);
    }
    for (let cp = 0; cp < 128; cp += 1) this.ascii[cp] = this.re.test(String.fromCharCode(cp)) ? 1 : 0;
  }

  has(cp: number): boolean {
    return cp < 128 ? this.ascii[cp] === 1 : this.re.test(String.fromCodePoint(cp));
  }
}

const DIGIT = /^[0-9]$/u;
const HEX = /^[0-9A-Fa-f]$/u;

/** Parses the `u`-flag syntax of ECMA-262 §22.2.1 into a tree; anything it does not support is refused. */
class Parser {
  private i = 0;
  readonly sets: CharSet[] = [];
  private readonly setIndex = new Map<string, number>();

  constructor(private readonly src: string) {}

  parse(): Node {
    const node = this.disjunction();
    if (this.i < this.src.length) throw new UnsafePatternError(`unexpected "${this.src[this.i]}"`);
    return node;
  }

  private peek(offset = 0): string | undefined {
    return this.src[this.i + offset];
  }

  private disjunction(): Node {
    const items = [this.alternative()];
    while (this.peek() === "|") {
      this.i += 1;
      items.push(this.alternative());
    }
    return items.length === 1 ? (items[0] as Node) : { kind: "alt", items };
  }

  private alternative(): Node {
    const items: Node[] = [];
    while (this.i < this.src.length && this.peek() !== "|" && this.peek() !== ")") items.push(this.term());
    return items.length === 1 ? (items[0] as Node) : { kind: "seq", items };
  }

  private term(): Node {
    const ch = this.peek();
    if (ch === "^" || ch === "$") {
      this.i += 1;
      return { kind: "assert", assertion: ch === "^" ? Assertion.Start : Assertion.End };
    }
    if (ch === "\\" && (this.peek(1) === "b" || this.peek(1) === "B")) {
      this.i += 2;
      return { kind: "assert", assertion: this.src[this.i - 1] === "b" ? Assertion.WordBoundary : Assertion.NotWordBoundary };
    }
    return this.quantified(this.atom());
  }

  private quantified(node: Node): Node {
    const ch = this.peek();
    let min: number;
    let max: number;
    if (ch === "*" || ch === "+" || ch === "?") {
      this.i += 1;
      min = ch === "+" ? 1 : 0;
      max = ch === "?" ? 1 : Number.POSITIVE_INFINITY;
    } else if (ch === "{") {
      const m = /^\{(\d+)(,(\d*))?\}/u.exec(this.src.slice(this.i));
      if (!m) throw new UnsafePatternError("malformed {…} quantifier");
      this.i += m[0].length;
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === "" ? Number.POSITIVE_INFINITY : Number(m[3]);
      if (max < min) throw new UnsafePatternError("quantifier range out of order");
      if (min > MAX_INSTRUCTIONS || (max !== Number.POSITIVE_INFINITY && max > MAX_INSTRUCTIONS)) {
        throw new UnsafePatternError(`repetition counts above ${MAX_INSTRUCTIONS} are not supported`);
      }
    } else {
      return node;
    }
    // Laziness changes which match is found, not whether there is one.
    if (this.peek() === "?") this.i += 1;
    return { kind: "repeat", node, min, max };
  }

  private atom(): Node {
    const ch = this.peek() as string;
    if (ch === "(") return this.group();
    if (ch === "[") return this.set(this.classSource());
    if (ch === ".") {
      this.i += 1;
      return this.set(".");
    }
    if (ch === "\\") return this.escape();
    if ("*+?{}])|".includes(ch)) throw new UnsafePatternError(`unexpected "${ch}"`);
    const cp = this.src.codePointAt(this.i) as number;
    this.i += cp > 0xffff ? 2 : 1;
    return { kind: "char", cp };
  }

  private group(): Node {
    this.i += 1;
    if (this.peek() === "?") {
      const next = this.peek(1);
      if (next === ":") this.i += 2;
      else if (next === "<" && this.peek(2) !== "=" && this.peek(2) !== "!") {
        const close = this.src.indexOf(">", this.i);
        if (close < 0) throw new UnsafePatternError("malformed group name");
        this.i = close + 1;
      } else if (next === "=" || next === "!" || next === "<") {
        throw new UnsafePatternError("lookahead and lookbehind need a backtracking engine");
      } else {
        throw new UnsafePatternError("group modifiers are not supported");
      }
    }
    const inner = this.disjunction();
    if (this.peek() !== ")") throw new UnsafePatternError("unclosed group");
    this.i += 1;
    return inner;
  }

  /** The source of a class `[…]`: in `u` mode classes do not nest and `\` escapes the next character. */
  private classSource(): string {
    const start = this.i;
    this.i += 1;
    while (this.i < this.src.length && this.src[this.i] !== "]") this.i += this.src[this.i] === "\\" ? 2 : 1;
    if (this.i >= this.src.length) throw new UnsafePatternError("unclosed character class");
    this.i += 1;
    return this.src.slice(start, this.i);
  }

  private escape(): Node {
    const start = this.i;
    const next = this.peek(1);
    if (next === undefined) throw new UnsafePatternError("pattern ends with a lone backslash");
    if (next === "k" || (next >= "1" && next <= "9")) throw new UnsafePatternError("backreferences need a backtracking engine");
    this.i += 2;
    if (next === "p" || next === "P" || (next === "u" && this.peek() === "{")) {
      const close = this.src.indexOf("}", this.i);
      if (close < 0) throw new UnsafePatternError(`malformed \\${next} escape`);
      this.i = close + 1;
    } else if (next === "u") {
      this.hexDigits(4);
      // A surrogate pair written as two \u escapes is one code point in a `u` pattern.
      const lead = Number.parseInt(this.src.slice(start + 2, start + 6), 16);
      if (lead >= 0xd800 && lead <= 0xdbff && this.peek() === "\\" && this.peek(1) === "u" && this.peek(2) !== "{") {
        const trail = Number.parseInt(this.src.slice(this.i + 2, this.i + 6), 16);
        if (trail >= 0xdc00 && trail <= 0xdfff) {
          this.i += 2;
          this.hexDigits(4);
        }
      }
    } else if (next === "x") {
      this.hexDigits(2);
    } else if (next === "c") {
      this.i += 1;
    } else if (next === "0" && DIGIT.test(this.peek() ?? "")) {
      throw new UnsafePatternError("octal escapes are not allowed with the u flag");
    }
    return this.set(this.src.slice(start, this.i));
  }

  private hexDigits(n: number): void {
    for (let k = 0; k < n; k += 1) {
      if (!HEX.test(this.peek() ?? "")) throw new UnsafePatternError("malformed hexadecimal escape");
      this.i += 1;
    }
  }

  private set(source: string): Node {
    let index = this.setIndex.get(source);
    if (index === undefined) {
      index = this.sets.push(new CharSet(source)) - 1;
      this.setIndex.set(source, index);
    }
    return { kind: "set", set: index };
  }
}

/** Thompson's construction, with counted repetitions written out; refuses programs over the cap. */
function emit(node: Node, prog: Instruction[]): void {
  const push = (op: Op, arg = 0, alt = 0): number => {
    if (prog.length >= MAX_INSTRUCTIONS) {
      throw new UnsafePatternError(`pattern expands to more than ${MAX_INSTRUCTIONS} steps; use smaller repetition counts`);
    }
    return prog.push({ op, arg, alt }) - 1;
  };
  switch (node.kind) {
    case "char":
      push(Op.Char, node.cp);
      return;
    case "set":
      push(Op.Set, node.set);
      return;
    case "assert":
      push(Op.Assert, node.assertion);
      return;
    case "seq":
      for (const item of node.items) emit(item, prog);
      return;
    case "alt": {
      const jumps: number[] = [];
      node.items.forEach((item, k) => {
        if (k === node.items.length - 1) {
          emit(item, prog);
          return;
        }
        const split = push(Op.Split);
        (prog[split] as Instruction).arg = prog.length;
        emit(item, prog);
        jumps.push(push(Op.Jump));
        (prog[split] as Instruction).alt = prog.length;
      });
      for (const j of jumps) (prog[j] as Instruction).arg = prog.length;
      return;
    }
    case "repeat": {
      // Repeating nothing is nothing (and must not cost a loop per count: `((?:){1000}){1000}`).
      if (matchesOnlyEmpty(node.node)) return;
      for (let k = 0; k < node.min; k += 1) emit(node.node, prog);
      if (node.max === Number.POSITIVE_INFINITY) {
        const split = push(Op.Split);
        (prog[split] as Instruction).arg = prog.length;
        emit(node.node, prog);
        push(Op.Jump, split);
        (prog[split] as Instruction).alt = prog.length;
        return;
      }
      // x{2,4} is x x (x (x)?)?: each optional copy may end the repetition.
      const splits: number[] = [];
      for (let k = node.min; k < node.max; k += 1) {
        const split = push(Op.Split);
        (prog[split] as Instruction).arg = prog.length;
        splits.push(split);
        emit(node.node, prog);
      }
      for (const s of splits) (prog[s] as Instruction).alt = prog.length;
      return;
    }
  }
}

/** Whether a node consumes nothing and emits no instruction. */
function matchesOnlyEmpty(node: Node): boolean {
  if (node.kind === "seq") return node.items.every(matchesOnlyEmpty);
  if (node.kind === "repeat") return node.max === 0 || matchesOnlyEmpty(node.node);
  return false;
}

/** JavaScript's `\w` with the `u` flag and without `i`: ASCII letters, digits and `_`. */
function isWordChar(cp: number | undefined): boolean {
  return cp !== undefined && ((cp >= 0x30 && cp <= 0x39) || (cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a) || cp === 0x5f);
}

export class Pattern {
  private readonly seen: Uint32Array;

  constructor(
    private readonly prog: Instruction[],
    private readonly sets: CharSet[],
  ) {
    this.seen = new Uint32Array(prog.length);
  }

  /** Whether the pattern matches somewhere in `value` (a RegExp's `test`, unanchored). */
  test(value: string): boolean {
    const cps: number[] = [];
    for (const ch of value) cps.push(ch.codePointAt(0) as number);
    const n = cps.length;
    const prog = this.prog;
    const seen = this.seen.fill(0);
    let current = new Int32Array(prog.length);
    let next = new Int32Array(prog.length);
    let currentCount = 0;
    let nextCount = 0;
    let generation = 1;
    let matched = false;
    const stack: number[] = [];

    const holds = (assertion: number, pos: number): boolean => {
      if (assertion === Assertion.Start) return pos === 0;
      if (assertion === Assertion.End) return pos === n;
      const boundary = isWordChar(cps[pos - 1]) !== isWordChar(cps[pos]);
      return assertion === Assertion.WordBoundary ? boundary : !boundary;
    };
    // Follows jumps, splits and assertions from `pc` at `pos`, adding each consuming instruction once.
    const add = (list: Int32Array, count: number, pc: number, pos: number): number => {
      stack.push(pc);
      while (stack.length > 0) {
        const at = stack.pop() as number;
        if (seen[at] === generation) continue;
        seen[at] = generation;
        const inst = prog[at] as Instruction;
        switch (inst.op) {
          case Op.Jump:
            stack.push(inst.arg);
            break;
          case Op.Split:
            stack.push(inst.alt, inst.arg);
            break;
          case Op.Assert:
            if (holds(inst.arg, pos)) stack.push(at + 1);
            break;
          case Op.Match:
            matched = true;
            break;
          default:
            list[count++] = at;
        }
      }
      return count;
    };

    for (let pos = 0; ; pos += 1) {
      // A match may start at any position.
      currentCount = add(current, currentCount, 0, pos);
      if (matched) return true;
      if (pos === n) return false;
      const cp = cps[pos] as number;
      generation += 1;
      nextCount = 0;
      for (let k = 0; k < currentCount; k += 1) {
        const at = current[k] as number;
        const inst = prog[at] as Instruction;
        const ok = inst.op === Op.Char ? inst.arg === cp : (this.sets[inst.arg] as CharSet).has(cp);
        if (ok) nextCount = add(next, nextCount, at + 1, pos + 1);
      }
      [current, next] = [next, current];
      currentCount = nextCount;
    }
  }
}

const cache = new Map<string, Pattern>();
const CACHE_SIZE = 512;

/**
 * Compiles a pattern for the linear-time matcher. Throws UnsafePatternError when it cannot run it.
 * The caller checks first that it is a valid JavaScript `u` RegExp.
 */
export function compilePattern(pattern: string): Pattern {
  const hit = cache.get(pattern);
  if (hit) return hit;
  const parser = new Parser(pattern);
  const prog: Instruction[] = [];
  emit(parser.parse(), prog);
  prog.push({ op: Op.Match, arg: 0, alt: 0 });
  const compiled = new Pattern(prog, parser.sets);
  if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  cache.set(pattern, compiled);
  return compiled;
}

/** JSON Schema's `pattern`: the pattern matches somewhere in the value (it is not implicitly anchored). */
export function patternMatches(pattern: string, value: string): boolean {
  return compilePattern(pattern).test(value);
}
