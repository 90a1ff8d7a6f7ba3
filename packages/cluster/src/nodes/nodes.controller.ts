import { Body, Controller, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import { NodeRegisterRequest, type NodeRegisterResponse } from '@canopy/schema';
import { BrokerCredentials } from '../mqtt/broker-credentials.port';
import { MqttAccess } from '../mqtt/mqtt-access';
import { NodeTokenGuard, type NodeAuthRequest } from './node-token.guard';
import { NodesService } from './nodes.service';
import { RegisterAdmissionGuard } from './register-admission.guard';

@Controller('api/node')
export class NodesController {
  constructor(
    private readonly nodes: NodesService,
    private readonly access: MqttAccess,
    private readonly credentials: BrokerCredentials,
  ) {}

  /** Oakestra's registration path; the reply tells the node where and how to log in to MQTT. */
  @Post('register')
  @HttpCode(200)
  // Throttled before the token check, so guessing a join token stays slow; the fleet-wide admission
  // rate after it, so one address guessing tokens cannot use up everyone's admissions.
  @UseGuards(ThrottlerGuard, NodeTokenGuard, RegisterAdmissionGuard)
  async register(@Body() body: NodeRegisterRequest, @Req() req: NodeAuthRequest): Promise<NodeRegisterResponse> {
    const { node, password, credential } = this.nodes.register(body, req.nodeAuth ?? { kind: 'join' });
    // Before the reply: the node connects to the broker right after it.
    await this.credentials.grant(node.id, password);
    const broker = this.access.forNode(node.id, password);
    return {
      id: node.id,
      MQTT_BROKER_PORT: broker.port,
      ...(broker.host !== undefined ? { MQTT_BROKER_HOST: broker.host } : {}),
      ...(broker.tls ? { MQTT_BROKER_TLS: true } : {}),
      mqtt: broker.login,
      ...(credential === undefined ? {} : { credential }),
    };
  }
}
