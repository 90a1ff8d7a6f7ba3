import {
  ConflictError,
  ForbiddenError,
  MalformedBodyError,
  NotFoundError,
  StaleVersionError,
  UnauthorizedError,
  ValidationFailedError,
} from '@canopy/nest-edge';
import { K8sRequestError, toK8sStatus } from './k8s-status';

const subject = { resource: 'servicecomponentdockers', name: 'web' };
const qualified = 'servicecomponentdockers.llo.aeros-project.eu "web"';

/** kubectl prints `message` verbatim and branches on `reason`, so both are pinned here. */
describe('toK8sStatus', () => {
  it.each([
    [new NotFoundError('component', 'web'), 404, 'NotFound', `${qualified} not found`],
    [new ConflictError('exists'), 409, 'AlreadyExists', `${qualified} already exists`],
    [
      new StaleVersionError('c', 'web'),
      409,
      'Conflict',
      `Operation cannot be fulfilled on ${qualified}: the object has been modified; please apply your changes to the latest version and try again`,
    ],
    [new UnauthorizedError('missing bearer token'), 401, 'Unauthorized', 'missing bearer token'],
    [new ForbiddenError('needs Admin'), 403, 'Forbidden', 'needs Admin'],
    [new MalformedBodyError(), 400, 'BadRequest', 'the request body is not valid JSON'],
    [new K8sRequestError(415, 'UnsupportedMediaType', 'nope'), 415, 'UnsupportedMediaType', 'nope'],
    [
      { type: 'entity.too.large', status: 413, message: 'request entity too large' },
      413,
      'RequestEntityTooLarge',
      'request entity too large',
    ],
  ])('%p → %d %s', (error, code, reason, message) => {
    expect(toK8sStatus(error, subject)).toMatchObject({
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      code,
      reason,
      message,
    });
  });

  it('turns field errors into 422 Invalid with causes, phrased like the API server', () => {
    const status = toK8sStatus(new ValidationFailedError([{ path: 'spec.image', message: 'is required' }]), {
      resource: 'sck',
      name: 'db',
    });
    expect(status).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'ServiceComponentK8s.llo.aeros-project.eu "db" is invalid: spec.image: is required',
      reason: 'Invalid',
      details: {
        name: 'db',
        group: 'llo.aeros-project.eu',
        kind: 'ServiceComponentK8s',
        causes: [{ reason: 'FieldValueInvalid', field: 'spec.image', message: 'is required' }],
      },
      code: 422,
    });
  });

  it('tells "exists already" from other clashes by the error code', () => {
    expect(toK8sStatus(new ConflictError('x', [], 'COMPONENT_EXISTS'), subject)).toMatchObject({
      code: 409,
      reason: 'AlreadyExists',
    });
    expect(toK8sStatus(new ConflictError('too many', [], 'REPLICA_LIMIT_REACHED'), subject)).toMatchObject({
      code: 409,
      reason: 'Conflict',
      message: 'too many',
    });
  });

  it('keeps the domain message when the request names no resource', () => {
    expect(toK8sStatus(new NotFoundError('thing', 'x'))).toMatchObject({ code: 404, message: 'thing x not found' });
  });

  it('answers anything unexpected with a 500 that leaks nothing', () => {
    expect(toK8sStatus(new Error('secret detail'))).toMatchObject({
      code: 500,
      reason: 'InternalError',
      message: 'an internal error occurred',
    });
  });
});
