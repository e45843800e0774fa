/**
 * `matches` patterns: Wireshark compiles them with PCRE2; we translate to a JavaScript RegExp source (no `u`
 * flag) and refuse what JavaScript cannot express rather than match differently.
 *
 * - tshark 4.0 matches case-insensitively unless the pattern starts with `(?-i)`; leading inline flags
 *   (`(?i)`, `(?-i)`, `(?s)`, `(?m)`, combined as `(?sm-i)`) become the returned flags ('i', 's', 'm').
 * - PCRE-only syntax is rewritten: POSIX classes (`[[:alpha:]]`), `\A \z \Z`, PCRE's `$` (end or before a
 *   final newline), `\Q…\E`, `\x{hhhh}`, `\e`, `\a`, `\h`, `\R`, `(?P<n>…)`, `(?P=n)`, `(?#…)`, a leading `]`
 *   in a class.
 * - Refused with an error: possessive quantifiers, atomic groups, conditionals, recursion, inline flags
 *   after the start, `\p{…}`, `\G`, `\K`, and nested unbounded repetition such as `(a+)+` or `(a*b?)*`,
 *   which can take exponential time in a backtracking engine (the JS predicate runs in-process).
 */

export const MAX_REGEX_LENGTH = 1024;

const POSIX: Record<string, string> = {
  alpha: 'a-zA-Z',
  digit: '0-9',
  alnum: 'a-zA-Z0-9',
  upper: 'A-Z',
  lower: 'a-z',
  space: '\\t\\n\\v\\f\\r ',
  blank: ' \\t',
  xdigit: '0-9A-Fa-f',
  punct: '!-\\/:-@\\[-`{-~',
  word: '\\w',
  cntrl: '\\x00-\\x1f\\x7f',
  print: ' -~',
  graph: '!-~',
  ascii: '\\x00-\\x7f',
};

type Fail = (msg: string, at: number) => never;

