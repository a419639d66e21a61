/**
 * A look at a tag pattern before RE2 compiles it: which construct RE2 does not support (named,
 * because re2js reports a lookbehind as "invalid named capture"), and an upper estimate of the
 * compiled program's size. Compiling expands counted repetitions (`(|a){1000}` becomes thousands
 * of instructions), so a pattern is refused on the estimate before any expensive compile, and
 * matching, linear in program size × tag length, stays cheap for every accepted pattern.
 */

export interface PatternSyntax {
  /** The first construct RE2 cannot run, in words (`lookbehind (?<=…)`), if any. */
  unsupported?: string;
  /** Roughly the compiled program's instruction count, never much below it. */
  estimatedSize: number;
}

interface Frame {
  /** Completed alternatives. */
  done: number;
  /** The alternative being read. */
  current: number;
  /** The last atom of `current`, which a repetition applies to. */
  last: number;
  alternations: number;
}

const GROUP_PREFIXES: [string, string][] = [
  ['(?<=', 'lookbehind (?<=…)'],
  ['(?<!', 'negative lookbehind (?<!…)'],
  ['(?=', 'lookahead (?=…)'],
  ['(?!', 'negative lookahead (?!…)'],
  ['(?>', 'atomic group (?>…)'],
  ['(?|', 'branch reset group (?|…)'],
  ['(?(', 'conditional (?(…)…)'],
  ['(?R', 'recursion (?R)'],
];

const COUNTED = /^\{(\d+)(,(\d*))?\}/;
const FLAGS_ONLY = /^\(\?[a-zA-Z-]*\)/;

export function inspectPattern(pattern: string): PatternSyntax {
  const stack: Frame[] = [];
  let frame: Frame = { done: 0, current: 0, last: 0, alternations: 0 };
  const atom = (size: number) => {
    frame.current += size;
    frame.last = size;
  };
  const found = (what: string): PatternSyntax => ({ unsupported: what, estimatedSize: 0 });

  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') {
      const next = pattern[i + 1] ?? '';
      if (/[1-9]/.test(next)) return found(`backreference \\${next}`);
      if (next === 'k' || next === 'g') return found(`backreference \\${next}`);
      if (next === 'Q') {
        const end = pattern.indexOf('\\E', i + 2);
        const literal = end === -1 ? pattern.length - i - 2 : end - i - 2;
        for (let k = 0; k < literal; k++) atom(1);
        i = end === -1 ? pattern.length : end + 1;
        continue;
      }
      if ((next === 'p' || next === 'P' || next === 'x') && pattern[i + 2] === '{') {
        const end = pattern.indexOf('}', i + 3);
        i = end === -1 ? pattern.length : end;
      } else {
        i++;
      }
      atom(1);
    } else if (c === '[') {
      i = classEnd(pattern, i);
      atom(1);
    } else if (c === '(') {
      const prefix = GROUP_PREFIXES.find(([text]) => pattern.startsWith(text, i));
      if (prefix) return found(prefix[1]);
      if (/^\(\?\d/.test(pattern.slice(i, i + 3))) return found('recursion (?N)');
      const flags = FLAGS_ONLY.exec(pattern.slice(i));
      if (flags) {
        i += flags[0].length - 1;
        continue;
      }
      stack.push(frame);
      frame = { done: 0, current: 0, last: 0, alternations: 0 };
    } else if (c === ')') {
      const size = frame.done + frame.current + frame.alternations + 2;
      frame = stack.pop() ?? frame;
      atom(size);
    } else if (c === '|') {
      frame.done += frame.current;
      frame.current = 0;
      frame.last = 0;
      frame.alternations++;
    } else if (c === '*' || c === '+' || c === '?') {
      if (pattern[i + 1] === '+') return found(`possessive quantifier ${c}+`);
      if (pattern[i + 1] === '?') i++;
      frame.current += 1;
      frame.last += 1;
    } else if (c === '{' && COUNTED.test(pattern.slice(i))) {
      const [text, low, range, high] = COUNTED.exec(pattern.slice(i))!;
      i += text.length - 1;
      if (pattern[i + 1] === '+') return found(`possessive quantifier ${text}+`);
      if (pattern[i + 1] === '?') i++;
      const n = Number(low);
      const copies = range === undefined ? n : high === '' ? n + 1 : Math.max(n, Number(high));
      const optional = range === undefined ? 0 : copies - n + 1;
      const size = frame.last * copies + optional;
      frame.current += size - frame.last;
      frame.last = size;
    } else {
      atom(1);
    }
  }
  while (stack.length > 0) {
    const size = frame.done + frame.current + frame.alternations + 2;
    frame = stack.pop()!;
    atom(size);
  }
  return { estimatedSize: frame.done + frame.current + frame.alternations + 2 };
}

/** Index of the `]` closing the class opened at `start` (a leading `]` or `^]` is literal). */
function classEnd(pattern: string, start: number): number {
  let i = start + 1;
  if (pattern[i] === '^') i++;
  if (pattern[i] === ']') i++;
  for (; i < pattern.length; i++) {
    if (pattern[i] === '\\') i++;
    else if (pattern.startsWith('[:', i)) {
      const end = pattern.indexOf(':]', i + 2);
      if (end !== -1) i = end + 1;
    } else if (pattern[i] === ']') return i;
  }
  return pattern.length;
}
