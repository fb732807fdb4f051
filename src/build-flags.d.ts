// Constants the bundler defines (wrangler.toml [env.production.define]); undefined where nothing defines them.
declare const DEV_ROUTES: boolean | undefined;
