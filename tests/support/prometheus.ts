/**
 * A small, strict parser of the Prometheus text exposition format (0.0.4), for tests: every line
 * must be a comment, HELP, TYPE or a well-formed sample of a declared family; histograms must be
 * cumulative and end in `+Inf` equal to `_count`. Throws on anything else.
 * @module
 */

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Family {
  readonly name: string;
  readonly type: "counter" | "gauge" | "histogram" | "summary" | "untyped";
  help: string;
  readonly samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?[ \t]+(\S+)(?:[ \t]+-?\d+)?$/;
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"\s*(,|$)/y;
const SUFFIXES: Record<Family["type"], readonly string[]> = {
  counter: [""],
  gauge: [""],
  untyped: [""],
  histogram: ["_bucket", "_sum", "_count"],
  summary: ["", "_sum", "_count"],
};

function parseValue(text: string, line: string): number {
  if (text === "+Inf") return Infinity;
  if (text === "-Inf") return -Infinity;
  if (text === "NaN") return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`bad sample value ${JSON.stringify(text)} in: ${line}`);
  return Number(text);
}

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < text.length) {
    const m = LABEL.exec(text);
    if (!m) throw new Error(`bad labels in: ${line}`);
    const name = m[1]!;
    if (Object.hasOwn(labels, name)) throw new Error(`label ${name} repeated in: ${line}`);
    labels[name] = m[2]!.replace(/\\(["\\n])/g, (_, c: string) => (c === "n" ? "\n" : c));
    if (m[3] === "") break;
  }
  return labels;
}

/**
 * @example
 * const families = parsePrometheusText(await (await fetch(`${url}/metrics`)).text());
 * sampleValue(families, "kuzu_sync_events_appended_total", { template: "CREATE_USER" });
 */
export function parsePrometheusText(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const sampleOwner = new Map<string, Family>();
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    if (line.startsWith("#")) {
      const m = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s+(.*))?$/.exec(line);
      if (!m) continue; // a plain comment
      const [, kind, name, rest = ""] = m;
      if (!NAME.test(name!)) throw new Error(`bad metric name in: ${line}`);
      if (kind === "TYPE") {
        if (!(rest in SUFFIXES)) throw new Error(`bad type in: ${line}`);
        if (families.get(name!)?.samples.length) throw new Error(`TYPE after samples in: ${line}`);
        const family: Family = { name: name!, type: rest as Family["type"], help: families.get(name!)?.help ?? "", samples: [] };
        families.set(name!, family);
        for (const suffix of SUFFIXES[family.type]) sampleOwner.set(name! + suffix, family);
      } else {
        const family = families.get(name!);
        if (family) family.help = rest;
        else families.set(name!, { name: name!, type: "untyped", help: rest, samples: [] });
      }
      continue;
    }
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`not a sample: ${line}`);
    const family = sampleOwner.get(m[1]!);
    if (!family) throw new Error(`sample of an undeclared family: ${line}`);
    family.samples.push({ name: m[1]!, labels: m[2] === undefined ? {} : parseLabels(m[2], line), value: parseValue(m[3]!, line) });
  }
  for (const family of families.values()) if (family.type === "histogram") checkHistogram(family);
  return families;
}

function checkHistogram(family: Family): void {
  const series = new Map<string, Sample[]>();
  const key = (labels: Readonly<Record<string, string>>) =>
    JSON.stringify(Object.entries(labels).filter(([k]) => k !== "le").sort(([a], [b]) => a.localeCompare(b)));
  for (const s of family.samples) {
    if (s.name !== `${family.name}_bucket`) continue;
    if (!("le" in s.labels)) throw new Error(`${family.name}: bucket without le`);
    const list = series.get(key(s.labels)) ?? [];
    list.push(s);
    series.set(key(s.labels), list);
  }
  for (const [labels, buckets] of series) {
    buckets.sort((a, b) => parseValue(a.labels["le"]!, "le") - parseValue(b.labels["le"]!, "le"));
    for (let i = 1; i < buckets.length; i++) {
      if (buckets[i]!.value < buckets[i - 1]!.value) throw new Error(`${family.name}${labels}: buckets are not cumulative`);
    }
    const last = buckets[buckets.length - 1]!;
    if (last.labels["le"] !== "+Inf") throw new Error(`${family.name}${labels}: no +Inf bucket`);
    const count = family.samples.find((s) => s.name === `${family.name}_count` && key(s.labels) === labels);
    if (count?.value !== last.value) throw new Error(`${family.name}${labels}: +Inf bucket ${last.value} differs from _count ${count?.value}`);
  }
}

/**
 * The value of one sample; a declared family without that sample (e.g. a counter with labels that
 * never moved) gives 0. Throws when the family is not declared at all.
 */
export function sampleValue(families: ReadonlyMap<string, Family>, name: string, labels: Readonly<Record<string, string>> = {}, sampleName = name): number {
  const family = families.get(name);
  if (!family) throw new Error(`no metric family ${name}`);
  const want = Object.entries(labels);
  const s = family.samples.find((x) => x.name === sampleName && want.every(([k, v]) => x.labels[k] === v) && Object.keys(x.labels).length === want.length);
  return s?.value ?? 0;
}
