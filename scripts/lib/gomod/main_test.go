package main

import (
	"strings"
	"testing"

	"golang.org/x/mod/modfile"
)

// A go.mod with every form of replace: in a block and on its own line, with and without versions and comments,
// to modules and to local directories (which a wrapper elsewhere cannot use).
const sourceGoMod = `module example.com/source

go 1.25.6

require example.com/dep v1.0.0

replace (
	example.com/local => ./local // a directory of the source checkout
	example.com/fork v1.0.0 => example.com/fork-fixed v1.0.1
	example.com/parent => ../parent
)

replace example.com/clipboard => example.com/clipboard-fork v0.0.0-20241001131231-d02d263e614e // Pulumi's fork
replace example.com/abs => /abs/path
`

func TestWrapperTakesTheGoDirectiveAndOnlyModuleReplaces(t *testing.T) {
	text, err := wrapperGoMod("pulumi-cpp-golive.invalid/w", "source/go.mod", []byte(sourceGoMod),
		"example.com/tool/cmd/x", []string{"example.com/a@v1.2.3", "example.com/b@v0.1.0"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := modfile.Parse("wrapper/go.mod", text, nil)
	if err != nil {
		t.Fatalf("the wrapper's go.mod does not parse: %v\n%s", err, text)
	}
	if got.Module.Mod.Path != "pulumi-cpp-golive.invalid/w" || got.Go.Version != "1.25.6" {
		t.Errorf("module %q go %q, want pulumi-cpp-golive.invalid/w go 1.25.6", got.Module.Mod.Path, got.Go.Version)
	}
	if len(got.Tool) != 1 || got.Tool[0].Path != "example.com/tool/cmd/x" {
		t.Errorf("tools %v, want example.com/tool/cmd/x", got.Tool)
	}
	var requires, replaces []string
	for _, r := range got.Require {
		requires = append(requires, r.Mod.String())
	}
	for _, r := range got.Replace {
		replaces = append(replaces, r.Old.String()+" => "+r.New.String())
	}
	if want := "example.com/a@v1.2.3 example.com/b@v0.1.0"; strings.Join(requires, " ") != want {
		t.Errorf("requires %v, want %s", requires, want)
	}
	want := []string{"example.com/fork@v1.0.0 => example.com/fork-fixed@v1.0.1",
		"example.com/clipboard => example.com/clipboard-fork@v0.0.0-20241001131231-d02d263e614e"}
	if strings.Join(replaces, "\n") != strings.Join(want, "\n") {
		t.Errorf("replaces\n%s\nwant\n%s", strings.Join(replaces, "\n"), strings.Join(want, "\n"))
	}
}

func TestWrapperWithoutToolHasNone(t *testing.T) {
	text, err := wrapperGoMod("m.invalid/w", "go.mod", []byte(sourceGoMod), "", []string{"example.com/a@v1.0.0"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(text), "tool") {
		t.Errorf("a tool directive without -tool:\n%s", text)
	}
}

func TestWrapperRejectsBadInput(t *testing.T) {
	for name, c := range map[string]struct {
		source   string
		requires []string
		want     string
	}{
		"no version":      {sourceGoMod, []string{"example.com/a"}, "want MODULE@VERSION"},
		"bad version":     {sourceGoMod, []string{"example.com/a@latest"}, "example.com/a"},
		"no go directive": {"module example.com/x\n", []string{"example.com/a@v1.0.0"}, "has no go directive"},
		"unparsable":      {"module example.com/x\ngo 1.25\nrequire (\n", []string{"example.com/a@v1.0.0"}, "go.mod:"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := wrapperGoMod("m.invalid/w", "go.mod", []byte(c.source), "", c.requires)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}

func TestDownloadErrorsSayWhatWentWrong(t *testing.T) {
	t.Setenv("GOPROXY", "off") // the list of newer versions must not be fetched from anywhere here
	mod, _ := splitVersion("example.com/a@v1.0.0")
	for message, want := range map[string]string{
		"dial tcp: lookup proxy: no such host":          "unreachable while fetching example.com/a@v1.0.0",
		"reading .../v1.0.0.info: 403 Forbidden":        "refused example.com/a@v1.0.0",
		"example.com/a@v1.0.0: invalid version: bad":    "refused example.com/a@v1.0.0",
		"verifying module: checksum mismatch somewhere": "could not fetch example.com/a@v1.0.0",
	} {
		err := explainDownloadError(mod, message)
		if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), message) {
			t.Errorf("%q: got %q, want it to contain %q and the message", message, err, want)
		}
	}
}
