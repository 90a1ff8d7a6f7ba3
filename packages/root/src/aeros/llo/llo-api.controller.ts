import {
  Controller,
  Delete,
  Get,
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
import { ApiConsumes, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import {
  AEROS_KIND_INFO,
  AEROS_KINDS,
  kindOfLloType,
  parseYamlDocument,
  validateInput,
  AerosServiceComponent,
  type AerosKind,
} from '@canopy/schema';
import { ValidationFailedError, YAML_MEDIA_TYPES } from '@canopy/nest-edge';
import { AerosApi, CurrentUser, type Principal } from '../../auth/principal';
import { ApiAuthenticated } from '../../common/openapi';
import { ROOT_CONFIG } from '../../common/tokens';
import type { RootConfig } from '../../config/root-config';
import { COMPONENTS, type ComponentObject, type ComponentsPort } from '../components.port';
import { LloExceptionFilter } from './llo-exception.filter';

/** llo-api keeps every CR in `default` (its namespace is hard-coded); so does this API. */
const NAMESPACE = 'default';
const YAML_ONLY = 'The content of the body must be in YAML format';

/**
 * aerOS's LLO API (eclipse-aerios/llo-api, aerOS.md §1.6) on the root's port: the paths, `type`
 * values, YAML bodies, headers and status codes aerOS's HLO and its Postman collection use. Errors
 * carry llo-api's `{error}` beside Canopy's error shape.
 */
@ApiTags('aerOS LLO API')
@ApiAuthenticated()
@AerosApi()
@UseFilters(LloExceptionFilter)
@Controller()
export class LloApiController {
  constructor(
    @Inject(COMPONENTS) private readonly components: ComponentsPort,
    @Inject(ROOT_CONFIG) private readonly config: Pick<RootConfig, 'buildTime' | 'commit'>,
  ) {}

  @Get('version')
  @ApiOperation({ summary: 'API version and the CR kinds it serves' })
  version(): Record<string, unknown> {
    return {
      version: '1.2.0',
      supportedCRs: [...AEROS_KINDS].reverse(),
      buildTime: this.config.buildTime,
      commitHash: this.config.commit,
      serviceName: 'Canopy LLO API',
    };
  }

  @Get('v1/service-components')
  @ApiOperation({ summary: 'List the CRs of one type (docker | k8s, default k8s); onlyNames=true for names' })
  async list(
    @CurrentUser() user: Principal,
    @Query('type') type: string | undefined,
    @Query('onlyNames') onlyNames: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ComponentObject[] | string[]> {
    const kind = lloKind(type);
    const names = parseBool(onlyNames ?? 'false');
    const items = await this.components.list(user, kind, NAMESPACE);
    res.setHeader('Results-Count', String(items.length));
    res.setHeader('Llo-Type', AEROS_KIND_INFO[kind].plural);
    return names ? items.map((i) => i.metadata.name) : items;
  }

  @Get('v1/service-components/:name')
  @ApiOperation({ summary: 'One CR, with its status' })
  async get(
    @CurrentUser() user: Principal,
    @Param('name') name: string,
    @Query('type') type: string | undefined,
  ): Promise<ComponentObject> {
    return this.components.get(user, lloKind(type), NAMESPACE, name);
  }

  @Post('v1/service-components')
  @ApiConsumes('application/yaml', 'text/yaml')
  @ApiOperation({ summary: 'Deploy a CR (YAML body): 201, 409 when it exists, 400 naming the bad field' })
  async create(@CurrentUser() user: Principal, @Req() req: Request): Promise<{ message: string }> {
    await this.components.create(user, yamlBody(req), NAMESPACE);
    return { message: 'Successful ServiceComponent deployment' };
  }

  @Put('v1/service-components')
  @HttpCode(204)
  @ApiConsumes('application/yaml', 'text/yaml')
  @ApiOperation({ summary: 'Replace a whole CR (YAML body); a new spec rolls the component over' })
  async replace(@CurrentUser() user: Principal, @Req() req: Request): Promise<void> {
    const body = yamlBody(req);
    const checked = validateInput(AerosServiceComponent, body);
    if (!checked.ok) {
      throw new ValidationFailedError(checked.errors, 'the custom resource is invalid');
    }
    const { kind, metadata } = checked.value;
    await this.components.replace(user, kind, NAMESPACE, metadata.name, body);
  }

  @Patch('v1/service-components/:name')
  @HttpCode(204)
  @ApiConsumes('application/yaml', 'text/yaml')
  @ApiOperation({ summary: 'Replace the spec of a CR (YAML body: the spec only); labels are kept' })
  async patch(
    @CurrentUser() user: Principal,
    @Param('name') name: string,
    @Query('type') type: string | undefined,
    @Req() req: Request,
  ): Promise<void> {
    await this.components.replaceSpec(user, lloKind(type), NAMESPACE, name, yamlBody(req));
  }

  @Delete('v1/service-components/:name')
  @HttpCode(200)
  @ApiOperation({ summary: 'Undeploy and remove a CR: 200 with an empty body, or 404' })
  async delete(
    @CurrentUser() user: Principal,
    @Param('name') name: string,
    @Query('type') type: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    await this.components.delete(user, lloKind(type), NAMESPACE, name);
    res.status(200).end();
  }
}

function lloKind(type: string | undefined): AerosKind {
  const kind = kindOfLloType(type);
  if (kind === undefined) {
    throw new ValidationFailedError(
      [{ path: 'type', message: 'must be docker, servicecomponentdocker, k8s or servicecomponentk8s' }],
      'This LLO type is not valid',
    );
  }
  return kind;
}

function parseBool(raw: string): boolean {
  if (raw === 'true') {
    return true;
  }
  if (raw === 'false') {
    return false;
  }
  throw new ValidationFailedError(
    [{ path: 'onlyNames', message: 'must be true or false' }],
    'The onlyNames parameter must be true or false',
  );
}

/** The body as YAML; llo-api refuses any other media type, and so does this API. */
function yamlBody(req: Request): unknown {
  if (req.is(YAML_MEDIA_TYPES) === false || typeof req.body !== 'string') {
    throw new ValidationFailedError([{ path: '$', message: YAML_ONLY }], YAML_ONLY);
  }
  if (req.body.trim() === '') {
    throw new ValidationFailedError([{ path: '$', message: 'Body cannot be empty' }], 'Body cannot be empty');
  }
  const parsed = parseYamlDocument(req.body);
  if (!parsed.ok) {
    throw new ValidationFailedError(parsed.errors, parsed.errors[0]?.message ?? 'bad YAML');
  }
  return parsed.value;
}
