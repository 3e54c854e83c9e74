/**
 * What the zod schemas cannot see in a decoded frame: nesting depth, `__proto__` keys, and strings
 * that are not well-formed UTF-16.
 *
 * A lone surrogate (`"\ud800"`, legal in JSON text as an escape) cannot be stored faithfully:
 * SQLite, Kuzu and NATS all take UTF-8, so `"evt-\ud800"` and `"evt-\udbff"` both become
 * `"evt-\ufffd"` on the way in. Two different ids then collide (the second is acked as a duplicate
 * and its effect is lost), and keys change between the gateway's memory and every replica. So every
 * string and every key, at any depth, must be well-formed, or the frame is refused.
 * @module
 */

/** Deepest JSON nesting accepted in a frame; deeper values would overflow the stack when re-encoded. */
export const MAX_JSON_DEPTH = 32;

/** Why a frame was refused before its schema was even tried. */
export interface ShapeProblem {
  readonly message: string;
  /** The problem is a string inside the event's params (or a `dml` frame's `cypher`): INVALID_PARAMS, not BAD_MESSAGE. */
  readonly inParams: boolean;
}

interface Step {
  readonly value: unknown;
  readonly parent: Step | null;
  readonly key: string | number | null;
}

/**
 * The first shape problem in a decoded value, or null. Depth and `__proto__` problems win, then
 * ill-formed strings outside the params, then ill-formed strings in the params (`isParams` says
 * which paths those are), so the answer does not depend on key order.
 * @example
 * shapeProblem({ id: "evt-\ud800" }, () => false)
 * // { message: 'id: the string "evt-\\ud800" is not well-formed UTF-16 (lone surrogate at index 4); …', inParams: false }
 */
export function shapeProblem(value: unknown, isParams: (path: readonly (string | number)[]) => boolean): ShapeProblem | null {
  // The fast pass every frame takes: no paths kept, as before strings were checked.
  const stack: [unknown, number][] = [[value, 0]];
  let illFormed = false;
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v === "string") {
      if (!illFormed && !isWellFormed(v)) illFormed = true;
      continue;
    }
    if (typeof v !== "object" || v === null) continue;
    if (depth >= MAX_JSON_DEPTH) return { message: `nesting deeper than ${MAX_JSON_DEPTH} levels`, inParams: false };
    if (Array.isArray(v)) {
      for (const item of v) stack.push([item, depth + 1]);
      continue;
    }
    for (const key of Object.keys(v)) {
      if (key === "__proto__") return { message: "the key __proto__ is not allowed", inParams: false };
      if (!illFormed && !isWellFormed(key)) illFormed = true;
      stack.push([(v as Record<string, unknown>)[key], depth + 1]);
    }
  }
  return illFormed ? locateIllFormed(value, isParams) : null;
}

/** The slow pass, only for a frame already known to hold an ill-formed string: find and name it. */
function locateIllFormed(value: unknown, isParams: (path: readonly (string | number)[]) => boolean): ShapeProblem | null {
  const stack: Step[] = [{ value, parent: null, key: null }];
  let paramsProblem: ShapeProblem | null = null;
  const illFormed = (step: Step, text: string, what: string): ShapeProblem | null => {
    const path = pathOf(step);
    const problem = {
      message: `${describePath(path)}: ${what} ${JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text)} is not well-formed UTF-16 (lone surrogate at index ${loneSurrogateAt(text)}); every id, name, key and value must be valid Unicode`,
      inParams: isParams(path),
    };
    if (!problem.inParams) return problem;
    paramsProblem ??= problem;
    return null;
  };
  while (stack.length > 0) {
    const step = stack.pop()!;
    const v = step.value;
    if (typeof v === "string") {
      if (!isWellFormed(v)) {
        const problem = illFormed(step, v, "the string");
        if (problem) return problem;
      }
      continue;
    }
    if (typeof v !== "object" || v === null) continue;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) stack.push({ value: v[i], parent: step, key: i });
      continue;
    }
    for (const key of Object.keys(v)) {
      const child: Step = { value: (v as Record<string, unknown>)[key], parent: step, key };
      if (!isWellFormed(key)) {
        const problem = illFormed(child, key, "the key");
        if (problem) return problem;
      }
      stack.push(child);
    }
  }
  return paramsProblem;
}

/**
 * ES2024 `String.prototype.isWellFormed` (native in Bun; the repo's TypeScript lib predates it).
 * @example isWellFormed("a\ud800") // false
 */
export function isWellFormed(text: string): boolean {
  return (text as string & { isWellFormed(): boolean }).isWellFormed();
}

function pathOf(step: Step): (string | number)[] {
  const path: (string | number)[] = [];
  for (let s: Step | null = step; s !== null && s.key !== null; s = s.parent) path.push(s.key);
  return path.reverse();
}

/** `event.params.tags[2]`; keys that are not plain names are quoted (escaped, so a lone surrogate shows as `\udXXX`). */
export function describePath(path: readonly (string | number)[]): string {
  if (path.length === 0) return "message";
  return path
    .map((k, i) => (typeof k === "number" ? `[${k}]` : /^[A-Za-z_$][\w$]*$/.test(k) ? `${i === 0 ? "" : "."}${k}` : `[${JSON.stringify(k)}]`))
    .join("");
}

function loneSurrogateAt(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        i++;
        continue;
      }
      return i;
    }
    if (c >= 0xdc00 && c <= 0xdfff) return i;
  }
  return -1;
}
