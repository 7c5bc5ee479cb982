package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/logging"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/version"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/pulumi/pulumi/sdk/v3/python/toolchain"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
)

// exitedWithMessage is the exit code by which the exec shim says "the user has already been shown the error".
const exitedWithMessage = 32

// host serves the LanguageRuntime API. Methods it does not implement (program and SDK generation, Pack, Link) answer
// UNIMPLEMENTED through the embedded type: this project generates its SDKs with Pulumi's generators directly.
type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer

	shim          string
	engineAddress string
	tracing       string
	// cancelled ends the programs and plugins this host runs when the engine calls Cancel.
	cancelled context.Context
	cancel    context.CancelFunc
}

func newHost(shim, engineAddress, tracing string) *host {
	ctx, cancel := context.WithCancel(context.Background())
	return &host{shim: shim, engineAddress: engineAddress, tracing: tracing, cancelled: ctx, cancel: cancel}
}

// pythonOptions reads `runtime.options` of Pulumi.yaml (or PulumiPlugin.yaml when plugin is true) into the
// toolchain's options. Plugins never run on the ambient Python: with pip (or no toolchain) they default to the
// `venv` directory beside PulumiPlugin.yaml.
func pythonOptions(info *pulumirpc.ProgramInfo, plugin bool) (toolchain.PythonOptions, error) {
	opts := toolchain.PythonOptions{Root: info.GetRootDirectory(), ProgramDir: info.GetProgramDirectory()}
	raw := info.GetOptions().AsMap()
	text := func(key string) (string, bool, error) {
		value, present := raw[key]
		if !present {
			return "", false, nil
		}
		s, ok := value.(string)
		if !ok {
			return "", true, fmt.Errorf("%s option must be a string", key)
		}
		return s, true, nil
	}

	venv, _, err := text("virtualenv")
	if err != nil {
		return opts, err
	}
	opts.Virtualenv = venv

	if opts.Typechecker, err = choice(text, "typechecker", opts.Typechecker, []string{"mypy", "pyright"},
		toolchain.TypeCheckerMypy, toolchain.TypeCheckerPyright); err != nil {
		return opts, err
	}
	if opts.Toolchain, err = choice(text, "toolchain", opts.Toolchain, []string{"pip", "poetry", "uv"},
		toolchain.Pip, toolchain.Poetry, toolchain.Uv); err != nil {
		return opts, err
	}

	if plugin && opts.Virtualenv == "" && (opts.Toolchain == toolchain.Pip || opts.Toolchain == toolchain.Auto) {
		opts.Virtualenv = "venv"
	}
	return opts, nil
}

// choice reads a runtime option that names one of a few choices (names[i] selects values[i]), refusing any other
// in the real host's words; an absent option keeps the default. Values are passed variadically because the
// toolchain package's option types are unexported: only inference can name them.
func choice[T any](text func(string) (string, bool, error), option string, absent T, names []string, values ...T,
) (T, error) {
	name, present, err := text(option)
	if err != nil || !present {
		return absent, err
	}
	for i, candidate := range names {
		if candidate == name {
			return values[i], nil
		}
	}
	return absent, fmt.Errorf("unsupported %s option: %s", option, name)
}

func resolve(info *pulumirpc.ProgramInfo, plugin bool) (toolchain.PythonOptions, toolchain.Toolchain, error) {
	opts, err := pythonOptions(info, plugin)
	if err != nil {
		return opts, nil, err
	}
	tc, err := toolchain.ResolveToolchain(opts)
	return opts, tc, err
}

// missingVenv adds the one command that fixes a missing virtualenv to the toolchain's own explanation.
func missingVenv(err error, programDir string) error {
	return fmt.Errorf("%w\n\nOr let Pulumi do all of that: run `pulumi install` in %s", err, programDir)
}

func (h *host) Handshake(ctx context.Context, req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	h.engineAddress = req.GetEngineAddress()
	if err := rpcutil.Healthcheck(context.Background(), h.engineAddress, 5*time.Minute, func() { os.Exit(0) }); err != nil {
		return nil, fmt.Errorf("could not start health check host RPC server: %w", err)
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *host) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version.Version}, nil
}

// GetRequiredPlugins is superseded by GetRequiredPackages, as in Pulumi's host.
func (h *host) GetRequiredPlugins(context.Context, *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method GetRequiredPlugins not implemented")
}

