import { Controller, Get, Headers, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { AerosApi, Public } from '../../auth/principal';
import { aerosResourceList, apiGroup, apiGroupList, apiVersions, coreResourceList, versionInfo } from './k8s-objects';
import {
  OPENAPI_V2_PROTOBUF,
  openApiV2Json,
  openApiV2Protobuf,
  openApiV3GroupVersion,
  openApiV3Root,
} from './k8s-openapi';
import { K8sStatusFilter } from './k8s-status.filter';

/**
 * Discovery for kubectl: which groups, versions and resources exist, and their OpenAPI. kubectl ≥1.26
 * first asks for the aggregated discovery types (`as=APIGroupDiscoveryList`) and falls back to these
 * plain ones when the answer is not one, so only the plain types are served.
 */
@AerosApi()
@ApiExcludeController()
@UseFilters(K8sStatusFilter)
@Controller('k8s')
export class K8sDiscoveryController {
  /** Public as on a real cluster (`system:public-info-viewer`): it tells nothing about objects. */
  @Public()
  @Get('version')
  version(): object {
    return versionInfo();
  }

  @Get('api')
  api(): object {
    return apiVersions();
  }

  @Get('api/v1')
  coreV1(): object {
    return coreResourceList();
  }

  @Get('apis')
  apis(): object {
    return apiGroupList();
  }

  @Get('apis/llo.aeros-project.eu')
  group(): object {
    return apiGroup();
  }

  @Get('apis/llo.aeros-project.eu/v1alpha1')
  resources(): object {
    return aerosResourceList();
  }

  @Get('openapi/v2')
  openApiV2(@Headers('accept') accept: string | undefined, @Res() res: Response): void {
    if ((accept ?? '').includes('protobuf')) {
      res.status(200).type(OPENAPI_V2_PROTOBUF).send(openApiV2Protobuf());
    } else {
      res.status(200).type('application/json').send(JSON.stringify(openApiV2Json()));
    }
  }

  @Get('openapi/v3')
  openApiV3(): object {
    return openApiV3Root();
  }

  @Get('openapi/v3/apis/llo.aeros-project.eu/v1alpha1')
  openApiV3GroupVersion(): object {
    return openApiV3GroupVersion();
  }
}
