package main

// Shared by both drivers (gensdk, gensdk-dotnet): scripts/gen-sdk builds each from its own main.go and this file,
// against different pkg/v3 releases, so this file uses only what both releases have.

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/blang/semver"
	"github.com/hashicorp/hcl/v2"

	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

// program names the driver in messages.
var program = filepath.Base(os.Args[0])

// noExternalPackages is the schema loader: the package may only use its own types and Pulumi's built-in ones.
type noExternalPackages struct{}

func (noExternalPackages) refused(name string) error {
	return fmt.Errorf("the schema references the Pulumi package %q; %s loads no other package's schema", name, program)
}

func (l noExternalPackages) LoadPackage(name string, _ *semver.Version) (*schema.Package, error) {
	return nil, l.refused(name)
}

func (l noExternalPackages) LoadPackageV2(_ context.Context, d *schema.PackageDescriptor) (*schema.Package, error) {
	return nil, l.refused(d.Name)
}

func (l noExternalPackages) LoadPackageReference(name string, _ *semver.Version) (schema.PackageReference, error) {
	return nil, l.refused(name)
}

func (l noExternalPackages) LoadPackageReferenceV2(
	_ context.Context, d *schema.PackageDescriptor,
) (schema.PackageReference, error) {
	return nil, l.refused(d.Name)
}

var loader schema.ReferenceLoader = schema.NewCachedLoader(noExternalPackages{})

// bind binds a schema as the CLI and the language hosts do, printing warnings and failing on errors.
func bind(stage string, spec schema.PackageSpec) (*schema.Package, error) {
	pkg, diags, err := schema.BindSpec(spec, loader, schema.ValidationOptions{AllowDanglingReferences: true})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", stage, err)
	}
	for _, d := range diags {
		if d.Severity == hcl.DiagWarning {
			fmt.Fprintf(os.Stderr, "%s: %s: warning: %s\n", program, stage, d.Error())
		}
	}
	if diags.HasErrors() {
		return nil, fmt.Errorf("%s: the schema does not bind: %w", stage, errors.Join(diags.Errs()...))
	}
	return pkg, nil
}

// writeTree empties dir and writes files into it, like the CLI (RemoveAll, MkdirAll) and the hosts (WriteFile).
func writeTree(dir string, files map[string][]byte) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		clean := filepath.Clean(filepath.FromSlash(name))
		if filepath.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, ".."+string(filepath.Separator)) {
			return fmt.Errorf("generated file name %q leaves the output directory", name)
		}
		target := filepath.Join(dir, clean)
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(target, files[name], 0o644); err != nil {
			return err
		}
	}
	return nil
}

// bindFile reads a schema (JSON) file and binds it, see bind.
// bindFlags checks the two flags every driver requires (printing the usage when one is missing) and binds the
// schema file the first names.
func bindFlags(stage, schemaPath, out string) (*schema.Package, error) {
	if schemaPath == "" || out == "" || flag.NArg() != 0 {
		flag.Usage()
		return nil, errors.New("-schema and -out are required")
	}
	return bindFile(stage, schemaPath)
}

func bindFile(stage, file string) (*schema.Package, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var spec schema.PackageSpec
	if err := json.Unmarshal(data, &spec); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return bind(stage, spec)
}
