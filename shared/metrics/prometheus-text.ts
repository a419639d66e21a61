/**
 * Counters and histograms in memory, rendered in the Prometheus text exposition format (0.0.4):
 * `# HELP`, `# TYPE`, one sample a line, label values escaped, histogram buckets cumulative with
 * `le="+Inf"`, `_sum` and `_count`. Small on purpose: the local runtime needs a handful of series.
 */
type Labels = Record<string, string>;

interface Family {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  buckets?: readonly number[];
  series: Map<string, { labels: Labels; value: number; counts?: number[]; sum?: number }>;
}

export class MetricsRegistry {
  readonly #families = new Map<string, Family>();

  counter(name: string, help: string) {
    const family = this.#family(name, help, 'counter');
    return {
      inc: (labels: Labels = {}, by = 1) => {
        this.#series(family, labels).value += by;
      },
    };
  }

  histogram(name: string, help: string, buckets: readonly number[]) {
    const family = this.#family(name, help, 'histogram', [...buckets].sort((a, b) => a - b));
    return {
      observe: (value: number, labels: Labels = {}) => {
        const series = this.#series(family, labels);
        family.buckets!.forEach((bound, i) => {
          if (value <= bound) series.counts![i]!++;
        });
        series.value++;
        series.sum! += value;
      },
    };
  }

  render(): string {
    const lines: string[] = [];
    for (const family of this.#families.values()) {
      lines.push(`# HELP ${family.name} ${family.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${family.name} ${family.type}`);
      for (const series of family.series.values()) {
        if (family.type === 'counter') {
          lines.push(`${family.name}${labelText(series.labels)} ${series.value}`);
          continue;
        }
        family.buckets!.forEach((bound, i) => lines.push(`${family.name}_bucket${labelText({ ...series.labels, le: String(bound) })} ${series.counts![i]}`));
        lines.push(`${family.name}_bucket${labelText({ ...series.labels, le: '+Inf' })} ${series.value}`);
        lines.push(`${family.name}_sum${labelText(series.labels)} ${series.sum}`);
        lines.push(`${family.name}_count${labelText(series.labels)} ${series.value}`);
      }
    }
    return lines.join('\n') + '\n';
  }

  #family(name: string, help: string, type: Family['type'], buckets?: readonly number[]): Family {
    const family: Family = { name, help, type, ...(buckets ? { buckets } : {}), series: new Map() };
    this.#families.set(name, family);
    return family;
  }

  #series(family: Family, labels: Labels) {
    const key = JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
    let series = family.series.get(key);
    if (!series) {
      series = { labels, value: 0, ...(family.type === 'histogram' ? { counts: family.buckets!.map(() => 0), sum: 0 } : {}) };
      family.series.set(key, series);
    }
    return series;
  }
}

function labelText(labels: Labels): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return '';
  return `{${entries.map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`).join(',')}}`;
}