export function compileRegex(src: string, fail: Fail): { pattern: string; flags: string } {
  if (src.length > MAX_REGEX_LENGTH) fail(`a pattern longer than ${MAX_REGEX_LENGTH} characters`, 0);
  const flags = new Set<string>(['i']);
  let i = 0;
  for (;;) {
    const m = /^\(\?([a-zA-Z]*)(?:-([a-zA-Z]*))?\)/.exec(src.slice(i));
    if (!m) break;
    for (const c of m[1]) {
      if (!'ism'.includes(c)) fail(`the inline flag "${c}" is not supported (only i, s, m)`, i);
      flags.add(c);
    }
    for (const c of m[2] ?? '') {
      if (!'ism'.includes(c)) fail(`the inline flag "${c}" is not supported (only i, s, m)`, i);
      flags.delete(c);
    }
    i += m[0].length;
  }
  const multiline = flags.has('m');
  let out = '';
  // per open group: whether it contains unbounded repetition
  const groups: Array<{ unbounded: boolean; at: number }> = [];
  // the last atom: null at a start, after '(' or '|'; 'group' carries whether it contains unbounded repetition
  let last: null | { kind: 'simple' } | { kind: 'group'; unbounded: boolean } = null;

  const hex2 = (n: number): string => n.toString(16).padStart(2, '0');
  const escapeLiteral = (s: string): string => s.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');

  /** An escape after '\\' at src[j]; returns [translation, next index]. In a class some translations differ. */
  const esc = (j: number, inClass: boolean): [string, number] => {
    const c = src[j];
    if (c === undefined) fail('a backslash at the end', j - 1);
    if (/[dDwWsSnrtfv]/.test(c)) return ['\\' + c, j + 1];
    if (c === 'b') return [inClass ? '\\x08' : '\\b', j + 1];
    if (c === 'B' && !inClass) return ['\\B', j + 1];
    if (c === 'e') return ['\\x1b', j + 1];
    if (c === 'a') return ['\\x07', j + 1];
    if (c === 'h') return [inClass ? ' \\t' : '[ \\t]', j + 1];
    if (c === 'H' && !inClass) return ['[^ \\t]', j + 1];
    if (c === 'x') {
      if (src[j + 1] === '{') {
        const m = /^\{([0-9a-fA-F]{1,6})\}/.exec(src.slice(j + 1));
        if (!m) fail('\\x{…} wants hex digits', j - 1);
        const cp = parseInt(m[1], 16);
        if (cp > 0xffff) fail('characters beyond U+FFFF are not supported', j - 1);
        return ['\\u' + cp.toString(16).padStart(4, '0'), j + 1 + m[0].length];
      }
      const m = /^[0-9a-fA-F]{0,2}/.exec(src.slice(j + 1))!;
      return ['\\x' + hex2(m[0] ? parseInt(m[0], 16) : 0), j + 1 + m[0].length];
    }
    if (c === '0') {
      const m = /^[0-7]{0,2}/.exec(src.slice(j + 1))!;
      return ['\\x' + hex2(parseInt('0' + m[0], 8)), j + 1 + m[0].length];
    }
    if (c === 'c') {
      const x = src[j + 1];
      if (!x || !/[A-Za-z]/.test(x)) fail('\\c wants a letter', j - 1);
      return ['\\c' + x, j + 2];
    }
    if (/[1-9]/.test(c)) {
      if (inClass) fail('a back reference inside a class', j - 1);
      const m = /^[0-9]+/.exec(src.slice(j))!;
      return ['\\' + m[0], j + m[0].length];
    }
    if (!inClass) {
      if (c === 'A') return ['^', j + 1];
      if (c === 'z') return ['$', j + 1];
      if (c === 'Z') return ['(?=\\n?$)', j + 1];
      if (c === 'R') return ['(?:\\r\\n|[\\n\\v\\f\\r\\x85])', j + 1];
      if (c === 'N') return ['[^\\n]', j + 1];
      if (c === 'g') {
        const m = /^g(?:\{(\d+)\}|(\d+))/.exec(src.slice(j));
        if (!m) fail('\\g is only supported as a numbered back reference', j - 1);
        return ['\\' + (m[1] ?? m[2]), j + m[0].length];
      }
      if (c === 'k') {
        const m = /^k(?:<(\w+)>|\{(\w+)\}|'(\w+)')/.exec(src.slice(j));
        if (!m) fail('\\k wants a group name', j - 1);
        return [`\\k<${m[1] ?? m[2] ?? m[3]}>`, j + m[0].length];
      }
    }
    if (c === 'Q') {
      const e = src.indexOf('\\E', j + 1);
      const lit = e < 0 ? src.slice(j + 1) : src.slice(j + 1, e);
      return [inClass ? lit.replace(/[\\\]^-]/g, '\\$&') : escapeLiteral(lit), e < 0 ? src.length : e + 2];
    }
    if (c === 'E') return ['', j + 1];
    if (/[A-Za-z]/.test(c)) fail(`the escape \\${c} is not supported`, j - 1);
    return ['\\' + c, j + 1];
  };

  while (i < src.length) {
    const c = src[i];
    if (c === '\\') {
      const [t, n] = esc(i + 1, false);
      out += t;
      last = t === '' ? last : t === '^' || t === '$' || t === '\\b' || t === '\\B' ? null : { kind: 'simple' };
      i = n;
      continue;
    }
    if (c === '[') {
      let j = i + 1;
      let cls = '[';
      if (src[j] === '^') { cls += '^'; j++; }
      if (src[j] === ']') { cls += '\\]'; j++; }
      let closed = false;
      while (j < src.length) {
        const d = src[j];
        if (d === ']') { closed = true; j++; break; }
        if (d === '[' && src[j + 1] === ':') {
          const m = /^\[:(\^?)([a-z]+):\]/.exec(src.slice(j));
          if (m) {
            const p = POSIX[m[2]];
            if (!p) fail(`unknown POSIX class [:${m[2]}:]`, j);
            if (m[1]) fail('negated POSIX classes ([:^…:]) are not supported', j);
            cls += p;
            j += m[0].length;
            continue;
          }
        }
        if (d === '[' && (src[j + 1] === '=' || src[j + 1] === '.')) fail('collating elements in a class are not supported', j);
        if (d === '\\') {
          const [t, n] = esc(j + 1, true);
          cls += t;
          j = n;
          continue;
        }
        cls += d === '[' ? '\\[' : d;
        j++;
      }
      if (!closed) fail('a character class "[" without its "]"', i);
      out += cls + ']';
      last = { kind: 'simple' };
      i = j;
      continue;
    }
    if (c === '(') {
      const rest = src.slice(i);
      if (rest.startsWith('(?#')) {
        const e = src.indexOf(')', i);
        if (e < 0) fail('a comment "(?#" without its ")"', i);
        i = e + 1;
        continue;
      }
      let open = '(';
      let n = 1;
      if (rest[1] === '?') {
        const m = /^\(\?(?::|=|!|<=|<!|<(\w+)>|P<(\w+)>|'(\w+)')/.exec(rest);
        const back = /^\(\?P=(\w+)\)/.exec(rest);
        if (back) {
          out += `\\k<${back[1]}>`;
          last = { kind: 'simple' };
          i += back[0].length;
          continue;
        }
        if (!m) {
          if (/^\(\?[a-zA-Z-]*[:)]/.test(rest)) fail('inline flags are only supported at the start of the pattern', i);
          if (rest.startsWith('(?>')) fail('atomic groups (?>…) are not supported', i);
          if (rest.startsWith('(?|')) fail('branch reset groups (?|…) are not supported', i);
          if (rest.startsWith('(?(')) fail('conditional groups are not supported', i);
          fail('this group syntax is not supported', i);
        }
        const name = m[1] ?? m[2] ?? m[3];
        open = name ? `(?<${name}>` : m[0];
        n = m[0].length;
      } else if (rest[1] === '*') fail('verbs such as (*…) are not supported', i);
      groups.push({ unbounded: false, at: i });
      out += open;
      last = null;
      i += n;
      continue;
    }
    if (c === ')') {
      const g = groups.pop();
      if (!g) fail('")" without its "("', i);
      if (g.unbounded && groups.length) groups[groups.length - 1].unbounded = true;
      out += ')';
      last = { kind: 'group', unbounded: g.unbounded };
      i++;
      continue;
    }
    if (c === '|') {
      out += '|';
      last = null;
      i++;
      continue;
    }
    const q = /^(?:[*+?]|\{(\d*)(,?)(\d*)\})/.exec(src.slice(i));
    if (q && (q[0].length === 1 || q[1] !== '' )) {
      if (last === null) fail('a repetition with nothing to repeat', i);
      const unbounded = q[0] === '*' || q[0] === '+' || (q[2] === ',' && q[3] === '');
      if (q[1] !== undefined && q[3] !== '' && Number(q[3]) < Number(q[1])) fail('a repetition {n,m} with m < n', i);
      let j = i + q[0].length;
      if (src[j] === '+') fail('possessive quantifiers (*+, ++, ?+) are not supported', j);
      let lazy = '';
      if (src[j] === '?') { lazy = '?'; j++; }
      if (last.kind === 'group' && last.unbounded && (unbounded || (q[3] !== undefined && Number(q[3] || q[1]) > 16))) {
        fail('nested repetition such as (a+)+ can take exponential time; rewrite the pattern without it', i);
      }
      if (unbounded || (last.kind === 'group' && last.unbounded)) {
        if (groups.length) groups[groups.length - 1].unbounded = true;
      }
      out += q[0] + lazy;
      last = null; // a quantifier cannot be quantified again
      i = j;
      continue;
    }
    if (c === '{' || c === '}') {
      out += '\\' + c;
      last = { kind: 'simple' };
      i++;
      continue;
    }
    if (c === '$') {
      out += multiline ? '$' : '(?=\\n?$)';
      last = null;
      i++;
      continue;
    }
    if (c === '^') {
      out += '^';
      last = null;
      i++;
      continue;
    }
    if (c === '/') {
      out += '\\/';
      last = { kind: 'simple' };
      i++;
      continue;
    }
    out += c;
    last = { kind: 'simple' };
    i += 1;
  }
  if (groups.length) fail('"(" without its ")"', groups[groups.length - 1].at);
  const fl = [...flags].sort().join('');
  try {
    new RegExp(out, fl);
  } catch (e) {
    fail(`an invalid pattern (${(e as Error).message.replace(/^Invalid regular expression: /, '')})`, 0);
  }
  return { pattern: out, flags: fl };
}
