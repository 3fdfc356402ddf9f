import { describe, expect, it } from 'vitest'
import { Money } from '../../src/domain/money.js'

const money = (text: string): Money => {
  const parsed = Money.parse(text)
  if (!parsed) throw new Error(`test setup: ${text} should parse`)
  return parsed
}

describe('Money.parse', () => {
  it.each([
    ['0', '0'],
    ['500', '500'],
    ['0.25', '0.25'],
    ['150.000', '150'],
    ['0.10', '0.1'],
    ['0.0', '0'],
    ['00', '0'],
    ['007', '7'],
    ['0.000000000000000001', '0.000000000000000001'],
    ['99999999999999999999.999999999999999999', '99999999999999999999.999999999999999999'],
    ['12345678901234567890', '12345678901234567890'],
  ])('accepts %s and prints it as %s', (text, printed) => {
    expect(money(text).toString()).toBe(printed)
  })

  it.each([
    '',
    ' 1',
    '1 ',
    '-1',
    '+1',
    '1e3',
    '1E3',
    '.5',
    '5.',
    '0x10',
    '1,5',
    '１',
    'NaN',
    'Infinity',
    '123456789012345678901', // 21 integer digits
    '1.1234567890123456789', // 19 fractional digits
    '1.2.3',
    '1_000',
  ])('rejects %j', (text) => {
    expect(Money.parse(text)).toBeUndefined()
  })
})

describe('Money arithmetic', () => {
  it('starts from a zero that prints and compares as zero', () => {
    expect(Money.ZERO.toString()).toBe('0')
    expect(Money.ZERO.isZero()).toBe(true)
    expect(money('0.25').plus(Money.ZERO).toString()).toBe('0.25')
  })

  it('computes on parsed amounts and on the results of arithmetic', () => {
    const sum = money('123.45').plus(money('0.55'))
    expect(sum.toString()).toBe('124')
    expect(sum.minus(money('24')).toString()).toBe('100')
    expect(money('10').isLessThan(money('9.99'))).toBe(false)
    expect(money('10').equals(money('10.000'))).toBe(true)
  })


  it('stays exact at full precision', () => {
    const max = money('99999999999999999999.999999999999999999')
    const tiny = money('0.000000000000000001')
    expect(max.minus(tiny).toString()).toBe('99999999999999999999.999999999999999998')
    expect(max.minus(tiny).plus(tiny).equals(max)).toBe(true)
  })

  it('adds decimals without binary floating-point error', () => {
    expect(money('0.1').plus(money('0.2')).toString()).toBe('0.3')
  })

  it('never prints an exponent', () => {
    expect(money('0.000000000000000001').plus(money('0')).toString()).not.toMatch(/e/i)
    expect(money('10000000000000000000').plus(money('10000000000000000000')).toString()).toBe('20000000000000000000')
  })

  it('knows when a sum no longer fits DECIMAL(38,18)', () => {
    const max = money('99999999999999999999.999999999999999999')
    expect(max.exceedsLimit()).toBe(false)
    expect(max.plus(money('0.000000000000000001')).exceedsLimit()).toBe(true)
  })

  it('refuses to go below zero', () => {
    expect(() => money('1').minus(money('1.000000000000000001'))).toThrow(RangeError)
    expect(money('1').minus(money('1')).isZero()).toBe(true)
  })

  it('compares values, not spellings', () => {
    expect(money('1.50').equals(money('1.5'))).toBe(true)
    expect(money('1.5').isLessThan(money('1.500000000000000001'))).toBe(true)
    expect(money('2').isLessThan(money('10'))).toBe(true)
    expect(JSON.stringify({ a: money('2.50') })).toBe('{"a":"2.5"}')
  })
})
