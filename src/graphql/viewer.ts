import type { GatewayBuilder } from './builder.js';

/** `viewer`: what the calling key may do, so a frontend can show only the controls that will work. */
export function registerViewer(builder: GatewayBuilder) {
  const ViewerRef = builder.simpleObject('Viewer', {
    description: 'The caller: the API key in use, or the open mode of a gateway without auth.',
    fields: (t) => ({
      name: t.string({ description: 'The key’s name; `anonymous` when the gateway has no auth section.' }),
      scopes: t.stringList({ description: '`read`, `write`.' }),
      backends: t.stringList({ nullable: true, description: 'Backends the key may use; null: every backend.' }),
    }),
  });
  builder.queryField('viewer', (t) =>
    t.field({
      type: ViewerRef,
      description: 'Who is calling and what the key may do.',
      resolve: (_root, _args, ctx) =>
        ctx.principal
          ? { name: ctx.principal.name, scopes: [...ctx.principal.scopes], backends: ctx.principal.backends ? [...ctx.principal.backends] : null }
          : { name: 'anonymous', scopes: ['read', 'write'], backends: null },
    }),
  );
}
