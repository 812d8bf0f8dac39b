/** The admin's routes (devices, revocation, team keys, wrapped organisation keys, audit) and a device's team keys. */
import type { FastifyInstance } from 'fastify';
import { AuditRequest, TeamKeyEnvelopes, type AuditPage, type DeviceSummary } from '../../domain/protocol.ts';
import type { TeamKeyEnvelope } from '../storage/types.ts';
import { errors } from './errors.ts';
import { addRoute, type ApiContext } from './route.ts';
import { AddWrappedKeysRequest, DeviceParams, OrgParams, PageQuery, page } from './schemas.ts';
import { UPLOAD_BODY_LIMIT } from './batchRoutes.ts';

export function adminRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { storage } = ctx;

  addRoute(app, ctx, {
    method: 'GET',
    url: '/orgs/:orgId/devices',
    access: 'admin',
    params: OrgParams,
    handler: async ({ params, now }): Promise<{ devices: DeviceSummary[]; serverTime: string }> => {
      const devices = await storage.listDevices(params.orgId);
      return {
        devices: devices.map((d) => ({
          deviceId: d.deviceId,
          name: d.name,
          role: d.role,
          enrolledAt: d.enrolledAt,
          lastSeenAt: d.lastSeenAt,
          revokedAt: d.revokedAt,
          encryptionKey: d.encryptionKey,
          signingKey: d.signingKey,
        })),
        serverTime: now.toISOString(),
      };
    },
  });

  addRoute(app, ctx, {
    method: 'POST',
    url: '/orgs/:orgId/devices/:deviceId/revoke',
    access: 'admin',
    params: DeviceParams,
    handler: async ({ params, device, now }) => {
      if (params.deviceId === device.deviceId) throw errors.cannotRevokeSelf();
      const target = await storage.getDevice(params.orgId, params.deviceId);
      if (!target) throw errors.deviceNotFound();
      const at = now.toISOString();
      if (target.revokedAt === null) {
        await storage.revokeDevice(params.orgId, params.deviceId, at);
        await storage.appendAudit({ orgId: params.orgId, at, actor: device.deviceId, action: 'device.revoked', subject: params.deviceId });
      }
      return { deviceId: params.deviceId, revokedAt: target.revokedAt ?? at, serverTime: at };
    },
  });

  addRoute(app, ctx, {
    method: 'PUT',
    url: '/orgs/:orgId/team-keys',
    access: 'admin',
    params: OrgParams,
    body: TeamKeyEnvelopes,
    // 10,000 envelopes of a sealed 32-byte key are a few megabytes.
    bodyLimit: UPLOAD_BODY_LIMIT,
    handler: async ({ params, body, device, now }) => {
      const devices = new Map((await storage.listDevices(params.orgId)).map((d) => [d.deviceId, d]));
      body.envelopes.forEach((e, i) => {
        const target = devices.get(e.deviceId);
        if (!target) {
          throw errors.invalid(
            `The request body is not valid: envelopes[${i}].deviceId is not a device of this organisation. Refresh the device list and seal the team key again.`,
          );
        }
        if (target.revokedAt !== null) {
          throw errors.invalid(
            `The request body is not valid: envelopes[${i}].deviceId is a revoked device, and a new team key must never be sealed to it. Refresh the device list and seal the team key again.`,
          );
        }
      });
      await storage.putTeamKeyEnvelopes(params.orgId, body.version, body.envelopes);
      const at = now.toISOString();
      await storage.appendAudit({ orgId: params.orgId, at, actor: device.deviceId, action: 'teamKey.rotated', subject: null });
      return { version: body.version, serverTime: at };
    },
  });

  addRoute(app, ctx, {
    method: 'GET',
    url: '/orgs/:orgId/team-keys',
    access: 'device',
    params: OrgParams,
    handler: async ({ params, device, now }): Promise<{ envelopes: TeamKeyEnvelope[]; serverTime: string }> => ({
      envelopes: (await storage.listTeamKeyEnvelopes(params.orgId, device.deviceId)).map((e) => ({ version: e.version, sealed: e.sealed })),
      serverTime: now.toISOString(),
    }),
  });

  addRoute(app, ctx, {
    method: 'GET',
    url: '/orgs/:orgId/admin-keys',
    access: 'admin',
    params: OrgParams,
    handler: async ({ params, now }) => ({ keys: await storage.listWrappedKeys(params.orgId), serverTime: now.toISOString() }),
  });

  addRoute(app, ctx, {
    method: 'POST',
    url: '/orgs/:orgId/admin-keys',
    access: 'admin',
    params: OrgParams,
    body: AddWrappedKeysRequest,
    handler: async ({ params, body, device, now, reply }) => {
      await storage.addWrappedKeys(params.orgId, body.keys);
      const at = now.toISOString();
      for (const key of body.keys) {
        await storage.appendAudit({ orgId: params.orgId, at, actor: device.deviceId, action: 'wrappedKey.added', subject: key.id });
      }
      reply.code(201);
      return { serverTime: at };
    },
  });

  addRoute(app, ctx, {
    method: 'GET',
    url: '/orgs/:orgId/audit',
    access: 'admin',
    params: OrgParams,
    query: PageQuery,
    handler: async ({ params, query, now }): Promise<AuditPage> => {
      const { items, next } = await page((after, limit) => storage.listAudit(params.orgId, after, limit), query);
      return { entries: items, next, serverTime: now.toISOString() };
    },
  });

  // What the admin did on her own device, where the endpoint cannot see it (a merge, an erasure, an
  // import): the action and who, never whom or what.
  addRoute(app, ctx, {
    method: 'POST',
    url: '/orgs/:orgId/audit',
    access: 'admin',
    params: OrgParams,
    body: AuditRequest,
    handler: async ({ params, body, device, now, reply }) => {
      const at = now.toISOString();
      await storage.appendAudit({ orgId: params.orgId, at, actor: device.deviceId, action: body.action, subject: null });
      reply.code(201);
      return { serverTime: at };
    },
  });
}
