/**
 * Reads one statement of a template's single form and records what it reads and writes (see
 * `footprint.ts` for what makes the result sound): clauses, patterns, variable bindings.
 * @module
 */
import type { Token } from "@kuzu-sync/protocol";
import { CLAUSE_WORDS, CypherWalker, Unknown } from "./cypher-walker.ts";
import type { Access, KeyPart } from "./footprint.ts";
import type { NodeTable, RelTable, SchemaTables } from "./schema-tables.ts";

type NodeBinding = { readonly kind: "node"; readonly table: string; readonly key: KeyPart | null };
type RelBinding = { readonly kind: "rel"; readonly accesses: readonly Omit<Access, "write">[] };
type ValueBinding = { readonly kind: "value"; readonly key: KeyPart | null };
type Binding = NodeBinding | RelBinding | ValueBinding;

/** A node as it appears in one pattern; `table` null until inferred from a relationship. */
interface PatternNode {
  binding: NodeBinding | null;
  readonly isNew: boolean;
  readonly name: string | null;
  readonly key: KeyPart | null;
  readonly keyGiven: boolean;
}

interface PatternRel {
  readonly table: string;
  readonly name: string | null;
  /** `->`: left to right; `<-`: right to left; both: undirected. */
  readonly direction: "right" | "left" | "both";
}

type Clause = "MATCH" | "MERGE" | "CREATE";

/**
 * @example new StatementReader(tokens, tables, accesses).read(); // fills `accesses`, or throws Unknown
 */
export class StatementReader extends CypherWalker {
  #scope = new Map<string, { name: string; binding: Binding }>();
  /** `var.prop = value` conjuncts of the WHERE of the MATCH being read: variable → prop → value. */
  #whereKeys = new Map<string, Map<string, Token>>();

  constructor(
    tokens: readonly Token[],
    private readonly tables: SchemaTables,
    private readonly out: Map<string, Access>,
  ) {
    super(tokens);
  }

  read(): void {
    while (!this.atEnd()) {
      const t = this.next();
      if (t.kind !== "word") throw new Unknown(`unexpected ${t.text} at the start of a clause`);
      switch (t.value) {
        case "MATCH":
          this.#match();
          break;
        case "OPTIONAL":
          this.expectWord("MATCH");
          this.#match();
          break;
        case "MERGE":
          this.#pattern("MERGE");
          while (this.isWord("ON")) {
            this.next();
            const what = this.next();
            if (what.kind !== "word" || (what.value !== "CREATE" && what.value !== "MATCH")) throw new Unknown("ON must be followed by CREATE or MATCH");
            this.expectWord("SET");
            this.#setItems();
          }
          break;
        case "CREATE":
          this.#patternList("CREATE");
          break;
        case "SET":
          this.#setItems();
          break;
        case "DETACH":
          this.expectWord("DELETE");
          this.#deleteItems();
          break;
        case "DELETE":
          this.#deleteItems();
          break;
        case "REMOVE":
          this.#removeItems();
          break;
        case "WITH":
          this.#with();
          break;
        case "UNWIND":
          this.#unwind();
          break;
        case "RETURN":
          // Returns change nothing; only what could follow (UNION, CALL) matters.
          while (!this.atEnd()) this.checkWord(this.next(), this.tokens[this.pos]);
          break;
        default:
          throw new Unknown(`clause ${t.text} is not analysed`);
      }
    }
  }

  // ---- clauses ----------------------------------------------------------------------------