func (h *host) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	h.cancel()
	return &emptypb.Empty{}, nil
}

func (h *host) engineClient() (pulumirpc.EngineClient, io.Closer, error) {
	if h.engineAddress == "" {
		return nil, nil, errors.New("when debugging or running explicitly, must call Handshake before Run")
	}
	conn, err := grpc.NewClient(h.engineAddress, grpc.WithTransportCredentials(insecure.NewCredentials()),
		rpcutil.GrpcChannelOptions())
	if err != nil {
		return nil, nil, fmt.Errorf("language host could not make connection to engine: %w", err)
	}
	return pulumirpc.NewEngineClient(conn), conn, nil
}

// engineLog is an io.Writer that shows what it is given as ephemeral engine messages (the progress of a virtualenv
// being created during `pulumi preview`, say).
type engineLog struct {
	ctx      context.Context
	client   pulumirpc.EngineClient
	stream   int32
	severity pulumirpc.LogSeverity
}

func (w *engineLog) Write(p []byte) (int, error) {
	_, err := w.client.Log(w.ctx, &pulumirpc.LogRequest{
		Message: strings.ToValidUTF8(string(p), "\uFFFD"), Ephemeral: true, StreamId: w.stream, Severity: w.severity,
	})
	if err != nil {
		return 0, err
	}
	return len(p), nil
}

// About reports the interpreter the project's options select (the ambient pip toolchain when called without a
// project, as the CLI's `pulumi about` may).
func (h *host) About(ctx context.Context, req *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	opts := toolchain.PythonOptions{Toolchain: toolchain.Pip}
	if req.GetInfo() != nil {
		var err error
		if opts, err = pythonOptions(req.GetInfo(), false); err != nil {
			return nil, err
		}
	}
	tc, err := toolchain.ResolveToolchain(opts)
	if err != nil {
		return nil, err
	}
	info, err := tc.About(ctx)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.AboutResponse{
		Executable: info.PythonExecutable,
		Version:    info.PythonVersion.String(),
		Metadata: map[string]string{
			"toolchain":        toolchain.Name(opts.Toolchain),
			"toolchainVersion": info.ToolchainVersion.String(),
			"typechecker":      toolchain.TypeCheckerName(opts.Typechecker),
		},
	}, nil
}

func (h *host) GetProgramDependencies(ctx context.Context, req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	_, tc, err := resolve(req.GetInfo(), false)
	if err != nil {
		return nil, err
	}
	installed, err := tc.ListPackages(ctx, req.GetTransitiveDependencies())
	if err != nil {
		return nil, fmt.Errorf("failed to get python dependencies: %w", err)
	}
	deps := make([]*pulumirpc.DependencyInfo, 0, len(installed))
	for _, d := range installed {
		deps = append(deps, &pulumirpc.DependencyInfo{Name: d.Name, Version: d.Version})
	}
	return &pulumirpc.GetProgramDependenciesResponse{Dependencies: deps}, nil
}

// RuntimeOptionsPrompts asks `pulumi new` for a toolchain, and for pip a virtualenv, when the project names none.
func (h *host) RuntimeOptionsPrompts(ctx context.Context, req *pulumirpc.RuntimeOptionsRequest,
) (*pulumirpc.RuntimeOptionsResponse, error) {
	raw := req.GetInfo().GetOptions().AsMap()
	str := func(s string) *pulumirpc.RuntimeOptionPrompt_RuntimeOptionValue {
		return &pulumirpc.RuntimeOptionPrompt_RuntimeOptionValue{
			PromptType: pulumirpc.RuntimeOptionPrompt_STRING, StringValue: s, DisplayName: s,
		}
	}
	var prompts []*pulumirpc.RuntimeOptionPrompt
	chosen, hasToolchain := raw["toolchain"]
	if !hasToolchain {
		choices := []*pulumirpc.RuntimeOptionPrompt_RuntimeOptionValue{str("pip")}
		for _, tool := range []string{"poetry", "uv"} {
			if _, err := exec.LookPath(tool); err == nil {
				choices = append(choices, str(tool))
			}
		}
		prompts = append(prompts, &pulumirpc.RuntimeOptionPrompt{
			Key: "toolchain", Description: "The toolchain to use for installing dependencies and running the program",
			PromptType: pulumirpc.RuntimeOptionPrompt_STRING, Choices: choices, Default: str("pip"),
		})
	} else if _, hasVenv := raw["virtualenv"]; chosen == "pip" && !hasVenv {
		prompts = append(prompts, &pulumirpc.RuntimeOptionPrompt{
			Key: "virtualenv", Description: "The virtualenv to use", PromptType: pulumirpc.RuntimeOptionPrompt_STRING,
			Choices: []*pulumirpc.RuntimeOptionPrompt_RuntimeOptionValue{str("venv")}, Default: str("venv"),
		})
	}
	return &pulumirpc.RuntimeOptionsResponse{Prompts: prompts}, nil
}

