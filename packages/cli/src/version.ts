import manifest from '../package.json' with { type: 'json' };

/** The package's version, for `army --version`. */
export const VERSION: string = manifest.version;