  #match(): void {
    this.#whereKeys = this.#lookAheadWhereKeys();
    try {
      this.#patternList("MATCH");
    } finally {
      this.#whereKeys = new Map();
    }
    if (this.isWord("WHERE")) {
      this.next();
      this.skipExpression(false);
    }
  }

  #patternList(clause: Clause): void {
    this.#pattern(clause);
    while (this.isPunct(",")) {
      this.next();
      this.#pattern(clause);
    }
  }

  /** One path: `[p =] (node) (-[rel]- (node))*`, recorded as `clause` accesses. */
  #pattern(clause: Clause): void {
    if (this.peek().kind === "word" && this.tokens[this.pos + 1]?.value === "=") throw new Unknown("named paths are not analysed");
    const nodes: PatternNode[] = [this.#node()];
    const rels: PatternRel[] = [];
    while (this.isPunct("-") || this.isPunct("<")) {
      rels.push(this.#rel());
      nodes.push(this.#node());
    }
    // Endpoints without a label take it from the relationship table, when it has one pair.
    rels.forEach((rel, i) => {
      const [left, right] = [nodes[i]!, nodes[i + 1]!];
      const def = this.#relTable(rel.table);
      const only = def.pairs.length === 1 ? def.pairs[0]! : null;
      for (const [node, side] of [[left, rel.direction === "left" ? 1 : 0], [right, rel.direction === "left" ? 0 : 1]] as const) {
        if (node.binding === null && only !== null && rel.direction !== "both") this.#bindNew(node, only[side]);
      }
    });
    for (const node of nodes) {
      if (node.binding === null) throw new Unknown("a node pattern without a label is not analysed");
      if (!node.isNew) continue;
      const table = this.#nodeTable(node.binding.table);
      if (clause !== "MATCH") {
        if (table.orderDependent) throw new Unknown(`creating a ${node.binding.table} node depends on the order of creation`);
        if (clause === "CREATE" && !node.keyGiven) throw new Unknown(`CREATE of a ${node.binding.table} node without its primary key`);
      }
      this.#record(clause !== "MATCH", node.binding.table, node.binding.key === null ? null : [node.binding.key]);
    }
    rels.forEach((rel, i) => {
      const def = this.#relTable(rel.table);
      if (clause !== "MATCH" && def.orderDependent) throw new Unknown(`creating a ${rel.table} relationship depends on the order of creation`);
      const [left, right] = [nodes[i]!.binding!, nodes[i + 1]!.binding!];
      const oriented: (readonly [NodeBinding, NodeBinding])[] =
        rel.direction === "right" ? [[left, right]] : rel.direction === "left" ? [[right, left]] : [[left, right], [right, left]];
      const accesses = oriented.flatMap(([from, to]) => relAccesses(rel.table, def, from, to));
      for (const a of accesses) this.#record(clause !== "MATCH", a.table, a.key);
      if (rel.name !== null) this.#bind(rel.name, { kind: "rel", accesses });
    });
  }

  #setItems(): void {
    do {
      const target = this.#variable();
      const t = this.next();
      if (t.value === ".") {
        this.next();
        this.expectPunct("=");
      } else if (t.value === "+") {
        this.expectPunct("=");
      } else if (t.value === ":") {
        this.next();
        this.#writeBinding(target);
        continue;
      } else if (t.value !== "=") {
        throw new Unknown(`SET ${t.text} is not analysed`);
      }
      this.#writeBinding(target);
      this.skipExpression(true);
    } while (this.isPunct(",") && this.next());
  }

  #deleteItems(): void {
    do {
      this.#writeBinding(this.#variable());
      if (!this.atEnd() && !this.isPunct(",") && !this.isClauseWord()) throw new Unknown("DELETE of an expression is not analysed");
    } while (this.isPunct(",") && this.next());
  }

  #removeItems(): void {
    do {
      this.#writeBinding(this.#variable());
      const t = this.next();
      if (t.value !== "." && t.value !== ":") throw new Unknown(`REMOVE ${t.text} is not analysed`);
      this.next();
    } while (this.isPunct(",") && this.next());
  }

  #with(): void {
    if (this.isWord("DISTINCT")) this.next();
    const scope = new Map<string, { name: string; binding: Binding }>();
    if (this.isPunct("*")) {
      this.next();
      for (const [k, v] of this.#scope) scope.set(k, v);
      if (!this.isPunct(",")) return this.#withTail(scope);
      this.next();
    }
    do {
      const start = this.pos;
      this.skipExpression(true, new Set(["AS"]));
      const item = this.tokens.slice(start, this.pos);
      let alias: string | null = null;
      if (this.isWord("AS")) {
        this.next();
        alias = this.name(this.next());
      }
      const single = item.length === 1 ? item[0]! : null;
      const source = single && (single.kind === "word" || single.kind === "quoted") ? this.#lookup(single.kind === "word" ? single.text : single.value) : null;
      const name = alias ?? (single && (single.kind === "word" || single.kind === "quoted") ? (single.kind === "word" ? single.text : single.value) : null);
      if (name === null) continue; // an unnamed expression cannot be referred to later
      const binding: Binding = source ?? { kind: "value", key: single ? literalKey(single) : null };
      const upper = name.toUpperCase();
      const clash = scope.get(upper);
      if (clash && clash.name !== name) throw new Unknown(`variables ${clash.name} and ${name} differ only in case`);
      scope.set(upper, { name, binding });
    } while (this.isPunct(",") && this.next());
    this.#withTail(scope);
  }

  /** ORDER BY / SKIP / LIMIT / WHERE after a WITH's items (WHERE sees the new scope). */
  #withTail(scope: Map<string, { name: string; binding: Binding }>): void {
    this.#scope = scope;
    while (this.isWord("ORDER") || this.isWord("SKIP") || this.isWord("LIMIT") || this.isWord("WHERE")) {
      if (this.next().value === "ORDER") this.expectWord("BY");
      do this.skipExpression(true);
      while (this.isPunct(",") && this.next());
    }
  }

  #unwind(): void {
    this.skipExpression(false, new Set(["AS"]));
    this.expectWord("AS");
    // An element of a list, not the list parameter itself: never a key.
    this.#bind(this.name(this.next()), { kind: "value", key: null });
  }

  // ---- patterns ---------------------------------------------------------------------------

  #node(): PatternNode {
    this.expectPunct("(");
    let name: string | null = null;
    if (this.peek().kind === "word" || this.peek().kind === "quoted") name = this.name(this.next());
    let label: string | null = null;
    if (this.isPunct(":")) {
      this.next();
      label = this.name(this.next()).toUpperCase();
      if (this.isPunct("|") || this.isPunct(":")) throw new Unknown("a node pattern with several labels is not analysed");
    }
    const props = this.isPunct("{") ? this.#properties() : new Map<string, Token[]>();
    this.expectPunct(")");
    const existing = name === null ? null : this.#lookup(name);
    if (existing) {
      if (existing.kind !== "node") throw new Unknown(`${name} is not a node`);
      if (label !== null && label !== existing.table) throw new Unknown(`${name} is used with two labels`);
      return { binding: existing, isNew: false, name, key: existing.key, keyGiven: true };
    }
    const pk = label === null ? null : this.#nodeTable(label).primaryKey;
    const whereKey = pk === null || name === null ? undefined : this.#whereKeys.get(name)?.get(pk);
    const keyTokens = pk === null ? undefined : (props.get(pk) ?? (whereKey ? [whereKey] : undefined));
    const key = keyTokens?.length === 1 ? this.#keyOf(keyTokens[0]!) : null;
    const node: PatternNode = { binding: null, isNew: true, name, key, keyGiven: keyTokens !== undefined };
    if (label !== null) this.#bindNew(node, label);
    return node;
  }

  #bindNew(node: PatternNode, table: string): void {
    this.#nodeTable(table);
    node.binding = { kind: "node", table, key: node.key };
    if (node.name !== null) this.#bind(node.name, node.binding);
  }

  /** `-[name:TYPE {…}]->`, `<-[…]-` or `-[…]-`. */
  #rel(): PatternRel {
    const leftArrow = this.isPunct("<");
    if (leftArrow) this.next();
    this.expectPunct("-");
    if (!this.isPunct("[")) throw new Unknown("a relationship pattern without a type is not analysed");
    this.next();
    let name: string | null = null;
    if (this.peek().kind === "word" || this.peek().kind === "quoted") name = this.name(this.next());
    if (!this.isPunct(":")) throw new Unknown("a relationship pattern without a type is not analysed");
    this.next();
    const table = this.name(this.next()).toUpperCase();
    this.#relTable(table);
    if (this.isPunct("|") || this.isPunct(":")) throw new Unknown("a relationship pattern with several types is not analysed");
    if (this.isPunct("*")) throw new Unknown("variable-length relationships are not analysed");
    if (this.isPunct("{")) this.#properties();
    this.expectPunct("]");
    this.expectPunct("-");
    const rightArrow = this.isPunct(">");
    if (rightArrow) this.next();
    if (leftArrow && rightArrow) throw new Unknown("<-[…]-> is not a relationship direction");
    if (name !== null && this.#lookup(name)) throw new Unknown(`relationship variable ${name} is bound twice`);
    return { table, name, direction: rightArrow ? "right" : leftArrow ? "left" : "both" };
  }

  /** `{name: expr, …}`: property name (upper-cased) → the expression's tokens. */
  #properties(): Map<string, Token[]> {
    this.expectPunct("{");
    const props = new Map<string, Token[]>();
    if (this.isPunct("}")) {
      this.next();
      return props;
    }
    do {
      const key = this.name(this.next()).toUpperCase();
      this.expectPunct(":");
      const start = this.pos;
      this.skipExpression(true, new Set(), "}");
      props.set(key, this.tokens.slice(start, this.pos) as Token[]);
    } while (this.isPunct(",") && this.next());
    this.expectPunct("}");
    return props;
  }

  /** A key given as one token: a parameter, a literal, or a variable holding one of those. */
  #keyOf(t: Token): KeyPart | null {
    if (t.kind === "word" || t.kind === "quoted") {
      const b = this.#lookup(t.kind === "word" ? t.text : t.value);
      return b?.kind === "value" ? b.key : null;
    }
    return literalKey(t);
  }

  /**
   * The `var.prop = value` (or `value = var.prop`) conjuncts of the WHERE that ends the MATCH at
   * the cursor, without moving it: `MATCH (a:User) WHERE a.id = $id` reads one user, like
   * `MATCH (a:User {id: $id})`. Only a plain conjunction counts: an OR or XOR outside brackets
   * and no key is taken from it.
   */
  #lookAheadWhereKeys(): Map<string, Map<string, Token>> {
    const keys = new Map<string, Map<string, Token>>();
    let i = this.pos;
    let depth = 0;
    const at = (k: number) => this.tokens[k]!;
    const bracket = (t: Token) => (t.kind !== "punct" ? 0 : "([{".includes(t.value) ? 1 : ")]}".includes(t.value) ? -1 : 0);
    for (; at(i).kind !== "end"; i++) {
      const t = at(i);
      if (depth === 0 && t.kind === "word" && CLAUSE_WORDS.has(t.value)) break;
      depth += bracket(t);
    }
    if (!(at(i).kind === "word" && at(i).value === "WHERE")) return keys;
    const conjuncts: Token[][] = [[]];
    for (i++, depth = 0; at(i).kind !== "end"; i++) {
      const t = at(i);
      if (depth === 0 && t.kind === "word") {
        const prev = at(i - 1);
        const operatorWith = t.value === "WITH" && prev.kind === "word" && (prev.value === "STARTS" || prev.value === "ENDS");
        if (CLAUSE_WORDS.has(t.value) && !operatorWith) break;
        if (t.value === "OR" || t.value === "XOR") return keys;
        if (t.value === "AND") {
          conjuncts.push([]);
          continue;
        }
      }
      depth += bracket(t);
      conjuncts[conjuncts.length - 1]!.push(t);
    }
    for (const c of conjuncts) {
      if (c.length !== 5) continue;
      const forward = c[1]!.value === "." && c[3]!.value === "=";
      const reversed = c[1]!.value === "=" && c[3]!.value === ".";
      const [left, right] = forward ? [c.slice(0, 3), c[4]!] : reversed ? [c.slice(2), c[0]!] : [null, null];
      if (left === null || right === null) continue;
      const [v, , prop] = left;
      if ((v!.kind !== "word" && v!.kind !== "quoted") || (prop!.kind !== "word" && prop!.kind !== "quoted")) continue;
      const name = v!.kind === "word" ? v!.text : v!.value;
      const props = keys.get(name) ?? new Map<string, Token>();
      props.set(prop!.value.toUpperCase(), right);
      keys.set(name, props);
    }
    return keys;
  }

  // ---- bindings and accesses ----------------------------------------------------------------

  #lookup(name: string): Binding | null {
    const entry = this.#scope.get(name.toUpperCase());
    if (!entry) return null;
    if (entry.name !== name) throw new Unknown(`variables ${entry.name} and ${name} differ only in case`);
    return entry.binding;
  }

  #bind(name: string, binding: Binding): void {
    const upper = name.toUpperCase();
    const clash = this.#scope.get(upper);
    if (clash && clash.name !== name) throw new Unknown(`variables ${clash.name} and ${name} differ only in case`);
    this.#scope.set(upper, { name, binding });
  }

  #variable(): Binding {
    const t = this.next();
    if (t.kind !== "word" && t.kind !== "quoted") throw new Unknown(`expected a variable, found ${t.text}`);
    const b = this.#lookup(t.kind === "word" ? t.text : t.value);
    if (!b) throw new Unknown(`variable ${t.text} is not bound`);
    return b;
  }

  #writeBinding(b: Binding): void {
    if (b.kind === "node") this.#record(true, b.table, b.key === null ? null : [b.key]);
    else if (b.kind === "rel") for (const a of b.accesses) this.#record(true, a.table, a.key);
    else throw new Unknown("writing to a value that is not a node or relationship is not analysed");
  }

  #record(write: boolean, table: string, key: readonly KeyPart[] | null): void {
    const id = `${table}\u0000${key === null ? "*" : JSON.stringify(key)}`;
    const known = this.out.get(id);
    if (!known || (write && !known.write)) this.out.set(id, { write, table, key });
  }

  #nodeTable(name: string): NodeTable {
    const t = this.tables.nodes.get(name);
    if (!t) throw new Unknown(`${name} is not a node table of the schema`);
    return t;
  }

  #relTable(name: string): RelTable {
    const t = this.tables.rels.get(name);
    if (!t) throw new Unknown(`${name} is not a relationship table of the schema`);
    return t;
  }
}

