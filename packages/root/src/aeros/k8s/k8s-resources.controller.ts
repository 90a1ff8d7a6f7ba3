import {
  All,
  Body,
  Controller,
  Delete,
  Get,
  Headers,
  HttpCode,
  Inject,
  Param,
  Patch,
  Post,
  Put,
  Query,
  Req,
  Res,
  UseFilters,
} from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { NotFoundError, ValidationFailedError } from '@canopy/nest-edge';
import { AEROS_API_VERSION, type AerosKind } from '@canopy/schema';
import { AerosApi, CurrentUser, type Principal } from '../../auth/principal';
import { COMPONENTS, type ComponentObject, type ComponentsPort } from '../components.port';
import { JsonPatchError, applyJsonPatch } from './json-patch';
import { SelectorError, componentList, componentTable, matchesSelectors, wantsTable } from './k8s-objects';
import { bodyObject, isTruthyParam, kindOfPlural, mediaType } from './k8s-request';
import { K8sRequestError } from './k8s-status';
import { K8sStatusFilter } from './k8s-status.filter';
import { K8sWatchService } from './k8s-watch.service';

/** The query parameters kubectl sends on reads (`limit` and `continue` are accepted and ignored: one page). */
interface ReadQuery {
  watch?: string;
  resourceVersion?: string;
  fieldSelector?: string;
  labelSelector?: string;
  timeoutSeconds?: string;
  includeObject?: string;
}

interface WriteQuery {
  dryRun?: string;
}

const BASE = 'k8s/apis/llo.aeros-project.eu/v1alpha1';

/**
 * Namespaced CRUD (and watch) of the two aerOS CR kinds on the Kubernetes API paths, over the one
 * `ComponentsPort` the LLO API and `/hlo_al` also use. Lists and reads answer a meta.k8s.io Table
 * when kubectl asks for one (that is what `kubectl get` prints).
 */
@AerosApi()
@ApiExcludeController()
@UseFilters(K8sStatusFilter)
@Controller(BASE)
export class K8sResourcesController {
  constructor(
    @Inject(COMPONENTS) private readonly components: ComponentsPort,
    private readonly watches: K8sWatchService,
  ) {}

  /** `kubectl get <plural> -A`. */
  @Get(':plural')
  async listAll(
    @CurrentUser() user: Principal,
    @Param('plural') plural: string,
    @Query() query: ReadQuery,
    @Headers('accept') accept: string | undefined,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    await this.list(user, kindOfPlural(plural), undefined, query, accept, req, res);
  }

  @Get('namespaces/:namespace/:plural')
  async listNamespaced(
    @CurrentUser() user: Principal,
    @Param('namespace') namespace: string,
    @Param('plural') plural: string,
    @Query() query: ReadQuery,
    @Headers('accept') accept: string | undefined,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    await this.list(user, kindOfPlural(plural), namespace, query, accept, req, res);
  }

  @Post('namespaces/:namespace/:plural')
  @HttpCode(201)
  async create(
    @CurrentUser() user: Principal,
    @Param('namespace') namespace: string,
    @Param('plural') plural: string,
    @Query() query: WriteQuery,
    @Body() raw: unknown,
  ): Promise<ComponentObject> {
    refuseDryRun(query);
    const body = bodyObject(raw);
    checkObject(body, kindOfPlural(plural), namespace);
    return this.components.create(user, body, namespace);
  }

  @Get('namespaces/:namespace/:plural/:name')
  async get(
    @CurrentUser() user: Principal,
    @Param('namespace') namespace: string,
    @Param('plural') plural: string,
    @Param('name') name: string,
    @Query() query: ReadQuery,
    @Headers('accept') accept: string | undefined,
  ): Promise<object> {
    const object = await this.components.get(user, kindOfPlural(plural), namespace, name);
    return wantsTable(accept) ? table([object], query) : object;
  }

  @Put('namespaces/:namespace/:plural/:name')
  async replace(
    @CurrentUser() user: Principal,
    @Param('namespace') namespace: string,
    @Param('plural') plural: string,
    @Param('name') name: string,
    @Query() query: WriteQuery,
    @Body() raw: unknown,
  ): Promise<ComponentObject> {
    refuseDryRun(query);
    const kind = kindOfPlural(plural);
    const body = bodyObject(raw);
    checkObject(body, kind, namespace, name);
    return this.components.replace(user, kind, namespace, name, body);
  }

