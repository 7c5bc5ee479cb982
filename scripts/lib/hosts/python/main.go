// Command pulumi-language-python is this project's stand-in for Pulumi's Python language host, for machines where
// Pulumi's own host cannot be built (the Go module proxy here refuses its nested module at every version).
//
// The engine starts it as `pulumi-language-python [-tracing URL] [-v=N -logtostderr] ENGINE_ADDRESS`, reads the
// port it prints on stdout and calls the LanguageRuntime gRPC API. It follows Pulumi's v3.274.1 host wherever a
// user would notice: the flags it accepts (anything else is an error), the toolchain and virtualenv taken from
// `runtime.options` of Pulumi.yaml or PulumiPlugin.yaml, the interpreter those select, the error for a missing
// virtualenv, `pulumi install` (create the virtualenv, then `pip install -r requirements.txt` or the pyproject),
// programs run through the `pulumi-language-python-exec` shim installed beside this binary, and plugins run with
// `python -m pulumi.run.plugin` or their `__main__.py`. The Python work itself is done by the sdk/v3 module's
// `python/toolchain` package, the same code Pulumi's host uses.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/cmdutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/logging"
	"github.com/pulumi/pulumi/sdk/v3/go/common/version"

	"pulumi-cpp-golive.invalid/hosts/internal/serve"
)

// execShimName is the Python script that runs a program for the host; Pulumi's release archive ships it beside the
// host, and scripts/bootstrap-pulumi installs it there from the sdk/v3 module.
const execShimName = "pulumi-language-python-exec"

func main() {
	// The same flags as Pulumi's host: the engine passes -tracing, and -v/-logtostderr (registered by the logging
	// package). Go's flag package rejects everything else, as the real host does (-virtualenv, -root, -toolchain).
	tracing := flag.String("tracing", "", "Emit tracing to a Zipkin-compatible tracing endpoint")
	showVersion := flag.Bool("version", false, "Print the current plugin version and exit")
	executor := flag.String("use-executor", "",
		"Use the given program as the executor instead of the "+execShimName+" beside this binary")
	flag.Parse()

	if *showVersion {
		fmt.Println(version.Version)
		return
	}
	logging.InitLogging(false, 0, false)
	cmdutil.InitTracing("pulumi-language-python", "pulumi-language-python", *tracing)

	shim, err := findExecShim(*executor)
	if err != nil {
		cmdutil.Exit(err)
	}

	var engineAddress string
	if args := flag.Args(); len(args) > 0 {
		engineAddress = args[0]
	}

	// Ctrl-C (the engine's interrupt) stops serving; so does losing the engine, which the health check notices.
	serve.Host(engineAddress, newHost(shim, engineAddress, *tracing))
}

// findExecShim returns the executor to run programs with: the one given by -use-executor, else the shim beside
// this binary (following symlinks to it, as a release install does not need them).
func findExecShim(given string) (string, error) {
	if given != "" {
		return given, nil
	}
	self, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("could not determine current executable: %w", err)
	}
	shim := filepath.Join(filepath.Dir(self), execShimName)
	if _, err := os.Stat(shim); err != nil {
		return "", fmt.Errorf("missing executor %s: %w", shim, err)
	}
	return shim, nil
}
