// SPDX-License-Identifier: Apache-2.0
// Kubernetes' `$(VAR_NAME)` references in a container's command, args and env values: a defined
// variable is replaced by its value, an undefined one is left as written, `$$` is a literal `$`.

/** Expands `$(NAME)` references in `input` with `lookup`, as the kubelet does. */
export function expandVars(input: string, lookup: (name: string) => string | undefined): string {
  let out = '';
  for (let i = 0; i < input.length; i++) {
    const ch = input[i];
    if (ch !== '$' || i + 1 >= input.length) {
      out += ch;
      continue;
    }
    const next = input[i + 1];
    if (next === '$') {
      out += '$';
      i++;
    } else if (next === '(') {
      const close = input.indexOf(')', i + 2);
      if (close < 0) {
        // No closing parenthesis: the rest is literal.
        out += input.slice(i);
        return out;
      }
      const name = input.slice(i + 2, close);
      const value = lookup(name);
      out += value ?? `$(${name})`;
      i = close;
    } else {
      out += ch;
    }
  }
  return out;
}