  @Patch('namespaces/:namespace/:plural/:name')
  async patch(
    @CurrentUser() user: Principal,
    @Param('namespace') namespace: string,
    @Param('plural') plural: string,
    @Param('name') name: string,
    @Query() query: WriteQuery,
    @Headers('content-type') contentType: string | undefined,
    @Body() raw: unknown,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ComponentObject> {
    refuseDryRun(query);
    const kind = kindOfPlural(plural);
    const type = mediaType(contentType);
    switch (type) {
      case 'application/merge-patch+json':
        return this.components.mergePatch(user, kind, namespace, name, raw);
      case 'application/json-patch+json': {
        const current = await this.components.get(user, kind, namespace, name);
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
        return this.components.replace(user, kind, namespace, name, body);
      }
      case 'application/apply-patch+yaml': {
        // Server-side apply, simplified: the applied configuration is merged over the object (or
        // creates it); field ownership is not tracked.
        const body = bodyObject(raw);
        checkObject(body, kind, namespace, name);
        try {
          await this.components.get(user, kind, namespace, name);
        } catch (e) {
          if (!(e instanceof NotFoundError)) {
            throw e;
          }
          res.status(201);
          return this.components.create(user, body, namespace);
        }
        return this.components.mergePatch(user, kind, namespace, name, body);
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

  /** Returns the deleted object, as the API server does for objects deleted at once. */
  @Delete('namespaces/:namespace/:plural/:name')
  async delete(
    @CurrentUser() user: Principal,
    @Param('namespace') namespace: string,
    @Param('plural') plural: string,
    @Param('name') name: string,
    @Query() query: WriteQuery,
  ): Promise<ComponentObject> {
    refuseDryRun(query);
    return this.components.delete(user, kindOfPlural(plural), namespace, name);
  }

  /**
   * Declared after the served verbs, so only the others land here: a known path with a verb it does
   * not serve (deletecollection, POST on a name, ...) is the API server's 405, not a 404.
   */
  @All(['namespaces/:namespace/:plural', 'namespaces/:namespace/:plural/:name', ':plural'])
  methodNotAllowed(@Param('plural') plural: string, @Req() req: Request): never {
    kindOfPlural(plural);
    throw new K8sRequestError(
      405,
      'MethodNotAllowed',
      `the server does not allow this method on the requested resource (${req.method})`,
    );
  }

  private async list(
    user: Principal,
    kind: AerosKind,
    namespace: string | undefined,
    query: ReadQuery,
    accept: string | undefined,
    req: Request,
    res: Response,
  ): Promise<void> {
    let items: ComponentObject[];
    try {
      items = (await this.components.list(user, kind, namespace)).filter((o) =>
        matchesSelectors(o, query.fieldSelector, query.labelSelector),
      );
    } catch (e) {
      if (e instanceof SelectorError) {
        throw new K8sRequestError(400, 'BadRequest', e.message);
      }
      throw e;
    }
    const asTable = wantsTable(accept);
    if (isTruthyParam(query.watch)) {
      const timeoutSeconds = Number(query.timeoutSeconds ?? 0);
      await this.watches.start(
        req,
        res,
        {
          user,
          kind,
          namespace,
          fieldSelector: query.fieldSelector,
          labelSelector: query.labelSelector,
          table: asTable,
          timeoutSeconds: Number.isFinite(timeoutSeconds) && timeoutSeconds > 0 ? timeoutSeconds : 0,
          since: listedAt(query.resourceVersion),
        },
        items,
      );
      return;
    }
    const body = asTable ? table(items, query) : componentList(kind, items);
    res.status(200).type('application/json').send(JSON.stringify(body));
  }
}

/**
 * A list's resourceVersion is the time it was read (see `listVersion`): a watch that names one
 * replays what changed since, as kubectl's list-then-watch expects. Object versions are small
 * numbers and name no time.
 */
function listedAt(resourceVersion: string | undefined): number | undefined {
  const n = Number(resourceVersion);
  return Number.isInteger(n) && n >= 1e12 ? n : undefined;
}

function table(items: ComponentObject[], query: ReadQuery): object {
  const t = componentTable(items, Date.now()) as { rows: { object?: unknown }[] };
  if (query.includeObject === 'None') {
    for (const row of t.rows) {
      delete row.object;
    }
  }
  if (query.includeObject === 'Object') {
    t.rows.forEach((row, i) => (row.object = items[i]));
  }
  return t;
}

function refuseDryRun(query: WriteQuery): void {
  if (query.dryRun) {
    throw new K8sRequestError(400, 'BadRequest', 'dry run is not supported by this server');
  }
}

/**
 * What the API server checks before anything else: the body is an object of the kind and group the
 * path names, in the path's namespace, with the path's name. Field-level validation is the port's.
 */
function checkObject(body: unknown, kind: AerosKind, namespace: string, name?: string): void {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ValidationFailedError([{ path: '$', message: 'the body must be an object' }]);
  }
  const o = body as { apiVersion?: unknown; kind?: unknown; metadata?: { namespace?: unknown; name?: unknown } };
  if (o.apiVersion !== undefined && o.apiVersion !== AEROS_API_VERSION) {
    throw new K8sRequestError(
      400,
      'BadRequest',
      `the API version in the data (${JSON.stringify(o.apiVersion)}) does not match the expected API version (${AEROS_API_VERSION})`,
    );
  }
  if (o.kind !== undefined && o.kind !== kind) {
    throw new K8sRequestError(
      400,
      'BadRequest',
      `the kind in the data (${JSON.stringify(o.kind)}) does not match the expected kind (${kind})`,
    );
  }
  const ns = o.metadata?.namespace;
  if (ns !== undefined && ns !== '' && ns !== namespace) {
    throw new K8sRequestError(
      400,
      'BadRequest',
      'the namespace of the provided object does not match the namespace sent on the request',
    );
  }
  if (name !== undefined && o.metadata?.name !== undefined && o.metadata.name !== name) {
    throw new K8sRequestError(400, 'BadRequest', 'the name of the object does not match the name on the URL');
  }
}
