import {
  INSTANCE_STATUSES,
  InstanceStatus,
  TERMINAL_STATUSES,
  isStatusAdvance,
  toAerosStatus,
  type AerosComponentStatus,
} from './status';

const S = InstanceStatus;
const HAPPY_PATH = [S.REQUESTED, S.CLUSTER_SCHEDULED, S.NODE_SCHEDULED, S.CREATING, S.RUNNING];
const SCHEDULING_FAILURES = [
  S.TargetClusterNotFound,
  S.TargetClusterNoCapacity,
  S.NoActiveClusterWithCapacity,
  S.NO_WORKER_CAPACITY,
  S.NO_QUALIFIED_WORKER_FOUND,
];

describe('instance status vocabulary', () => {
  it("keeps Oakestra's strings verbatim", () => {
    expect([...INSTANCE_STATUSES].sort()).toEqual(
      [
        'REQUESTED',
        'CLUSTER_SCHEDULED',
        'NODE_SCHEDULED',
        'CREATING',
        'RUNNING',
        'FAILED',
        'DEAD',
        'COMPLETED',
        'UNDEPLOYED',
        'TargetClusterNotFound',
        'TargetClusterNoCapacity',
        'NoActiveClusterWithCapacity',
        'NO_WORKER_CAPACITY',
        'NO_QUALIFIED_WORKER_FOUND',
      ].sort(),
    );
  });

  it('counts failures and the end states as terminal, and nothing on the happy path', () => {
    for (const s of HAPPY_PATH) {
      expect(TERMINAL_STATUSES.has(s)).toBe(false);
    }
    for (const s of [S.FAILED, S.DEAD, S.COMPLETED, S.UNDEPLOYED, ...SCHEDULING_FAILURES]) {
      expect(TERMINAL_STATUSES.has(s)).toBe(true);
    }
  });
});

describe('isStatusAdvance', () => {
  it('moves forward along the happy path, also skipping steps', () => {
    expect(isStatusAdvance(S.REQUESTED, S.CLUSTER_SCHEDULED)).toBe(true);
    expect(isStatusAdvance(S.CREATING, S.RUNNING)).toBe(true);
    expect(isStatusAdvance(S.REQUESTED, S.RUNNING)).toBe(true);
  });

  it('ignores a late CREATING after RUNNING, and every other step back', () => {
    expect(isStatusAdvance(S.RUNNING, S.CREATING)).toBe(false);
    for (let i = 0; i < HAPPY_PATH.length; i++) {
      for (let j = 0; j <= i; j++) {
        expect(isStatusAdvance(HAPPY_PATH[i]!, HAPPY_PATH[j]!)).toBe(false);
      }
    }
  });

  it('treats a repeat of the same status as no change', () => {
    for (const s of INSTANCE_STATUSES) {
      expect(isStatusAdvance(s, s)).toBe(false);
    }
  });

  it('lets DEAD, FAILED and COMPLETED replace RUNNING', () => {
    expect(isStatusAdvance(S.RUNNING, S.DEAD)).toBe(true);
    expect(isStatusAdvance(S.RUNNING, S.FAILED)).toBe(true);
    expect(isStatusAdvance(S.RUNNING, S.COMPLETED)).toBe(true);
  });

  it('lets a scheduling failure replace REQUESTED', () => {
    for (const s of SCHEDULING_FAILURES) {
      expect(isStatusAdvance(S.REQUESTED, s)).toBe(true);
    }
  });

  it('takes RUNNING after DEAD: the node restarted the container', () => {
    expect(isStatusAdvance(S.DEAD, S.RUNNING)).toBe(true);
  });

  it('lets UNDEPLOYED replace anything, and nothing replace UNDEPLOYED', () => {
    for (const s of INSTANCE_STATUSES) {
      if (s !== S.UNDEPLOYED) {
        expect(isStatusAdvance(s, S.UNDEPLOYED)).toBe(true);
      }
      expect(isStatusAdvance(S.UNDEPLOYED, s)).toBe(false);
    }
  });
});

describe('toAerosStatus', () => {
  const expected: Record<InstanceStatus, AerosComponentStatus> = {
    REQUESTED: 'Starting',
    CLUSTER_SCHEDULED: 'Starting',
    NODE_SCHEDULED: 'Starting',
    CREATING: 'Starting',
    RUNNING: 'Running',
    FAILED: 'Failed',
    DEAD: 'Failed',
    COMPLETED: 'Finished',
    UNDEPLOYED: 'Removing',
    TargetClusterNotFound: 'Failed',
    TargetClusterNoCapacity: 'Failed',
    NoActiveClusterWithCapacity: 'Failed',
    NO_WORKER_CAPACITY: 'Failed',
    NO_QUALIFIED_WORKER_FOUND: 'Failed',
  };

  it.each(INSTANCE_STATUSES.map((s) => [s, expected[s]]))('maps %s to %s', (status, aeros) => {
    expect(toAerosStatus(status)).toBe(aeros);
  });

  it('only ever answers with the aerOS vocabulary', () => {
    const vocabulary = new Set(['Starting', 'Running', 'Failed', 'Removing', 'Finished']);
    for (const s of INSTANCE_STATUSES) {
      expect(vocabulary.has(toAerosStatus(s))).toBe(true);
    }
  });
});