// Template lets the toolchain adapt a fresh project (poetry and uv turn requirements.txt into a pyproject).
func (h *host) Template(ctx context.Context, req *pulumirpc.TemplateRequest) (*pulumirpc.TemplateResponse, error) {
	_, tc, err := resolve(req.GetInfo(), false)
	if err != nil {
		return nil, err
	}
	if err := tc.PrepareProject(ctx, req.GetProjectName(), req.GetInfo().GetProgramDirectory(), false, nil, nil); err != nil {
		return nil, err
	}
	return &pulumirpc.TemplateResponse{}, nil
}

// InstallDependencies is `pulumi install`: create the virtualenv and install requirements.txt (pip), the
// pyproject's dependencies (uv, poetry), and for a plugin directory that is a buildable package, the package too.
func (h *host) InstallDependencies(req *pulumirpc.InstallDependenciesRequest,
	server pulumirpc.LanguageRuntime_InstallDependenciesServer,
) error {
	ctx := server.Context()
	dir := req.GetInfo().GetProgramDirectory()
	_, tc, err := resolve(req.GetInfo(), req.GetIsPlugin())
	if err != nil {
		return err
	}
	closer, stdout, stderr, err := rpcutil.MakeInstallDependenciesStreams(server, req.GetIsTerminal())
	if err != nil {
		return err
	}
	defer closer.Close()

	fmt.Fprint(stdout, "Installing dependencies...\n\n")
	if req.GetIsPlugin() {
		buildable, err := toolchain.IsBuildablePackage(dir)
		if err != nil {
			return fmt.Errorf("checking if plugin is a buildable package: %w", err)
		}
		if buildable {
			if err := tc.EnsureVenv(ctx, dir, req.GetUseLanguageVersionTools(), true, stdout, stderr); err != nil {
				return fmt.Errorf("creating virtual environment: %w", err)
			}
			install, err := tc.ModuleCommand(ctx, "pip", "install", dir)
			if err != nil {
				return fmt.Errorf("preparing pip install command: %w", err)
			}
			install.Stdout, install.Stderr = stdout, stderr
			if err := install.Run(); err != nil {
				return fmt.Errorf("installing package: %w", err)
			}
		}
	}
	if err := tc.InstallDependencies(ctx, dir, req.GetUseLanguageVersionTools(), true, stdout, stderr); err != nil {
		return err
	}
	fmt.Fprint(stdout, "Finished installing dependencies\n\n")
	return closer.Close()
}

