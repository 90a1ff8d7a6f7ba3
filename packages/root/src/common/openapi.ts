import { applyDecorators, type INestApplication } from '@nestjs/common';
import { ApiBearerAuth, ApiResponse, DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { defaultMetadataStorage } from 'class-transformer/cjs/storage';
import { validationMetadatasToSchemas } from 'class-validator-jsonschema';

const ERROR_REF = { $ref: '#/components/schemas/ErrorResponse' };

/** The error shape every route answers with (see DomainExceptionFilter). */
const ERROR_SCHEMA = {
  type: 'object',
  required: ['statusCode', 'code', 'message', 'errors'],
  properties: {
    statusCode: { type: 'integer', example: 400 },
    code: { type: 'string', example: 'VALIDATION_FAILED' },
    message: { type: 'string' },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        required: ['path', 'message'],
        properties: {
          path: { type: 'string', example: 'applications[0].microservices[0].port' },
          message: { type: 'string' },
        },
      },
    },
  },
};

/** Documents the errors a route can answer and that it needs a bearer token. */
export function ApiAuthenticated(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiBearerAuth(),
    ApiResponse({ status: 400, description: 'invalid input; `errors` names each bad field', schema: ERROR_REF }),
    ApiResponse({ status: 401, description: 'missing, invalid or expired token', schema: ERROR_REF }),
    ApiResponse({ status: 403, description: 'the route needs another role', schema: ERROR_REF }),
    ApiResponse({ status: 404, description: 'unknown id, or an object of another user', schema: ERROR_REF }),
    ApiResponse({ status: 409, description: 'name taken, or a stale `version`', schema: ERROR_REF }),
    ApiResponse({ status: 413, description: 'request body over the size limit', schema: ERROR_REF }),
  );
}

export function ApiPublicErrors(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiResponse({ status: 400, description: 'invalid input', schema: ERROR_REF }),
    ApiResponse({ status: 401, description: 'wrong credentials or token', schema: ERROR_REF }),
    ApiResponse({ status: 429, description: 'too many attempts; wait a minute', schema: ERROR_REF }),
  );
}

/**
 * OpenAPI at `/api/docs` (UI) and `/api/docs-json`. Request body schemas come from the same
 * class-validator classes that validate the requests (via class-validator-jsonschema), so the
 * document cannot drift from what the API accepts.
 */
export function setupOpenApi(app: INestApplication): void {
  const config = new DocumentBuilder()
    .setTitle('Canopy root orchestrator')
    .setDescription(
      'Oakestra-compatible System Manager API. Every route but login, refresh and health needs a bearer token.',
    )
    .setVersion('0.1.0')
    .addBearerAuth()
    .build();
  const document = SwaggerModule.createDocument(app, config);
  const schemas = validationMetadatasToSchemas({
    refPointerPrefix: '#/components/schemas/',
    classTransformerMetadataStorage: defaultMetadataStorage,
  });
  document.components = {
    ...document.components,
    schemas: { ...document.components?.schemas, ...(schemas as Record<string, object>), ErrorResponse: ERROR_SCHEMA },
  };
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/docs-json' });
}
