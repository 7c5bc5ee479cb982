// Command gomod answers the questions the toolchain scripts (scripts/bootstrap-pulumi, scripts/gen-sdk) ask of Go
// modules, with Go's own parsers instead of text matching:
//
//	gomod dir MODULE@VERSION
//	    Download the module (`go mod download -json`) and print its directory in the module cache. When the
//	    download fails, print why on stderr (the proxy refused it, or could not be reached) and exit 1; for a
//	    refused version, list the newer versions the proxy serves, so that the user can pick one.
//	gomod wrapper -module PATH -from GOMOD [-tool PACKAGE] MODULE@VERSION...
//	    Print the go.mod of a throwaway main module that requires the given modules, takes its go directive and
//	    the replaces that point at other modules (not local paths) from GOMOD, and declares PACKAGE as a tool.
//	    `go mod tidy` completes it.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
)

func main() {
	if len(os.Args) < 2 {
		fail("usage: gomod dir MODULE@VERSION | gomod wrapper -module PATH -from GOMOD [-tool PACKAGE] MODULE@VERSION...")
	}
	var err error
	switch os.Args[1] {
	case "dir":
		err = printDir(os.Args[2:])
	case "wrapper":
		err = printWrapper(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fail(err.Error())
	}
}

func fail(message string) {
	fmt.Fprintln(os.Stderr, message)
	os.Exit(1)
}

// splitVersion turns MODULE@VERSION into a module.Version, checking both halves.
func splitVersion(arg string) (module.Version, error) {
	path, version, ok := strings.Cut(arg, "@")
	if !ok {
		return module.Version{}, fmt.Errorf("%q: want MODULE@VERSION", arg)
	}
	v := module.Version{Path: path, Version: version}
	return v, module.Check(path, version)
}

// download is the part of `go mod download -json`'s answer that we read.
type download struct {
	Dir   string
	Error string
}

func printDir(args []string) error {
	if len(args) != 1 {
		return errors.New("usage: gomod dir MODULE@VERSION")
	}
	mod, err := splitVersion(args[0])
	if err != nil {
		return err
	}
	// go exits non-zero on a failed download but still prints its JSON answer with the Error field.
	out, runErr := exec.Command("go", "mod", "download", "-json", mod.String()).Output()
	var answer download
	if jsonErr := json.Unmarshal(out, &answer); jsonErr != nil {
		return fmt.Errorf("could not fetch %s: %v (go said: %s)", mod, errors.Join(runErr, jsonErr), stderrOf(runErr))
	}
	if answer.Error == "" && answer.Dir != "" {
		fmt.Println(answer.Dir)
		return nil
	}
	return explainDownloadError(mod, answer.Error)
}

func stderrOf(err error) string {
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		return strings.TrimSpace(string(exitErr.Stderr))
	}
	return ""
}

// explainDownloadError says whether the proxy was out of reach or refused the version, and in the second case
// which newer versions it does serve.
func explainDownloadError(mod module.Version, message string) error {
	for _, sign := range []string{"dial tcp", "no such host", "i/o timeout", "connection refused", "TLS handshake",
		"network is unreachable"} {
		if strings.Contains(message, sign) {
			return fmt.Errorf("the Go module proxy is unreachable while fetching %s.\n  %s\n  Check network access to GOPROXY=%s.",
				mod, message, goEnv("GOPROXY"))
		}
	}
	refused := false
	for _, sign := range []string{"403", "404", "410", "not available", "unknown revision", "invalid version",
		"not found"} {
		refused = refused || strings.Contains(message, sign)
	}
	if !refused {
		return fmt.Errorf("could not fetch %s.\n  %s", mod, message)
	}
	text := fmt.Sprintf("the Go module proxy refused %s.\n  %s", mod, message)
	if newer := newerVersions(mod); len(newer) > 0 {
		text += fmt.Sprintf("\n  The proxy lists these newer versions of %s (partial list): %s\n  Re-run with a version of these.",
			mod.Path, strings.Join(newer, " "))
	}
	return errors.New(text)
}

// newerVersions lists the released versions of the module above mod.Version that the proxy lists (nothing when it
// cannot be asked).
func newerVersions(mod module.Version) []string {
	out, err := exec.Command("go", "list", "-m", "-json", "-versions", mod.Path).Output()
	if err != nil {
		return nil
	}
	var listing struct{ Versions []string }
	if json.Unmarshal(out, &listing) != nil {
		return nil
	}
	var newer []string
	for _, v := range listing.Versions {
		if semver.Compare(v, mod.Version) > 0 {
			newer = append(newer, v)
		}
	}
	semver.Sort(newer)
	return newer
}

func goEnv(name string) string {
	out, _ := exec.Command("go", "env", name).Output()
	return strings.TrimSpace(string(out))
}

func printWrapper(args []string) error {
	flags := flag.NewFlagSet("wrapper", flag.ContinueOnError)
	modulePath := flags.String("module", "", "module path of the wrapper")
	from := flags.String("from", "", "go.mod whose go directive and non-local replaces the wrapper takes")
	tool := flags.String("tool", "", "package to declare as a tool (optional)")
	if err := flags.Parse(args); err != nil {
		return err
	}
	if *modulePath == "" || *from == "" || flags.NArg() == 0 {
		return errors.New("usage: gomod wrapper -module PATH -from GOMOD [-tool PACKAGE] MODULE@VERSION...")
	}
	data, err := os.ReadFile(*from)
	if err != nil {
		return err
	}
	text, err := wrapperGoMod(*modulePath, *from, data, *tool, flags.Args())
	if err != nil {
		return err
	}
	_, err = os.Stdout.Write(text)
	return err
}

// wrapperGoMod is the go.mod text of the wrapper module (see the package comment); source is the go.mod named from.
func wrapperGoMod(modulePath, from string, source []byte, tool string, requires []string) ([]byte, error) {
	parsed, err := modfile.Parse(from, source, nil)
	if err != nil {
		return nil, err
	}
	if parsed.Go == nil {
		return nil, fmt.Errorf("%s has no go directive", from)
	}
	wrapper := new(modfile.File)
	// Each Add* below can only fail on a malformed argument; all such errors are reported together.
	errs := []error{wrapper.AddModuleStmt(modulePath), wrapper.AddGoStmt(parsed.Go.Version)}
	if tool != "" {
		errs = append(errs, wrapper.AddTool(tool))
	}
	for _, arg := range requires {
		mod, err := splitVersion(arg)
		errs = append(errs, err)
		if err == nil {
			wrapper.AddNewRequire(mod.Path, mod.Version, false)
		}
	}
	for _, r := range parsed.Replace {
		// A local replacement (a directory of the source module's checkout) means nothing outside it.
		if !modfile.IsDirectoryPath(r.New.Path) {
			errs = append(errs, wrapper.AddReplace(r.Old.Path, r.Old.Version, r.New.Path, r.New.Version))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	wrapper.Cleanup()
	text, err := wrapper.Format()
	return append(bytes.TrimSpace(text), '\n'), err
}