// Run runs the program: `<virtualenv python> pulumi-language-python-exec --monitor ... ENTRY ARGS`, after the
// project's type checker when it names one.
func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	if req.GetAttachDebugger() {
		return &pulumirpc.RunResponse{Error: "this stand-in Python language host cannot attach a debugger"}, nil
	}
	if h.engineAddress == "" {
		return nil, errors.New("when debugging or running explicitly, must call Handshake before Run")
	}
	opts, tc, err := resolve(req.GetInfo(), false)
	if err != nil {
		return nil, err
	}
	if err := tc.ValidateVenv(ctx); err != nil {
		return nil, missingVenv(err, req.GetInfo().GetProgramDirectory())
	}

	// What the program learns besides the environment: its configuration and which keys of it are secret.
	var extra []string
	if req.GetConfig() != nil {
		config, err := json.Marshal(req.GetConfig())
		if err != nil {
			return nil, fmt.Errorf("failed to serialize configuration: %w", err)
		}
		extra = append(extra, "PULUMI_CONFIG="+string(config))
	}
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	keys, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, fmt.Errorf("failed to serialize configuration secret keys: %w", err)
	}
	extra = append(extra, "PULUMI_CONFIG_SECRET_KEYS="+string(keys))

	if err := h.typecheck(ctx, opts, tc, req.GetInfo().GetProgramDirectory()); err != nil {
		return nil, err
	}

	// The program ends with the request or with the engine's Cancel, whichever comes first.
	runCtx, stop := context.WithCancel(h.cancelled)
	defer stop()
	context.AfterFunc(ctx, stop)
	cmd, err := tc.Command(runCtx, append([]string{h.shim}, h.shimArguments(req)...)...)
	if err != nil {
		return nil, err
	}
	if cmd.Env == nil { // no virtualenv to activate: the program gets the host's environment
		cmd.Env = os.Environ()
	}
	cmd.Env = append(cmd.Env, extra...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	interruptFirst(cmd)

	err = cmd.Run()
	if err == nil {
		return &pulumirpc.RunResponse{}, nil
	}
	// Python may exit abnormally without flushing; make sure the engine sees everything it wrote.
	_ = os.Stdout.Sync()
	_ = os.Stderr.Sync()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit) && exit.ExitCode() == exitedWithMessage:
		return &pulumirpc.RunResponse{Bail: true}, nil
	case errors.As(err, &exit) && exit.ExitCode() > 0:
		err = fmt.Errorf("program exited with non-zero exit code: %d", exit.ExitCode())
	case errors.As(err, &exit):
		err = fmt.Errorf("program exited unexpectedly: %w", exit)
	default:
		err = fmt.Errorf("problem executing program (could not run language executor): %w", err)
	}
	return &pulumirpc.RunResponse{Error: err.Error()}, nil
}

// shimArguments is the command line of pulumi-language-python-exec: the run's settings as --flags, then the entry
// point (the engine always sends one, "." for the program directory), then the program's own arguments.
func (h *host) shimArguments(req *pulumirpc.RunRequest) []string {
	var args []string
	add := func(flag, value string) {
		if value != "" {
			args = append(args, "--"+flag, value)
		}
	}
	add("monitor", req.GetMonitorAddress())
	add("engine", h.engineAddress)
	add("project", req.GetProject())
	add("root_directory", req.GetInfo().GetRootDirectory())
	add("stack", req.GetStack())
	add("pwd", req.GetPwd())
	add("dry_run", strconv.FormatBool(req.GetDryRun()))
	add("parallel", strconv.Itoa(int(req.GetParallel())))
	add("tracing", h.tracing)
	add("organization", req.GetOrganization())
	args = append(args, req.GetInfo().GetEntryPoint())
	return append(args, req.GetArgs()...)
}

// typecheck runs mypy or pyright over the program directory when Pulumi.yaml asks for it; a failure stops the run
// with the checker's output.
func (h *host) typecheck(ctx context.Context, opts toolchain.PythonOptions, tc toolchain.Toolchain, dir string) error {
	var checker string
	switch opts.Typechecker {
	case toolchain.TypeCheckerMypy:
		checker = "mypy"
	case toolchain.TypeCheckerPyright:
		checker = "pyright"
	default:
		return nil
	}
	installed, err := tc.ListPackages(ctx, true)
	if err != nil {
		return err
	}
	found := false
	for _, p := range installed {
		found = found || p.Name == checker
	}
	if !found {
		how := fmt.Sprintf("Please add an entry for %s to requirements.txt and run `%s/bin/pip install -r "+
			"requirements.txt`", checker, opts.Virtualenv)
		if opts.Toolchain == toolchain.Poetry {
			how = fmt.Sprintf("Please install it using `poetry add %s`.", checker)
		}
		return fmt.Errorf("The typechecker option is set to %s, but %s is not installed. %s", checker, checker, how)
	}
	args := []string{"-m", checker}
	if checker == "mypy" { // keep mypy out of the virtualenv when it lives inside the program directory
		venv, err := tc.VirtualEnvPath(ctx)
		if err != nil {
			return err
		}
		if rel, err := filepath.Rel(dir, venv); err == nil {
			args = append(args, "--exclude", rel)
		}
	}
	cmd, err := tc.Command(ctx, append(args, dir)...)
	if err != nil {
		return err
	}
	var output bytes.Buffer
	cmd.Dir = dir
	cmd.Stdout = io.MultiWriter(os.Stdout, &output)
	cmd.Stderr = io.MultiWriter(os.Stderr, &output)
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s failed: %w\n%s", checker, err, output.String())
	}
	return nil
}

