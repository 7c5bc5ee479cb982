// Command gensdk generates the Node.js, Python and Go SDKs of a Pulumi package from its schema with the code
// generators of github.com/pulumi/pulumi/pkg/v3, the way `pulumi package gen-sdk` does when the language hosts
// (pulumi-language-nodejs/-python/-go) are installed. scripts/gen-sdk builds and runs it; see there.
//
//	gensdk -schema schema.json -out DIR [-languages nodejs,python,go] [-local] [-bound-schema FILE]
//
// What `pulumi package gen-sdk` does, and what this program repeats:
//
//  1. The CLI binds the schema (validating it against the metaschema, dangling references allowed) and
//     serializes the bound package back to JSON (Package.MarshalJSON).
//  2. For each language it empties <out>/<language> and sends that JSON to the language host's GeneratePackage,
//     which binds it again and calls the language's codegen GeneratePackage with the tool name
//     "pulumi-language-<language>", then writes the returned files under <out>/<language>.
//
// Differences, all deliberate: files are written 0644 (the hosts use 0600) and directories 0755; nothing but the
// package's own schema can be loaded (this package references no other Pulumi package); -bound-schema writes the
// JSON of step 1 so that the .NET generator (a separate program, see dotnet/main.go) starts from the same input.
//
// With -go-pulumi-sdk VERSION the Go SDK gets a go.mod requiring github.com/pulumi/pulumi/sdk/v3 at VERSION. The Go
// generator writes one itself only for schemas with meta.supportPack (then requiring the sdk/v3 release it was
// built with); without that, gensdk writes the same file (module: the directory above language.go.importBasePath,
// so that the import paths in the generated code resolve). go.sum is left to `go mod tidy` (scripts/gen-sdk).
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"golang.org/x/mod/modfile"

	gogen "github.com/pulumi/pulumi/pkg/v3/codegen/go"
	nodejsgen "github.com/pulumi/pulumi/pkg/v3/codegen/nodejs"
	pythongen "github.com/pulumi/pulumi/pkg/v3/codegen/python"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

// generate runs one language's generator on the CLI's JSON, as that language's host does.
func generate(language, boundJSON string, local bool, goPulumiSDK string) (map[string][]byte, error) {
	var spec schema.PackageSpec
	if err := json.Unmarshal([]byte(boundJSON), &spec); err != nil {
		return nil, err
	}
	pkg, err := bind("pulumi-language-"+language, spec)
	if err != nil {
		return nil, err
	}
	extraFiles := map[string][]byte{} // `pulumi package gen-sdk --overlays`: not used here
	switch language {
	case "nodejs":
		return nodejsgen.GeneratePackage("pulumi-language-nodejs", pkg, extraFiles, nil, local, loader)
	case "python":
		return pythongen.GeneratePackage("pulumi-language-python", pkg, extraFiles, loader)
	case "go":
		files, err := gogen.GeneratePackage("pulumi-language-go", pkg, nil)
		if err != nil || goPulumiSDK == "" {
			return files, err
		}
		files["go.mod"], err = goModFile(pkg, files["go.mod"], goPulumiSDK)
		return files, err
	}
	return nil, fmt.Errorf("unknown language %q (this program generates nodejs, python and go)", language)
}

// goModFile returns the Go SDK's go.mod: the generator's own (supportPack schemas), else one like it; either way
// requiring github.com/pulumi/pulumi/sdk/v3 at sdkVersion. pkg must have been through gogen.GeneratePackage.
func goModFile(pkg *schema.Package, generated []byte, sdkVersion string) ([]byte, error) {
	var gomod *modfile.File
	var err error
	if generated != nil {
		if gomod, err = modfile.Parse("go.mod", generated, nil); err != nil {
			return nil, err
		}
	} else {
		info, _ := pkg.Language["go"].(gogen.GoPackageInfo)
		if info.RootPackageName != "" {
			return nil, errors.New("language.go.rootPackageName (a flat Go package) is not supported by -go-pulumi-sdk")
		}
		importBase := info.ImportBasePath
		if importBase == "" {
			importBase = gogen.ExtractImportBasePath(pkg.Reference())
		}
		// The generated packages sit in <out>/go/<last element of importBasePath>/, so the module rooted at
		// <out>/go is the import base path's parent.
		modulePath := path.Dir(importBase)
		if info.ModulePath != "" && info.ModulePath != modulePath {
			return nil, fmt.Errorf("language.go.modulePath %q is not the parent of importBasePath %q",
				info.ModulePath, importBase)
		}
		gomod = &modfile.File{}
		if err := gomod.AddModuleStmt(modulePath); err != nil {
			return nil, err
		}
		if err := gomod.AddGoStmt("1.25"); err != nil { // what the generator writes for supportPack schemas
			return nil, err
		}
	}
	if err := gomod.AddRequire("github.com/pulumi/pulumi/sdk/v3", sdkVersion); err != nil {
		return nil, err
	}
	gomod.Cleanup()
	return gomod.Format()
}

func run() error {
	schemaPath := flag.String("schema", "", "the package schema (JSON), e.g. from `pulumi package get-schema`")
	out := flag.String("out", "", "output root: each language goes to <out>/<language>, replacing it")
	languages := flag.String("languages", "nodejs,python,go", "comma-separated: nodejs, python, go")
	local := flag.Bool("local", false, "like `pulumi package gen-sdk --local` (Node.js: compiled on install)")
	boundSchema := flag.String("bound-schema", "", "also write the bound schema JSON the CLI sends to the hosts")
	goPulumiSDK := flag.String("go-pulumi-sdk", "", "give the Go SDK a go.mod requiring pulumi/sdk/v3 at this version")
	flag.Parse()

	// The CLI side of `pulumi package gen-sdk`.
	pkg, err := bindFlags("pulumi", *schemaPath, *out)
	if err != nil {
		return err
	}
	boundJSON, err := pkg.MarshalJSON()
	if err != nil {
		return err
	}
	if *boundSchema != "" {
		if err := os.MkdirAll(filepath.Dir(*boundSchema), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(*boundSchema, boundJSON, 0o644); err != nil {
			return err
		}
	}

	for _, language := range strings.Split(*languages, ",") {
		language = strings.TrimSpace(language)
		if language == "" {
			continue
		}
		files, err := generate(language, string(boundJSON), *local, *goPulumiSDK)
		if err != nil {
			return fmt.Errorf("generating the %s SDK: %w", language, err)
		}
		if err := writeTree(filepath.Join(*out, language), files); err != nil {
			return fmt.Errorf("writing the %s SDK: %w", language, err)
		}
		fmt.Fprintf(os.Stderr, "gensdk: %s: %d files\n", language, len(files))
	}
	return nil
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "gensdk: error: %v\n", err)
		os.Exit(1)
	}
}
