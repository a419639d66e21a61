/**
 * The rule form's fields, both ways: a stored rule into form values, and posted values into a
 * RuleInput checked exactly as `POST /rules` checks its JSON (schema, pattern, platforms, the
 * egress policy), every problem named at once.
 */
import { undeclaredProblems, type DeclaredRegistries } from '../../shared/oci/egress-policy.ts';
import { RuleInput, ruleProblems, type Rule } from '../../shared/rules/rule.ts';
import { zodProblems } from '../http/errors.ts';

export interface DestinationValues {
  registry: string;
  namespace: string;
  repository: string;
}

export interface RuleFormValues {
  name: string;
  enabled: boolean;
  sourceRegistry: string;
  sourceNamespace: string;
  sourceRepository: string;
  tagPattern: string;
  destinations: DestinationValues[];
  overwrite: boolean;
  referrers: boolean;
  platforms: string;
}

export type FormBody = Record<string, string | File | (string | File)[]>;

export const EMPTY_RULE_FORM: RuleFormValues = {
  name: '', enabled: true, sourceRegistry: '', sourceNamespace: '', sourceRepository: '', tagPattern: '.*',
  destinations: [], overwrite: true, referrers: true, platforms: '',
};

export function formValuesOf(rule: Rule): RuleFormValues {
  return {
    name: rule.name,
    enabled: rule.enabled,
    sourceRegistry: rule.source.registry,
    sourceNamespace: rule.source.namespace,
    sourceRepository: rule.source.repository ?? '',
    tagPattern: rule.tagPattern,
    destinations: rule.destinations.map((d) => ({ registry: d.registry, namespace: d.namespace, repository: d.repository ?? '' })),
    overwrite: rule.overwrite,
    referrers: rule.referrers,
    platforms: rule.platforms.join(', '),
  };
}

const text = (body: FormBody, name: string): string => {
  const value = body[name];
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' ? first : '';
};
const list = (body: FormBody, name: string): string[] => {
  const value = body[name];
  return (Array.isArray(value) ? value : value === undefined ? [] : [value]).map((v) => (typeof v === 'string' ? v : ''));
};

export function readRuleForm(body: FormBody): RuleFormValues {
  const registries = list(body, 'destRegistry');
  const namespaces = list(body, 'destNamespace');
  const repositories = list(body, 'destRepository');
  return {
    name: text(body, 'name'),
    enabled: text(body, 'enabled') === 'on',
    sourceRegistry: text(body, 'sourceRegistry'),
    sourceNamespace: text(body, 'sourceNamespace'),
    sourceRepository: text(body, 'sourceRepository'),
    tagPattern: text(body, 'tagPattern'),
    destinations: registries
      .map((registry, i) => ({ registry, namespace: namespaces[i] ?? '', repository: repositories[i] ?? '' }))
      .filter((d) => d.registry.trim() !== '' || d.namespace.trim() !== '' || d.repository.trim() !== ''),
    overwrite: text(body, 'overwrite') === 'on',
    referrers: text(body, 'referrers') === 'on',
    platforms: text(body, 'platforms'),
  };
}

/** The RuleInput the values describe, or every problem with them. */
export function validateRuleForm(values: RuleFormValues, declared: DeclaredRegistries | undefined): { input?: RuleInput; problems: string[] } {
  const optional = (value: string) => (value.trim() === '' ? {} : { repository: value.trim() });
  const parsed = RuleInput.safeParse({
    name: values.name,
    enabled: values.enabled,
    source: { registry: values.sourceRegistry, namespace: values.sourceNamespace, ...optional(values.sourceRepository) },
    tagPattern: values.tagPattern,
    destinations: values.destinations.map((d) => ({ registry: d.registry, namespace: d.namespace, ...optional(d.repository) })),
    overwrite: values.overwrite,
    referrers: values.referrers,
    platforms: values.platforms.split(/[\s,]+/).filter(Boolean),
  });
  if (!parsed.success) return { problems: zodProblems(parsed.error) };
  const input = parsed.data;
  const problems = [
    ...ruleProblems(input),
    ...undeclaredProblems(declared, [['source.registry', input.source.registry], ...input.destinations.map((d, i) => [`destinations.${i}.registry`, d.registry] as const)]),
  ];
  return problems.length > 0 ? { problems } : { input, problems };
}
