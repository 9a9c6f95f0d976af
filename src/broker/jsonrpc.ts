import { z } from 'zod';

/** JSON-RPC 2.0 error codes (https://www.jsonrpc.org/specification#error_object). */
export const RpcErrorCode = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
} as const;

const MESSAGES: Record<number, string> = {
  [-32700]: 'Parse error',
  [-32600]: 'Invalid Request',
  [-32601]: 'Method not found',
  [-32602]: 'Invalid params',
  [-32603]: 'Internal error',
};

export type RpcId = string | number | null;

/** Thrown by a handler to answer with a specific error, e.g. INVALID_PARAMS for an unknown source. */
export class RpcError extends Error {
  override readonly name = 'RpcError';
  constructor(
    readonly code: (typeof RpcErrorCode)[keyof typeof RpcErrorCode],
    message: string,
  ) {
    super(message);
  }
}

export interface RpcMethod<P extends z.ZodType = z.ZodType> {
  params: P;
  handler: (params: z.output<P>) => unknown;
}

/** Declares a method with its params schema, keeping the handler's parameter type. */
export function method<P extends z.ZodType>(
  params: P,
  handler: (params: z.output<P>) => unknown,
): RpcMethod<P> {
  return { params, handler };
}

const requestSchema = z.object({
  jsonrpc: z.literal('2.0'),
  method: z.string().min(1),
  params: z.union([z.record(z.string(), z.unknown()), z.array(z.unknown())]).optional(),
  id: z.union([z.string(), z.number(), z.null()]).optional(),
});

function errorResponse(id: RpcId, code: number, data: string): string {
  return JSON.stringify({ jsonrpc: '2.0', id, error: { code, message: MESSAGES[code], data } });
}

/**
 * Handles one JSON-RPC 2.0 request (batches are not supported: one MQTT message, one call).
 * Returns the response text, or null for a notification (a request without `id`). Never throws:
 * a handler that fails becomes -32603 with its message.
 */
export function handleRpc(text: string, methods: Readonly<Record<string, RpcMethod>>): string | null {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return errorResponse(null, RpcErrorCode.PARSE_ERROR, `not valid JSON: ${(err as Error).message}`);
  }
  const parsed = requestSchema.safeParse(raw);
  if (!parsed.success) {
    const id = idOf(raw);
    const issue = parsed.error.issues[0];
    const what = Array.isArray(raw)
      ? 'batch requests are not supported; send one request per message'
      : `${issue?.path.join('.') || 'request'}: ${issue?.message ?? 'not a JSON-RPC 2.0 request'}`;
    return errorResponse(id, RpcErrorCode.INVALID_REQUEST, what);
  }
  const { method: name, params, id } = parsed.data;
  const notification = id === undefined;
  const reply = (body: string) => (notification ? null : body);
  const target = Object.hasOwn(methods, name) ? methods[name] : undefined;
  if (!target) {
    return reply(
      errorResponse(
        id ?? null,
        RpcErrorCode.METHOD_NOT_FOUND,
        `no method "${name}" (known: ${Object.keys(methods).join(', ')})`,
      ),
    );
  }
  const args = target.params.safeParse(params ?? {});
  if (!args.success) {
    const issue = args.error.issues[0];
    const key = issue?.code === 'unrecognized_keys' ? issue.keys[0] : issue?.path.join('.');
    const message = issue?.code === 'unrecognized_keys' ? 'unknown parameter' : issue?.message;
    return reply(errorResponse(id ?? null, RpcErrorCode.INVALID_PARAMS, `${key || 'params'}: ${message}`));
  }
  try {
    const result = target.handler(args.data);
    return reply(JSON.stringify({ jsonrpc: '2.0', id, result: result ?? null }));
  } catch (err) {
    const code = err instanceof RpcError ? err.code : RpcErrorCode.INTERNAL_ERROR;
    return reply(errorResponse(id ?? null, code, err instanceof Error ? err.message : String(err)));
  }
}

function idOf(raw: unknown): RpcId {
  if (typeof raw !== 'object' || raw === null || !('id' in raw)) return null;
  const { id } = raw as { id: unknown };
  return typeof id === 'string' || typeof id === 'number' ? id : null;
}
