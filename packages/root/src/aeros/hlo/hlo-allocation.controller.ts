import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Put, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  HloAllocationRequest,
  HloServiceComponentAllocation,
  HloServiceComponentParameters,
  validateInput,
  type AerosKind,
} from '@canopy/schema';
import { NotFoundError, ValidationFailedError } from '@canopy/nest-edge';
import { AerosApi, CurrentUser, type Principal } from '../../auth/principal';
import { ApiAuthenticated } from '../../common/openapi';
import { COMPONENTS, type ComponentObject, type ComponentsPort } from '../components.port';
import { allocationToCr, componentName, crToParameters, kindOfOrchestration } from './hlo-mapping';

const NAMESPACE = 'default';
const KINDS: AerosKind[] = ['ServiceComponentDocker', 'ServiceComponentK8s'];

/**
 * aerOS's HLO local-allocation API (`/hlo_al`, aerOS.md §4.2) over the same components the LLO API
 * serves: an allocation becomes the CR aerOS's HLO would have generated. Ids come from the path or,
 * as aerOS's OpenAPI declares them, from the query. Unlike aerOS's stub, PUT really updates.
 */
@ApiTags('aerOS HLO allocation')
@ApiAuthenticated()
@AerosApi()
@Controller('hlo_al/services')
export class HloAllocationController {
  constructor(@Inject(COMPONENTS) private readonly components: ComponentsPort) {}

  @Post(':service_id')
  @HttpCode(201)
  @ApiOperation({ summary: 'Allocate a service component on the IE it names: 201, 400, 409 when it exists' })
  async allocatePath(
    @CurrentUser() user: Principal,
    @Param('service_id') pathId: string,
    @Query('service_id') queryId: string | undefined,
    @Body() body: unknown,
  ): Promise<{ status: string }> {
    return this.allocate(user, idOf('service_id', pathId, queryId), body);
  }

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Allocate, with `service_id` in the query' })
  async allocateQuery(
    @CurrentUser() user: Principal,
    @Query('service_id') queryId: string | undefined,
    @Body() body: unknown,
  ): Promise<{ status: string }> {
    return this.allocate(user, idOf('service_id', undefined, queryId), body);
  }

  @Get(':service_id/service_components/:service_component_id')
  @ApiOperation({ summary: 'The allocation parameters of a component, with its status; 404 when not allocated' })
  async get(
    @CurrentUser() user: Principal,
    @Param('service_component_id') pathScId: string,
    @Query('service_component_id') queryScId: string | undefined,
  ): Promise<Record<string, unknown>> {
    return crToParameters(await this.find(user, idOf('service_component_id', pathScId, queryScId)));
  }

  @Put(':service_id/service_components/:service_component_id')
  @ApiOperation({ summary: 'Update a component (image, env, args, IE: a new IE moves it, the new one running first)' })
  async update(
    @CurrentUser() user: Principal,
    @Param('service_id') pathId: string,
    @Query('service_id') queryId: string | undefined,
    @Param('service_component_id') pathScId: string,
    @Query('service_component_id') queryScId: string | undefined,
    @Body() body: unknown,
  ): Promise<{ status: string }> {
    const serviceId = idOf('service_id', pathId, queryId);
    const scId = idOf('service_component_id', pathScId, queryScId);
    const current = await this.find(user, scId);
    const params = validateInput(HloServiceComponentParameters, body);
    if (!params.ok) {
      throw new ValidationFailedError(params.errors, 'invalid service component parameters');
    }
    const kind = this.kindOf(params.value.orchestration_type, 'orchestration_type');
    if (kind !== current.kind) {
      throw new ValidationFailedError([{ path: 'orchestration_type', message: `must stay ${current.kind}` }]);
    }
    const overlay = (current.spec.networkOverlay as Record<string, unknown> | undefined) ?? undefined;
    const cr = allocationToCr(serviceId, scId, kind, params.value);
    if (overlay !== undefined) {
      (cr.spec as Record<string, unknown>).networkOverlay = overlay;
    }
    await this.components.replace(user, kind, NAMESPACE, current.metadata.name, cr);
    return { status: 'service component updated' };
  }

  @Delete(':service_id/service_components/:service_component_id')
  @ApiOperation({ summary: 'Deallocate a component; 404 when not allocated' })
  async delete(
    @CurrentUser() user: Principal,
    @Param('service_component_id') pathScId: string,
    @Query('service_component_id') queryScId: string | undefined,
  ): Promise<{ status: string }> {
    const current = await this.find(user, idOf('service_component_id', pathScId, queryScId));
    await this.components.delete(user, current.kind, NAMESPACE, current.metadata.name);
    return { status: 'Service component deallocated' };
  }

  private async allocate(user: Principal, serviceId: string, body: unknown): Promise<{ status: string }> {
    // FastAPI embeds the two body parameters by name; a bare ServiceComponentAllocation is read too.
    const wrapped =
      body !== null && typeof body === 'object' && 'service_component' in body ? body : { service_component: body };
    const request = validateInput(HloAllocationRequest, wrapped);
    if (!request.ok) {
      throw new ValidationFailedError(request.errors, 'invalid service component');
    }
    const sc: HloServiceComponentAllocation = request.value.service_component;
    const kind = this.kindOf(sc.orchestration_type, 'service_component.orchestration_type');
    const cr = allocationToCr(serviceId, sc.id, kind, sc, request.value.scomponent_network_conf);
    await this.components.create(user, cr, NAMESPACE);
    return { status: `service component allocated for service component: ${sc.id}` };
  }

  private kindOf(type: string, path: string): AerosKind {
    const kind = kindOfOrchestration(type);
    if (kind === undefined) {
      throw new ValidationFailedError([{ path, message: 'must be ServiceComponentDocker or ServiceComponentK8s' }]);
    }
    return kind;
  }

  /** A component is looked up by the one name its id always maps to, in either kind. */
  private async find(user: Principal, componentId: string): Promise<ComponentObject> {
    for (const kind of KINDS) {
      try {
        return await this.components.get(user, kind, NAMESPACE, componentName(componentId));
      } catch (error) {
        if (!(error instanceof NotFoundError)) {
          throw error;
        }
      }
    }
    throw new NotFoundError('service component', `${componentId} (not allocated)`);
  }
}

/** The query spelling wins when given; a path segment that is still an OpenAPI `{placeholder}` counts as absent. */
function idOf(name: string, path: string | undefined, query: string | undefined): string {
  const fromPath = path !== undefined && !/^\{.*\}$/.test(path) && path !== '' ? path : undefined;
  const id = query !== undefined && query !== '' ? query : fromPath;
  if (id === undefined) {
    throw new ValidationFailedError([{ path: name, message: 'is required (in the path or the query)' }]);
  }
  if (id.length > 256) {
    throw new ValidationFailedError([{ path: name, message: 'must be at most 256 characters' }]);
  }
  return id;
}
