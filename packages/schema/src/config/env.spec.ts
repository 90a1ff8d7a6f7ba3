import { presentEnv } from './env';

describe('the shared environment loader', () => {
  it('treats empty values as unset and keeps only known variables when asked', () => {
    expect(presentEnv({ A: '1', B: '', C: undefined })).toEqual({ A: '1' });
    expect(presentEnv({ A: '1', D: '2' }, new Set(['D']))).toEqual({ D: '2' });
  });
});
