import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { Request } from 'express';
import type { Observable } from 'rxjs';
import type { Principal } from '../auth/principal';
import { objectOf } from './plain-object';

/**
 * What Oakestra's dashboard sends that Oakestra's own server tolerates, made acceptable before the
 * body is validated (interceptors run before pipes):
 * - an SLA without `customerID` (the dashboard fills it from the user, which it may not know yet):
 *   the caller's id stands in;
 * - on `POST /api/service`, `"microserviceID": "1234"`, a placeholder "set in the backend": the
 *   backend sets ids, so any value sent is dropped.
 */
@Injectable()
export class OakestraSlaBodyInterceptor implements NestInterceptor {
  protected readonly dropMicroserviceIds: boolean = false;

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = ctx.switchToHttp().getRequest<Request & { principal?: Principal }>();
    const body: unknown = req.body;
    if (isRecord(body) && req.principal) {
      if (body.customerID === undefined) {
        body.customerID = req.principal.userId;
      }
      if (this.dropMicroserviceIds && Array.isArray(body.applications)) {
        for (const app of body.applications) {
          if (!isRecord(app) || !Array.isArray(app.microservices)) {
            continue;
          }
          for (const ms of app.microservices) {
            if (isRecord(ms)) {
              delete ms.microserviceID;
            }
          }
        }
      }
    }
    return next.handle();
  }
}

/** `POST /api/service`: also drops the placeholder `microserviceID`s. */
@Injectable()
export class OakestraServiceBodyInterceptor extends OakestraSlaBodyInterceptor {
  protected override readonly dropMicroserviceIds: boolean = true;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return objectOf(v) !== undefined;
}

/**
 * `PUT /api/service/<id>`: a client that sends back the service it read (Oakestra's dashboard
 * does) sends its `microserviceID` too. That id, the one the path names, is dropped; any other
 * value is left for the validator to refuse.
 */
@Injectable()
export class OakestraServiceUpdateBodyInterceptor implements NestInterceptor {
  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = ctx.switchToHttp().getRequest<Request>();
    const body: unknown = req.body;
    if (isRecord(body) && body.microserviceID === req.params.id) {
      delete body.microserviceID;
    }
    return next.handle();
  }
}
