import { roleOf } from './user.dto';

describe("Oakestra's roles list → Canopy's role", () => {
  it('Admin anywhere in the list makes an admin, as names or {name} objects', () => {
    expect(roleOf(['Admin'])).toBe('Admin');
    expect(roleOf([{ name: 'Application_Provider' }, { name: 'Admin', description: 'x' }])).toBe('Admin');
  });

  it('any other known role, or none, is an Application_Provider', () => {
    expect(roleOf([])).toBe('Application_Provider');
    expect(roleOf(['Infrastructure_Provider', 'Organization_Admin'])).toBe('Application_Provider');
  });

  it('an unknown role or a wrong shape is refused', () => {
    expect(roleOf(['Root'])).toBeUndefined();
    expect(roleOf([42])).toBeUndefined();
    expect(roleOf([{ description: 'no name' }])).toBeUndefined();
  });
});
