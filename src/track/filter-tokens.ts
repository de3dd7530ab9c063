// The tokenizer of both filter languages (pcap-filter(7)'s syntax): `--filter` over connections
// (filter.ts) and `--packet-filter` over single packets (packet-filter.ts). They differ only in
// their operators, in whether `[…]` is one token (tcp[13]) and in which characters a word may
// hold; each token keeps its character offset so errors can point at it. Pure.

export interface Token {
  text: string;
  /** 0-based character offset in the filter text. */
  at: number;
}

export interface TokenRules {
  /** Operators, each a token of its own; a longer one wins over its prefix (`!=` over `!`). */
  operators: readonly string[];
  /** `[…]` up to its `]` (or the end) is one token. */
  brackets?: boolean;
  /**
   * The characters of a word; any other character is refused. Without it a word runs to the
   * next space, operator or bracket.
   */
  wordChar?: RegExp;
}

/** Splits `text`; `refuse` is called (and must throw) on a character no rule takes. */
export function tokenize(
  text: string,
  rules: TokenRules,
  refuse: (at: number, char: string) => never,
): Token[] {
  const operators = [...rules.operators].sort((a, b) => b.length - a.length);
  const operatorAt = (i: number) => operators.find((op) => text.startsWith(op, i));
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const op = operatorAt(i);
    if (op !== undefined) {
      out.push({ text: op, at: i });
      i += op.length;
      continue;
    }
    if (rules.brackets && c === '[') {
      const end = text.indexOf(']', i);
      const stop = end < 0 ? text.length : end + 1;
      out.push({ text: text.slice(i, stop), at: i });
      i = stop;
      continue;
    }
    const start = i;
    const inWord = (ch: string) =>
      rules.wordChar !== undefined
        ? rules.wordChar.test(ch)
        : !/\s/.test(ch) && !(rules.brackets && ch === '[') && operatorAt(i) === undefined;
    while (i < text.length && inWord(text[i]!)) i++;
    if (i === start) refuse(i, c);
    out.push({ text: text.slice(start, i), at: start });
  }
  return out;
}
