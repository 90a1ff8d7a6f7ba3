import { ApiTags } from '@nestjs/swagger';
import { ApiAuthenticated } from '../common/openapi';
import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, UseInterceptors } from '@nestjs/common';
import { OakestraSlaBodyInterceptor } from '../common/oakestra-body.interceptor';
import { SlaDescriptor } from '@canopy/schema';
import { CurrentUser, type Principal } from '../auth/principal';
import { toApplicationView, type ApplicationView } from '../services/views';
import { ApplicationsService } from './applications.service';
import { ApplicationUpdateDto } from './dto/application-update.dto';

@ApiTags('applications')
@ApiAuthenticated()
@Controller('api')
export class ApplicationsController {
  constructor(private readonly applications: ApplicationsService) {}

  @Post('application')
  @HttpCode(201)
  @UseInterceptors(OakestraSlaBodyInterceptor)
  async create(
    @CurrentUser() user: Principal,
    @Body() sla: SlaDescriptor,
  ): Promise<{ applications: ApplicationView[] }> {
    const created = await this.applications.create(user, sla);
    return { applications: created.map(toApplicationView) };
  }

  @Get('applications')
  async list(@CurrentUser() user: Principal): Promise<ApplicationView[]> {
    return (await this.applications.list(user)).map(toApplicationView);
  }

  /**
   * Oakestra's `GET /api/applications/<userId>`: that user's applications. A user may list its
   * own; an admin anyone's. Another user's list is empty, as if it owned none.
   */
  @Get('applications/:userId')
  async listOfUser(@CurrentUser() user: Principal, @Param('userId') userId: string): Promise<ApplicationView[]> {
    return (await this.applications.listOfUser(user, userId)).map(toApplicationView);
  }

  @Get('application/:id')
  async get(@CurrentUser() user: Principal, @Param('id') id: string): Promise<ApplicationView> {
    return toApplicationView(await this.applications.get(user, id));
  }

  @Put('application/:id')
  async update(
    @CurrentUser() user: Principal,
    @Param('id') id: string,
    @Body() body: ApplicationUpdateDto,
  ): Promise<ApplicationView> {
    return toApplicationView(await this.applications.update(user, id, body));
  }

  @Delete('application/:id')
  @HttpCode(200)
  async delete(@CurrentUser() user: Principal, @Param('id') id: string): Promise<{ deleted: string }> {
    await this.applications.delete(user, id);
    return { deleted: id };
  }
}
