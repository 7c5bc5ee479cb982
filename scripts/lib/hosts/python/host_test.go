package main

import (
	"strings"
	"testing"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/pulumi/pulumi/sdk/v3/python/toolchain"
	"google.golang.org/protobuf/types/known/structpb"
)

func programInfo(t *testing.T, options map[string]any) *pulumirpc.ProgramInfo {
	t.Helper()
	opts, err := structpb.NewStruct(options)
	if err != nil {
		t.Fatal(err)
	}
	return &pulumirpc.ProgramInfo{RootDirectory: "/p", ProgramDirectory: "/p", EntryPoint: ".", Options: opts}
}

func TestPythonOptions(t *testing.T) {
	cases := []struct {
		name      string
		options   map[string]any
		plugin    bool
		venv      string
		toolchain string
		err       string
	}{
		{name: "program without options uses the ambient python", options: map[string]any{}, toolchain: "Auto"},
		{name: "plugin defaults to venv", options: map[string]any{}, plugin: true, venv: "venv", toolchain: "Auto"},
		{name: "plugin with pip keeps its virtualenv", options: map[string]any{"toolchain": "pip", "virtualenv": ".venv"},
			plugin: true, venv: ".venv", toolchain: "Pip"},
		{name: "plugin with uv gets no default", options: map[string]any{"toolchain": "uv"}, plugin: true,
			toolchain: "Uv"},
		{name: "unknown toolchain", options: map[string]any{"toolchain": "conda"}, err: "unsupported toolchain option: conda"},
		{name: "virtualenv must be a string", options: map[string]any{"virtualenv": 3.0},
			err: "virtualenv option must be a string"},
		{name: "unknown typechecker", options: map[string]any{"typechecker": "pytype"},
			err: "unsupported typechecker option: pytype"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := pythonOptions(programInfo(t, c.options), c.plugin)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Virtualenv != c.venv || toolchain.Name(got.Toolchain) != c.toolchain {
				t.Fatalf("virtualenv %q toolchain %s, want %q %s", got.Virtualenv, toolchain.Name(got.Toolchain),
					c.venv, c.toolchain)
			}
		})
	}
}

func TestPluginVersion(t *testing.T) {
	cases := map[string]string{
		"1":                "1.0.0",
		"0.1.0":            "0.1.0",
		"1.2.3.4":          "1.2.3.4",
		"1.2.3a4":          "1.2.3-alpha.4",
		"1.2.3b4":          "1.2.3-beta.4",
		"1.2.3rc4":         "1.2.3-rc.4",
		"1.2.3.post4":      "1.2.3+post4",
		"1.2.3.dev5":       "1.2.3+dev5",
		"1.2.3.post4.dev5": "1.2.3+post4dev5",
		"1.2.3rc1.post2":   "1.2.3-rc.1+post2",
	}
	for python, want := range cases {
		if got, ok := pluginVersion(python); !ok || got != want {
			t.Errorf("pluginVersion(%q) = %q, %v; want %q", python, got, ok, want)
		}
	}
	for _, python := range []string{"", "1!2.0", "1.2.3+local", "abc", "1.2.3x"} {
		if got, ok := pluginVersion(python); ok {
			t.Errorf("pluginVersion(%q) = %q, want no version", python, got)
		}
	}
}

func TestShimArguments(t *testing.T) {
	h := newHost("/bin/exec-shim", "127.0.0.1:1", "")
	req := &pulumirpc.RunRequest{
		MonitorAddress: "127.0.0.1:2", Project: "p", Stack: "dev", Pwd: "/p", DryRun: true, Parallel: 8,
		Info: &pulumirpc.ProgramInfo{RootDirectory: "/p", EntryPoint: "."}, Args: []string{"extra"},
	}
	got := strings.Join(h.shimArguments(req), " ")
	want := "--monitor 127.0.0.1:2 --engine 127.0.0.1:1 --project p --root_directory /p --stack dev --pwd /p " +
		"--dry_run true --parallel 8 . extra"
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}
