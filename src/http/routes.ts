// What each path does. The API paths take POST from authorized clients and go to the proxy core
// (src/proxy/handle-api.ts); the others take GET or HEAD: probes, metrics and the model list.
// An unknown path is a 404 and a wrong method a 405, thrown like every other refusal.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { healthReport, isReady, publicHealthReport } from '../observability/health.ts';
import type { RequestContext } from '../observability/request-record.ts';
import type { ClientApi } from '../providers/types.ts';
import { handleApi } from '../proxy/handle-api.ts';
import type { ProxyApp } from './app.ts';
import { errors } from './errors.ts';
import { isLoopback } from './loopback.ts';

export const API_PATHS: Record<string, ClientApi> = {
  '/v1/chat/completions': 'chat',
  '/v1/messages': 'messages',
  '/v1/embeddings': 'embeddings',
  '/v1/responses': 'responses',
  '/v1/completions': 'completions',
};

export async function dispatch(
  app: ProxyApp,
  path: string,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
): Promise<void> {
  const api = API_PATHS[path];
  if (api !== undefined) {
    if (req.method !== 'POST') throw errors.methodNotAllowed(req.method ?? '', path);
    app.authorize(req, ctx);
    return handleApi(api, req, res, ctx, {
      runtime: app.runtime,
      metrics: app.metrics,
      logger: app.logger,
      gateway: app.gateway,
      memory: app.requestMemory(req, res),
    });
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') throw errors.methodNotAllowed(req.method ?? '', path);
  switch (path) {
    case '/ping':
      return text(res, 200, 'pong', 'text/plain');
    case '/health/live':
      return text(res, 200, '{"status":"ok"}', 'application/json');
    case '/health/ready': {
      const ready = isReady(app.health);
      return text(res, ready ? 200 : 503, ready ? '{"status":"ready"}' : '{"status":"not ready"}', 'application/json');
    }
    case '/health': {
      const detailed = isLoopback(req.socket.remoteAddress) || app.isClient(req);
      const h = detailed ? healthReport(app.health) : publicHealthReport(app.health);
      return text(res, h.status === 'error' ? 503 : 200, h.body, 'application/json');
    }
    case '/metrics':
      app.authorizeAdmin(req, ctx);
      return text(res, 200, app.metrics.registry.render(), 'text/plain; version=0.0.4');
    case '/v1/models': {
      const client = app.authorize(req, ctx);
      const rt = app.runtime;
      const body = app.gateway ? app.gateway.modelsBody(client, rt.modelsBody, rt.loadedAt) : rt.modelsBody;
      return text(res, 200, body, 'application/json');
    }
    default:
      throw errors.notFound(path);
  }
}

function text(res: ServerResponse, status: number, body: string, type: string): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
