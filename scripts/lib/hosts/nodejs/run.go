package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/google/shlex"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/logging"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

const (
	// defaultRunner is the module, resolved from the program directory, that runs a Pulumi Node.js program.
	// PULUMI_LANGUAGE_NODEJS_RUN_PATH overrides it, as with the real host.
	defaultRunner = "@pulumi/pulumi/cmd/run"

	// exitAfterUserMessage is the runner's exit status when it has already shown the user an error it considers
	// actionable: the engine is told to bail out without adding a message of its own.
	exitAfterUserMessage = 32

	// stopGrace is how long a program has to exit after an interrupt (Cancel, or the engine ending Run) before it
	// is killed.
	stopGrace = 5 * time.Second
)

// resolveModule asks node where a module resolves from dir, with Node's own resolution, so that only a module in
// the program's node_modules (or its ancestors') counts, as with the real host.
func resolveModule(ctx context.Context, nodeBin, dir, module string) (string, error) {
	// The module and the directory come in as arguments (process.argv[1], [2]), never spliced into the source.
	const script = `const [module] = process.argv.slice(1);
try {
	console.log(require.resolve(module));
} catch (e) {
	if (e.code !== "MODULE_NOT_FOUND") throw e;
	console.error("It looks like the Pulumi SDK has not been installed. Have you run pulumi install?");
	process.exit(1);
}`
	cmd := exec.CommandContext(ctx, nodeBin, "-e", script, module)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			return "", errors.New(strings.TrimSpace(string(exitErr.Stderr)))
		}
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}

// Run runs the program in a node process through @pulumi/pulumi's runner, which connects to the engine's
// resource monitor itself.
func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	info := req.GetInfo()
	if info == nil {
		return nil, errors.New("the Run request carries no program information (a Pulumi CLI older than this host)")
	}
	if req.GetAttachDebugger() {
		return &pulumirpc.RunResponse{Error: "this stand-in Node.js host cannot attach a debugger"}, nil
	}
	opts, err := parseOptions(info.GetOptions().AsMap())
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("could not find node on the $PATH: %v", err)}, nil
	}
	runner := os.Getenv("PULUMI_LANGUAGE_NODEJS_RUN_PATH")
	if runner == "" {
		runner = defaultRunner
	}
	runnerPath, err := resolveModule(ctx, nodeBin, info.GetProgramDirectory(), runner)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	nodeArgs, err := shlex.Split(opts.nodeArgs)
	if err != nil {
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("runtime option nodeargs: %v", err)}, nil
	}
	env, err := h.runEnvironment(req, opts)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	args := append(nodeArgs, runnerPath)
	args = append(args, h.runnerArguments(req)...)
	return h.execute(ctx, nodeBin, args, env), nil
}

// runnerArguments is the runner's command line: its flags, the entry point, then the program's own arguments.
func (h *host) runnerArguments(req *pulumirpc.RunRequest) []string {
	var args []string
	flag := func(name, value string) {
		if value != "" {
			args = append(args, "--"+name, value)
		}
	}
	info := req.GetInfo()
	flag("monitor", req.GetMonitorAddress())
	flag("engine", h.engineAddress)
	flag("organization", req.GetOrganization())
	flag("project", req.GetProject())
	flag("root-directory", info.GetRootDirectory())
	flag("stack", req.GetStack())
	flag("pwd", info.GetProgramDirectory())
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	flag("parallel", strconv.Itoa(int(req.GetParallel())))
	flag("tracing", h.tracing)
	entryPoint := info.GetEntryPoint()
	if entryPoint == "" {
		entryPoint = "."
	}
	args = append(args, entryPoint)
	return append(args, req.GetArgs()...)
}

// runEnvironment is the runner's environment: ours, plus the stack's configuration (keys in the runtime's
// "<namespace>:config:<name>" form), the secret keys, and the TypeScript settings from the runtime options.
func (h *host) runEnvironment(req *pulumirpc.RunRequest, opts nodeOptions) ([]string, error) {
	cfg := make(map[string]string, len(req.GetConfig()))
	for k, v := range req.GetConfig() {
		key, err := config.ParseKey(k)
		if err != nil {
			return nil, fmt.Errorf("configuration key %q: %w", k, err)
		}
		cfg[key.Namespace()+":config:"+key.Name()] = v
	}
	cfgJSON, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	secretJSON, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, err
	}
	env := append(os.Environ(), "PULUMI_CONFIG="+string(cfgJSON), "PULUMI_CONFIG_SECRET_KEYS="+string(secretJSON))
	if opts.typescript {
		env = append(env, "PULUMI_NODEJS_TYPESCRIPT=true")
	}
	if opts.tsconfigPath != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+opts.tsconfigPath)
	}
	return env, nil
}

// execute runs node and turns its exit into the Run response. Cancel, or the engine abandoning the request,
// interrupts the program and kills it after stopGrace.
func (h *host) execute(ctx context.Context, nodeBin string, args, env []string) *pulumirpc.RunResponse {
	cmdCtx, cancel := context.WithCancel(h.cancelled)
	defer cancel()
	stopOnDone := context.AfterFunc(ctx, cancel)
	defer stopOnDone()

	cmd := exec.CommandContext(cmdCtx, nodeBin, args...)
	cmd.Env = env
	// Node may switch its stdio to non-blocking mode; handing it our own file descriptors would let that leak into
	// this process. Wrapping them in plain writers makes exec copy through pipes instead.
	cmd.Stdout = struct{ io.Writer }{os.Stdout}
	cmd.Stderr = struct{ io.Writer }{os.Stderr}
	cmd.Cancel = func() error {
		if err := cmd.Process.Signal(os.Interrupt); err != nil {
			return cmd.Process.Kill()
		}
		return nil
	}
	cmd.WaitDelay = stopGrace
	logging.V(5).Infof("running the program: %s", cmd)

	err := cmd.Run()
	if err == nil {
		return &pulumirpc.RunResponse{}
	}
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) {
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("could not run the program with %s: %v", nodeBin, err)}
	}
	switch code := exitErr.ExitCode(); code {
	case exitAfterUserMessage:
		return &pulumirpc.RunResponse{Bail: true}
	case -1:
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("the program was stopped: %v", exitErr)}
	default:
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program exited with non-zero exit code: %d", code)}
	}
}
