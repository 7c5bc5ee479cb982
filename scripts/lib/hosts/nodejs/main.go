// Command pulumi-language-nodejs is this project's stand-in for Pulumi's Node.js language host, for machines where
// Pulumi's own host cannot be built (the Go module proxy here refuses its nested module at every version).
//
// It is written against Pulumi's public Go SDK (github.com/pulumi/pulumi/sdk/v3) and behaves like the real host of
// the release this project pins wherever a user would notice:
//
//   - the flags: -tracing, -runtime and -version; any other flag is an error, as with the real host;
//   - Run finds @pulumi/pulumi by Node's own module resolution from the program directory (so it must be in the
//     program's node_modules; otherwise the error tells the user to run `pulumi install`) and runs the program
//     through that package's runner, @pulumi/pulumi/cmd/run, with the arguments and environment the real host
//     passes. The runner loads TypeScript with ts-node and type-checks it unless the project opts out
//     (runtime options `typescript: false`, `tsconfig`, `nodeargs`; `noCheck` in tsconfig.json);
//   - InstallDependencies runs the project's package manager through Pulumi's own sdk/v3/nodejs/npm package;
//   - GetRequiredPackages reports every package under node_modules whose package.json declares a Pulumi resource
//     plugin; GetRequiredPlugins is unimplemented, as in the real host (the engine asks for packages instead).
//
// Not provided, each refused with an error rather than done differently: the Bun runtime (-runtime=bun), attaching
// a debugger, RunPlugin (Node.js provider plugins), Link, code generation and Pack (UNIMPLEMENTED). Also absent:
// the pipes of the deprecated synchronous-invoke API (the runner gets no --sync, as when the real host runs a
// program that never uses it) and switching Node.js versions with fnm for .nvmrc files.
package main

import (
	"flag"
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/cmdutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/logging"
	"github.com/pulumi/pulumi/sdk/v3/go/common/version"

	"pulumi-cpp-golive.invalid/hosts/internal/serve"
)

func main() {
	tracingEndpoint := flag.String("tracing", "", "send tracing data to this Zipkin-compatible endpoint")
	runtimeName := flag.String("runtime", "nodejs", "the JavaScript runtime to run programs with (only `nodejs` here)")
	showVersion := flag.Bool("version", false, "print the plugin version and exit")
	flag.Parse() // an unknown flag ends the process with status 2 and the usage text, as the real host does

	if *showVersion {
		fmt.Println(version.Version)
		return
	}
	logging.InitLogging(false, 0, false)
	cmdutil.InitTracing("pulumi-language-nodejs", "pulumi-language-nodejs", *tracingEndpoint)
	if *runtimeName != "nodejs" {
		cmdutil.Exit(fmt.Errorf("unsupported runtime %q: this stand-in host runs programs with Node.js only",
			*runtimeName))
	}

	var engineAddress string
	if args := flag.Args(); len(args) > 0 {
		engineAddress = args[0]
	}

	// An interrupt, or the engine going away, stops the server.
	serve.Host(engineAddress, newHost(engineAddress, *tracingEndpoint))
}
