import { instanceKeyString, instanceTaskId, jobName } from './names';

describe('names', () => {
  it("builds Oakestra's job name and instance task id", () => {
    const job = jobName('clientsrvr', 'test', 'nginx', 'test');
    expect(job).toBe('clientsrvr.test.nginx.test');
    expect(instanceTaskId(job, 3)).toBe('clientsrvr.test.nginx.test.instance.3');
  });

  it('gives distinct keys to distinct instances and generations', () => {
    const keys = [
      { serviceId: 's1', instanceNumber: 0, generation: 1 },
      { serviceId: 's1', instanceNumber: 1, generation: 1 },
      { serviceId: 's1', instanceNumber: 0, generation: 2 },
      { serviceId: 's2', instanceNumber: 0, generation: 1 },
    ].map(instanceKeyString);
    expect(new Set(keys).size).toBe(4);
    expect(keys[0]).toBe('s1/0@1');
  });
});
