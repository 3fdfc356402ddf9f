import { Decimal } from 'decimal.js'

/** Largest number of digits before the decimal point (DECIMAL(38,18) leaves 20). */
export const MAX_INTEGER_DIGITS = 20
/** Largest number of digits after the decimal point. */
export const MAX_FRACTION_DIGITS = 18

/**
 * Plain decimal notation only: no sign, exponent, whitespace or bare dot.
 * The bounds match DECIMAL(38,18), so nothing a client sends is ever rounded.
 */
const MONEY_PATTERN = /^(\d{1,20})(?:\.(\d{1,18}))?$/

/** What the service accepts, in words a client can act on. */
export const MONEY_FORMAT =
  `a string in plain decimal notation with at most ${MAX_INTEGER_DIGITS} integer digits ` +
  `and ${MAX_FRACTION_DIGITS} fractional digits, such as "150" or "0.25"`

// 38 significant digits are stored; 64 leaves room for every sum and difference to stay exact.
// toExpPos/toExpNeg keep toString() in plain notation for every value that fits the column.
const Exact = Decimal.clone({ precision: 64, rounding: Decimal.ROUND_DOWN, toExpPos: 64, toExpNeg: -64 })
const MAX = new Exact('9'.repeat(MAX_INTEGER_DIGITS) + '.' + '9'.repeat(MAX_FRACTION_DIGITS))

/** A non-negative amount of money held exactly; never a JS number. */
export class Money {
  static readonly ZERO = new Money(new Exact(0))

  private constructor(private readonly value: Decimal) {}

  /** Parses the wire format; returns undefined for anything outside {@link MONEY_FORMAT}. */
  static parse(text: string): Money | undefined {
    return MONEY_PATTERN.test(text) ? new Money(new Exact(text)) : undefined
  }

  plus(other: Money): Money {
    return new Money(this.value.plus(other.value))
  }

  /** Caller checks {@link isLessThan} first: money never goes below zero. */
  minus(other: Money): Money {
    const result = this.value.minus(other.value)
    if (result.isNegative()) throw new RangeError('Money cannot be negative')
    return new Money(result)
  }

  isZero(): boolean {
    return this.value.isZero()
  }

  isLessThan(other: Money): boolean {
    return this.value.lessThan(other.value)
  }

  /** True when the value no longer fits DECIMAL(38,18). */
  exceedsLimit(): boolean {
    return this.value.greaterThan(MAX)
  }

  equals(other: Money): boolean {
    return this.value.equals(other.value)
  }

  /** Plain notation, no exponent, trailing fractional zeros trimmed: "350", "0.000000000000000001". */
  toString(): string {
    return this.value.toFixed()
  }

  toJSON(): string {
    return this.toString()
  }
}
