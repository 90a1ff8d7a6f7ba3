import { NotFoundError, ValidationFailedError } from '@canopy/nest-edge';
import type { AerosKind } from '@canopy/schema';
import type { Principal } from '../../auth/principal';
import type { ComponentObject, ComponentsPort } from '../components.port';
import { JsonPatchError, applyJsonPatch } from './json-patch';
import { bodyObject, checkObject } from './k8s-request';
import { K8sRequestError } from './k8s-status';

/**
 * A PATCH of one CR in the media type the request names: a JSON merge patch, a JSON patch (applied
 * to the object as read, written back with the read's resourceVersion), or a server-side apply
 * (which creates a missing object: `created`, answered 201).
 */
export async function patchComponent(
  components: ComponentsPort,
  user: Principal,
  kind: AerosKind,
  namespace: string,
  name: string,
  type: string,
  raw: unknown,
): Promise<{ created: boolean; object: ComponentObject }> {
  switch (type) {
    case 'application/merge-patch+json':
      return { created: false, object: await components.mergePatch(user, kind, namespace, name, raw) };
    case 'application/json-patch+json': {
      const current = await components.get(user, kind, namespace, name);
      let next: ComponentObject;
      try {
        next = applyJsonPatch(current, raw);
      } catch (e) {
        if (e instanceof JsonPatchError) {
          throw new ValidationFailedError(e.errors, e.message);
        }
        throw e;
      }
      // The read's resourceVersion travels with the result: a write in between is a 409, not lost.
      const body = { ...next, metadata: { ...next.metadata, resourceVersion: current.metadata.resourceVersion } };
      return { created: false, object: await components.replace(user, kind, namespace, name, body) };
    }
    case 'application/apply-patch+yaml': {
      // Server-side apply, simplified: the applied configuration is merged over the object (or
      // creates it); field ownership is not tracked.
      const body = bodyObject(raw);
      checkObject(body, kind, namespace, name);
      try {
        await components.get(user, kind, namespace, name);
      } catch (e) {
        if (!(e instanceof NotFoundError)) {
          throw e;
        }
        return { created: true, object: await components.create(user, body, namespace) };
      }
      return { created: false, object: await components.mergePatch(user, kind, namespace, name, body) };
    }
    default:
      // As for any custom resource: strategic merge needs Go struct tags that CRs do not have.
      throw new K8sRequestError(
        415,
        'UnsupportedMediaType',
        `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml`,
      );
  }
}
