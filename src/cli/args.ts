/** A small argv reader shared by the subcommands: `--opt value`, `--opt=value`, flags, positionals. */
import { UsageError } from './errors.js';

export class Args {
  private i = 0;
  readonly rest: string[] = [];
  constructor(private argv: string[], private help: string) {}

  /** the next option name, or null at the end (positionals are collected in `rest`) */
  next(): string | null {
    while (this.i < this.argv.length) {
      const a = this.argv[this.i++];
      if (a.startsWith('--') && a.includes('=')) {
        const k = a.slice(0, a.indexOf('='));
        this.argv.splice(this.i, 0, a.slice(a.indexOf('=') + 1));
        this.pending = k;
        return k;
      }
      if (a.startsWith('-') && a !== '-') {
        this.pending = a;
        return a;
      }
      this.rest.push(a);
    }
    return null;
  }

  private pending = '';

  value(): string {
    if (this.i >= this.argv.length) throw new UsageError(`option ${this.pending} needs a value`);
    return this.argv[this.i++];
  }

  int(min = 0, max = Number.MAX_SAFE_INTEGER): number {
    const v = this.value();
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`option ${this.pending} wants a whole number from ${min} to ${max}, not "${v}"`);
    return n;
  }

  num(): number {
    const v = this.value();
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new UsageError(`option ${this.pending} wants a positive number, not "${v}"`);
    return n;
  }

  unknown(opt: string): never {
    throw new UsageError(`unknown option ${opt}\n${this.help}`);
  }
}