// interruptFirst makes a cancelled command get SIGINT (a KeyboardInterrupt the program can clean up after) and a
// kill only if it has not exited 5 s later.
func interruptFirst(cmd *exec.Cmd) {
	cmd.Cancel = func() error {
		if err := cmd.Process.Signal(os.Interrupt); err != nil {
			return cmd.Process.Kill()
		}
		return nil
	}
	cmd.WaitDelay = 5 * time.Second
}

// RunPlugin runs a PulumiPlugin.yaml plugin from its virtualenv: `python -m pulumi.run.plugin <pyproject name>` for
// a buildable package without a `__main__.py`, else `python <plugin dir>` (its `__main__.py`). Like Pulumi's host
// it installs nothing: `pulumi install` in the plugin directory does that.
func (h *host) RunPlugin(req *pulumirpc.RunPluginRequest, server pulumirpc.LanguageRuntime_RunPluginServer) error {
	ctx := server.Context()
	if req.GetKind() == string(apitype.AnalyzerPlugin) {
		return status.Error(codes.Unimplemented, "this stand-in Python language host does not run policy packs")
	}
	if req.GetAttachDebugger() {
		return errors.New("this stand-in Python language host cannot attach a debugger")
	}
	opts, tc, err := resolve(req.GetInfo(), true)
	if err != nil {
		return err
	}

	_, statErr := os.Stat(filepath.Join(opts.Root, "__main__.py"))
	if statErr != nil && !os.IsNotExist(statErr) {
		return fmt.Errorf("looking for __main__.py: %w", statErr)
	}
	hasMain := statErr == nil

	var cmd *exec.Cmd
	if !hasMain && canImport(ctx, tc, "pulumi.run.plugin") {
		buildable, err := toolchain.IsBuildablePackage(opts.Root)
		if err != nil {
			return fmt.Errorf("checking if plugin is a buildable package: %w", err)
		}
		if !buildable {
			return errors.New("plugin is not runnable, it provides neither __main__.py nor a buildable pyproject.toml")
		}
		project, err := toolchain.LoadPyproject(opts.Root)
		if err != nil {
			return fmt.Errorf("loading pyproject: %w", err)
		}
		cmd, err = tc.ModuleCommand(ctx, "pulumi.run.plugin", append([]string{project.Project.Name}, req.GetArgs()...)...)
		if err != nil {
			return err
		}
	} else if cmd, err = tc.Command(ctx, append([]string{req.GetInfo().GetProgramDirectory()}, req.GetArgs()...)...); err != nil {
		return err
	}

	closer, stdout, stderr, err := rpcutil.MakeRunPluginStreams(server, false)
	if err != nil {
		return err
	}
	defer closer.Close()
	cmd.Dir = req.GetPwd()
	cmd.Env = append(cmd.Env, req.GetEnv()...)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	logging.V(5).Infof("RunPlugin: %s", cmd.String())

	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			if ws, ok := exit.Sys().(syscall.WaitStatus); ok {
				return server.Send(&pulumirpc.RunPluginResponse{
					Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: int32(ws.ExitStatus())},
				})
			}
			return fmt.Errorf("program exited unexpectedly: %w", exit)
		}
		return fmt.Errorf("problem executing plugin program (could not run language executor): %w", err)
	}
	return closer.Close()
}

// canImport tells whether the toolchain's Python has a module. Only a ModuleNotFoundError counts as "no": a
// plugin whose Python is broken in another way should fail on running, with that error in view.
func canImport(ctx context.Context, tc toolchain.Toolchain, module string) bool {
	cmd, err := tc.Command(ctx, "-c", "import "+module)
	if err != nil {
		return true
	}
	out, err := cmd.CombinedOutput()
	return err == nil || !strings.Contains(string(out), "ModuleNotFoundError")
}

// newEngineLogs returns writers that show a stream of output as ephemeral engine messages, info and error.
func (h *host) newEngineLogs(ctx context.Context) (io.Writer, io.Writer, io.Closer, error) {
	client, conn, err := h.engineClient()
	if err != nil {
		return nil, nil, nil, err
	}
	stream := rand.Int31() //nolint:gosec // a stream ID, not a secret
	return &engineLog{ctx, client, stream, pulumirpc.LogSeverity_INFO},
		&engineLog{ctx, client, stream, pulumirpc.LogSeverity_ERROR}, conn, nil
}
