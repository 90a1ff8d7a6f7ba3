import { outcomeOf, retryDelayMs } from './ngsi-ld-delivery.policy';

describe('NGSI-LD delivery policy', () => {
  it('doubles the delay from the base at each failure, up to the cap', () => {
    const settings = { retryBaseMs: 500, retryMaxMs: 30_000 };
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((n) => retryDelayMs(n, settings))).toEqual([
      500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000,
    ]);
    // A huge count (a row retried for weeks) neither overflows nor drops below the cap.
    expect(retryDelayMs(10_000, settings)).toBe(30_000);
    expect(retryDelayMs(0, settings)).toBe(500);
  });

  it.each<[number | undefined, string]>([
    [undefined, 'retry'],
    [200, 'delivered'],
    [201, 'delivered'],
    [204, 'delivered'],
    [207, 'delivered'],
    [304, 'reject'],
    [400, 'reject'],
    [401, 'reject'],
    [403, 'reject'],
    [404, 'notFound'],
    [408, 'retry'],
    [409, 'exists'],
    [413, 'reject'],
    [422, 'reject'],
    [429, 'retry'],
    [500, 'retry'],
    [503, 'retry'],
    [504, 'retry'],
  ])('treats %s as %s', (status, outcome) => {
    expect(outcomeOf(status)).toBe(outcome);
  });
});
