import fc from 'fast-check';
import { IsIn, IsInt, IsOptional, IsString, Matches } from 'class-validator';
import { INSTANCE_STATUSES } from '../status';
import { InstanceUsageDto, JobStatusMessage, NodeInformation, NodeJobsReport } from '../wire/node.dto';
import { compileValidator } from './compiled';
import { validateInput } from './validate';

/** What a value says once it is JSON again (the full path's instances carry undefined fields). */
const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

function sameVerdict<T extends object>(cls: new () => T, input: unknown): void {
  const full = validateInput(cls, input);
  const fast = compileValidator(cls)(input);
  expect(fast.ok).toBe(full.ok);
  if (fast.ok && full.ok) {
    expect(plain(fast.value)).toEqual(plain(full.value));
  } else if (!fast.ok && !full.ok) {
    expect(fast.errors).toEqual(full.errors);
  }
}

// Values near every modelled boundary, of every JSON type.
const anyValue = fc.oneof(
  fc.constantFrom(0, 1, -1, 0.5, 100, 100.5, 101, 2 ** 53, -0, '', 'x', 'amd64', true, false, null),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string(),
  fc.constantFrom(...INSTANCE_STATUSES),
  fc.array(fc.integer(), { maxLength: 2 }),
  fc.object({ maxDepth: 1 }),
);

const heartbeat = fc.record(
  {
    cpuCores: fc.oneof(fc.integer({ min: 1, max: 64 }), anyValue),
    cpuPercent: fc.oneof(fc.double({ min: 0, max: 100, noNaN: true }), anyValue),
    memoryTotalMb: fc.oneof(fc.integer({ min: 1, max: 1 << 20 }), anyValue),
    memoryFreeMb: fc.oneof(fc.integer({ min: 0, max: 1 << 20 }), anyValue),
    diskTotalMb: fc.oneof(fc.nat(), anyValue),
    diskFreeMb: fc.oneof(fc.nat(), anyValue),
    netRxBps: fc.oneof(fc.nat(), anyValue),
    netTxBps: fc.oneof(fc.nat(), anyValue),
    gpus: fc.oneof(fc.nat(4), anyValue),
    arch: fc.oneof(fc.constantFrom('amd64', 'arm64'), anyValue),
    at: fc.oneof(fc.nat(), anyValue),
    extra: anyValue,
  },
  { requiredKeys: [] },
);

const boundPort = fc.record(
  {
    containerPort: fc.oneof(fc.integer({ min: 1, max: 65535 }), anyValue),
    hostPort: fc.oneof(fc.integer({ min: 1, max: 65535 }), anyValue),
    protocol: fc.oneof(fc.constantFrom('tcp', 'udp'), anyValue),
  },
  { requiredKeys: [] },
);

const usage = fc.record(
  {
    serviceId: fc.oneof(fc.string({ minLength: 1, maxLength: 130 }), anyValue),
    instanceNumber: fc.oneof(fc.nat(9), anyValue),
    generation: fc.oneof(fc.nat(9), anyValue),
    status: fc.oneof(fc.constantFrom(...INSTANCE_STATUSES), anyValue),
    status_detail: fc.oneof(fc.string({ maxLength: 20 }), anyValue),
    nodeId: fc.oneof(fc.string({ maxLength: 130 }), anyValue),
    containerId: fc.oneof(fc.string({ minLength: 60, maxLength: 130 }), anyValue),
    hostPorts: fc.oneof(fc.array(boundPort, { maxLength: 3 }), anyValue),
    at: fc.oneof(fc.nat(), anyValue),
    restarts: fc.oneof(fc.nat(5), anyValue),
    cpuPercent: fc.oneof(fc.double({ min: 0, max: 400, noNaN: true }), anyValue),
    memoryMb: fc.oneof(fc.nat(), anyValue),
  },
  { requiredKeys: ['serviceId', 'instanceNumber', 'generation', 'status'] },
);

describe('compileValidator: the hot-path check generated from the class-validator classes', () => {
  it('gives the verdict, the value and the errors of validateInput for heartbeats', () => {
    fc.assert(
      fc.property(heartbeat, (input) => sameVerdict(NodeInformation, input)),
      { numRuns: 400 },
    );
  });

  it('does the same for job reports, nested arrays of usage and bound ports included', () => {
    const report = fc.record({ instances: fc.oneof(fc.array(usage, { maxLength: 4 }), anyValue), at: anyValue });
    fc.assert(
      fc.property(report, (input) => sameVerdict(NodeJobsReport, input)),
      { numRuns: 800 },
    );
    fc.assert(
      fc.property(usage, fc.string({ maxLength: 8 }), fc.nat(3), (u, sname, instance) =>
        sameVerdict(JobStatusMessage, { ...u, sname, instance }),
      ),
      { numRuns: 400 },
    );
  });

  it('accepts what a node engine really sends without the full path', () => {
    const beat = {
      cpuCores: 4,
      cpuPercent: 12.5,
      memoryTotalMb: 8192,
      memoryFreeMb: 4000,
      diskTotalMb: 100000,
      diskFreeMb: 50000,
      netRxBps: 10,
      netTxBps: 20,
      gpus: 0,
      arch: 'amd64',
      at: 1,
    };
    const check = compileValidator(NodeInformation);
    const result = check(beat);
    expect(result).toEqual({ ok: true, value: beat });
    // Not an instance: no class-transformer object was made.
    expect(result.ok && result.value instanceof NodeInformation).toBe(false);
    expect(check({ ...beat, cpuPercent: 101 })).toEqual(validateInput(NodeInformation, { ...beat, cpuPercent: 101 }));
    const report = {
      instances: [
        {
          serviceId: 's1',
          instanceNumber: 0,
          generation: 1,
          status: 'RUNNING',
          nodeId: 'n1',
          containerId: 'c'.repeat(64),
          hostPorts: [{ containerPort: 80, hostPort: 30080, protocol: 'tcp' }],
          at: 2,
          cpuPercent: 1.5,
        },
      ],
      at: 3,
    };
    const jobs = compileValidator(NodeJobsReport)(report);
    expect(jobs).toEqual({ ok: true, value: report });
    expect(jobs.ok && jobs.value.instances[0] instanceof InstanceUsageDto).toBe(false);
    expect(check('nope')).toEqual({ ok: false, errors: [{ path: '$', message: 'must be a JSON object' }] });
  });

  it('leaves a class with a decorator it does not model entirely to the full path', () => {
    class WithPattern {
      @IsString() @Matches(/^a/) name!: string;
      @IsOptional() @IsInt() @IsIn([1, 2]) n?: number;
    }
    expect(compileValidator(WithPattern)({ name: 'b' }).ok).toBe(false);
    expect(compileValidator(WithPattern)({ name: 'ab', n: 2 })).toEqual(
      validateInput(WithPattern, { name: 'ab', n: 2 }),
    );
  });
});