/** A literal key: a string without escapes (its content) or a number (its canonical text). */
function literalKey(t: Token): KeyPart | null {
  if (t.kind === "param") return { param: t.text.slice(1) };
  if (t.kind === "string") return t.text.includes("\\") ? null : t.text.slice(1, -1);
  if (t.kind === "number") return String(Number(t.text));
  return null;
}

/**
 * The accesses of a relationship from `from` to `to`: by both endpoint keys, or, where the table
 * allows one relationship per endpoint (MANY_ONE, ONE_MANY, ONE_ONE), by that endpoint's key, so
 * two events that each add one to the same endpoint conflict. A missing key means the whole table.
 */
function relAccesses(table: string, def: RelTable, from: NodeBinding, to: NodeBinding): Omit<Access, "write">[] {
  const out: Omit<Access, "write">[] = [];
  const side = (node: NodeBinding, dir: string) => ({ table, key: node.key === null ? null : [dir, node.table, node.key] });
  if (def.multiplicity === "MANY_MANY") {
    out.push({ table, key: from.key === null || to.key === null ? null : [from.table, from.key, to.table, to.key] });
  }
  if (def.multiplicity === "MANY_ONE" || def.multiplicity === "ONE_ONE") out.push(side(from, "out"));
  if (def.multiplicity === "ONE_MANY" || def.multiplicity === "ONE_ONE") out.push(side(to, "in"));
  return out;
}
