package main

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/nodejs/npm"
)

// nodeOptions are the `runtime.options` of a Node.js project (Pulumi.yaml), read the way the real host reads them.
type nodeOptions struct {
	// typescript: load .ts files with ts-node (the default). false runs the program as JavaScript.
	typescript bool
	// tsconfig: the tsconfig file the runner hands to ts-node instead of ./tsconfig.json.
	tsconfigPath string
	// nodeargs: extra arguments for the node process, split like a shell would.
	nodeArgs string
	// packagemanager: auto (the default: from the lock file present), npm, yarn, pnpm or bun.
	packageManager npm.PackageManagerType
	// production: install without devDependencies.
	production bool
}

// parseOptions validates the runtime options. Unknown keys are ignored, as the real host ignores them; a known key
// with a value of the wrong type is an error naming the key.
func parseOptions(options map[string]any) (nodeOptions, error) {
	opts := nodeOptions{typescript: true, packageManager: npm.AutoPackageManager}
	var err error
	if opts.typescript, err = boolOption(options, "typescript", opts.typescript); err != nil {
		return opts, err
	}
	if opts.production, err = boolOption(options, "production", opts.production); err != nil {
		return opts, err
	}
	if opts.tsconfigPath, err = stringOption(options, "tsconfig"); err != nil {
		return opts, err
	}
	if opts.nodeArgs, err = stringOption(options, "nodeargs"); err != nil {
		return opts, err
	}
	manager, err := stringOption(options, "packagemanager")
	if err != nil {
		return opts, err
	}
	switch manager {
	case "", "auto":
		opts.packageManager = npm.AutoPackageManager
	case "npm":
		opts.packageManager = npm.NpmPackageManager
	case "yarn":
		opts.packageManager = npm.YarnPackageManager
	case "pnpm":
		opts.packageManager = npm.PnpmPackageManager
	case "bun":
		opts.packageManager = npm.BunPackageManager
	default:
		return opts, fmt.Errorf("runtime option packagemanager must be one of auto, npm, yarn, pnpm or bun, got %q",
			manager)
	}
	return opts, nil
}

func boolOption(options map[string]any, key string, fallback bool) (bool, error) {
	value, ok := options[key]
	if !ok {
		return fallback, nil
	}
	b, ok := value.(bool)
	if !ok {
		return fallback, fmt.Errorf("runtime option %s must be a boolean, got %v", key, value)
	}
	return b, nil
}

func stringOption(options map[string]any, key string) (string, error) {
	value, ok := options[key]
	if !ok {
		return "", nil
	}
	s, ok := value.(string)
	if !ok {
		return "", fmt.Errorf("runtime option %s must be a string, got %v", key, value)
	}
	return s, nil
}
