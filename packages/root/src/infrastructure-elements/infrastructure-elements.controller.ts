import { Controller, Get, Param } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { InfrastructureElementView } from '@canopy/schema';
import { ClustersService } from '../clusters/clusters.service';
import { ApiAuthenticated } from '../common/openapi';

/** The IE schema (from the class the root validates clusters' reports with) plus the cluster it is in. */
const IE_VIEW_SCHEMA = {
  allOf: [
    { $ref: '#/components/schemas/InfrastructureElementDto' },
    {
      type: 'object',
      required: ['clusterId', 'clusterName'],
      properties: { clusterId: { type: 'string' }, clusterName: { type: 'string' } },
    },
  ],
};

/**
 * Every Canopy node as an aerOS Infrastructure Element (SPEC §5), in NGSI-LD's simplified format
 * (`format=simplified`: attribute values inline, relationships as URN strings), as clusters report them.
 */
@ApiTags('infrastructure-elements')
@ApiAuthenticated()
@Controller('api/infrastructure-elements')
export class InfrastructureElementsController {
  constructor(private readonly clusters: ClustersService) {}

  @Get()
  @ApiOperation({ summary: 'every node of every cluster as an aerOS Infrastructure Element' })
  @ApiOkResponse({ schema: { type: 'array', items: IE_VIEW_SCHEMA } })
  list(): Promise<InfrastructureElementView[]> {
    return this.clusters.infrastructureElements();
  }

  @Get(':id')
  @ApiOperation({
    summary: 'one Infrastructure Element by id (urn:ngsi-ld:IE: and urn:ngsi-ld:InfrastructureElement: alike)',
  })
  @ApiParam({ name: 'id', example: 'urn:ngsi-ld:InfrastructureElement:edge:worker1' })
  @ApiOkResponse({ schema: IE_VIEW_SCHEMA })
  get(@Param('id') id: string): Promise<InfrastructureElementView> {
    return this.clusters.infrastructureElement(id);
  }
}
