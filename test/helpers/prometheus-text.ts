/**
 * A strict reader of Prometheus's text exposition format 0.0.4, for tests:
 * prom-client writes the format but does not read it. It throws on any line
 * that is not a `# HELP`, a `# TYPE` or a sample of a declared family, so a
 * test that parses the output also checks it is valid.
 */
export interface PrometheusSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface PrometheusText {
  types: Map<string, string>;
  help: Map<string, string>;
  samples: PrometheusSample[];
  /** The value of the one sample named `name` whose labels include `labels`; undefined when none, an error when several. */
  value(name: string, labels?: Record<string, string>): number | undefined;
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL = '[a-zA-Z_][a-zA-Z0-9_]*';
const HELP_LINE = new RegExp(`^# HELP (${NAME}) (.*)$`);
const TYPE_LINE = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`);
const SAMPLE_LINE = new RegExp(`^(${NAME})(?:\\{((?:${LABEL}="(?:[^"\\\\\\n]|\\\\[\\\\"n])*",?)*)\\})? (\\S+)(?: -?\\d+)?$`);
const LABEL_PAIR = new RegExp(`(${LABEL})="((?:[^"\\\\\\n]|\\\\[\\\\"n])*)"`, 'g');
const VALUE = /^(?:[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)|[+-]?Inf|NaN)$/;
/** The samples a family of each type may hold, by suffix. */
const SUFFIXES: Record<string, string[]> = { counter: [''], gauge: [''], untyped: [''], histogram: ['_bucket', '_sum', '_count'], summary: ['', '_sum', '_count'] };

export function parsePrometheusText(text: string): PrometheusText {
  if (!text.endsWith('\n')) throw new Error('the exposition must end with a newline');
  const types = new Map<string, string>();
  const help = new Map<string, string>();
  const samples: PrometheusSample[] = [];
  const lines = text.slice(0, -1).split('\n');
  for (const [index, line] of lines.entries()) {
    const where = `line ${index + 1}: ${JSON.stringify(line)}`;
    if (line === '') continue;
    const helpLine = HELP_LINE.exec(line);
    if (helpLine) {
      if (help.has(helpLine[1] as string)) throw new Error(`a second HELP for one family, ${where}`);
      help.set(helpLine[1] as string, helpLine[2] as string);
      continue;
    }
    const typeLine = TYPE_LINE.exec(line);
    if (typeLine) {
      if (types.has(typeLine[1] as string)) throw new Error(`a second TYPE for one family, ${where}`);
      types.set(typeLine[1] as string, typeLine[2] as string);
      continue;
    }
    if (line.startsWith('#')) throw new Error(`an unknown comment, ${where}`);
    const sample = SAMPLE_LINE.exec(line);
    if (!sample) throw new Error(`not a sample, ${where}`);
    const [, name = '', labelText = '', valueText = ''] = sample;
    if (!VALUE.test(valueText)) throw new Error(`not a number, ${where}`);
    const family = [...types.entries()].find(([familyName, type]) => (SUFFIXES[type] ?? []).some((suffix) => `${familyName}${suffix}` === name));
    if (!family) throw new Error(`a sample before its family's TYPE, ${where}`);
    const labels: Record<string, string> = {};
    for (const pair of labelText.matchAll(LABEL_PAIR)) {
      const labelName = pair[1] as string;
      if (labelName in labels) throw new Error(`a label twice, ${where}`);
      labels[labelName] = (pair[2] as string).replace(/\\(["\\n])/g, (_match, escaped: string) => (escaped === 'n' ? '\n' : escaped));
    }
    samples.push({ name, labels, value: Number(valueText.replace(/^\+?Inf$/, 'Infinity').replace(/^-Inf$/, '-Infinity')) });
  }
  return {
    types,
    help,
    samples,
    value(name, labels = {}) {
      const found = samples.filter((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value));
      if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
      return found[0]?.value;
    },
  };
}
