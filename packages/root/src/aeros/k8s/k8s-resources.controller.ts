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
import type { AerosKind } from '@canopy/schema';
import { AerosApi, CurrentUser, type Principal } from '../../auth/principal';
import { COMPONENTS, type ComponentObject, type ComponentsPort } from '../components.port';
import { SelectorError, componentList, componentTable, matchesSelectors, wantsTable } from './k8s-objects';
import { patchComponent } from './k8s-patch';
import {
  bodyObject,
  checkObject,
  isTruthyParam,
  kindOfPlural,
  listedAt,
  mediaType,
  refuseDryRun,
  type ReadQuery,
  type WriteQuery,
} from './k8s-request';
import { K8sRequestError } from './k8s-status';
import { K8sStatusFilter } from './k8s-status.filter';
import { K8sWatchService } from './k8s-watch.service';

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
    const created = await patchComponent(this.components, user, kind, namespace, name, mediaType(contentType), raw);
    if (created.created) {
      res.status(201);
    }
    return created.object;
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
