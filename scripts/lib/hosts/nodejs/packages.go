package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/logging"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// manifest is the part of a package.json that says whether a package brings a Pulumi resource plugin.
type manifest struct {
	Name    string                  `json:"name"`
	Version string                  `json:"version"`
	Pulumi  plugin.PulumiPluginJSON `json:"pulumi"`
}

// GetRequiredPackages reports the resource plugins of every installed package (any package.json under a
// node_modules directory of the program, symlinks followed) whose "pulumi" section sets "resource": true. Only
// installed packages count: a program that imports an SDK from outside its node_modules declares nothing, which is
// why the SDK must be a dependency in package.json. Unreadable packages are logged and skipped.
func (h *host) GetRequiredPackages(ctx context.Context,
	req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	w := walker{visited: map[string]bool{}}
	w.walk(req.GetInfo().GetProgramDirectory(), false)
	if err := errors.Join(w.errs...); err != nil {
		logging.V(3).Infof("errors while looking for the program's Pulumi packages: %v", err)
	}
	return &pulumirpc.GetRequiredPackagesResponse{Packages: w.found}, nil
}

type walker struct {
	visited map[string]bool
	found   []*pulumirpc.PackageDependency
	errs    []error
}

// walk visits dir and its subdirectories; package.json files count only below a node_modules directory.
func (w *walker) walk(dir string, inNodeModules bool) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		w.errs = append(w.errs, err)
		return
	}
	if w.visited[dir] {
		return
	}
	w.visited[dir] = true
	entries, err := os.ReadDir(dir)
	if err != nil {
		w.errs = append(w.errs, err)
		return
	}
	below := inNodeModules || filepath.Base(dir) == "node_modules"
	for _, entry := range entries {
		path := filepath.Join(dir, entry.Name())
		isDir := entry.IsDir()
		if entry.Type()&os.ModeSymlink != 0 {
			// npm links `file:` dependencies (unless install-links is set): follow them, once.
			if path, err = filepath.EvalSymlinks(path); err != nil {
				w.errs = append(w.errs, err)
				continue
			}
			info, err := os.Stat(path)
			if err != nil {
				w.errs = append(w.errs, err)
				continue
			}
			isDir = info.IsDir()
		}
		switch {
		case isDir:
			// A policy pack nested in the program has plugins of its own, not the program's.
			if pack, err := workspace.DetectPolicyPackPathAt(path); err != nil {
				w.errs = append(w.errs, err)
			} else if pack == "" {
				w.walk(path, below)
			}
		case inNodeModules && entry.Name() == "package.json":
			w.read(path)
		}
	}
}

func (w *walker) read(path string) {
	data, err := os.ReadFile(path)
	if err != nil {
		w.errs = append(w.errs, err)
		return
	}
	var m manifest
	if err := json.Unmarshal(data, &m); err != nil {
		w.errs = append(w.errs, fmt.Errorf("%s: %w", path, err))
		return
	}
	if !m.Pulumi.Resource {
		return
	}
	dep, err := dependency(m)
	if err != nil {
		w.errs = append(w.errs, fmt.Errorf("%s: %w", path, err))
		return
	}
	w.found = append(w.found, dep)
}

// dependency is the plugin a package declares: its name from "pulumi.name" (or, for an @pulumi/ package, from the
// package name), its version from "pulumi.version" or the package version, with a leading "v".
func dependency(m manifest) (*pulumirpc.PackageDependency, error) {
	name := m.Pulumi.Name
	if name == "" {
		rest, ok := strings.CutPrefix(m.Name, "@pulumi/")
		if !ok {
			return nil, fmt.Errorf("package %q declares a Pulumi plugin but no \"pulumi\".\"name\"", m.Name)
		}
		name = rest
	}
	version := m.Pulumi.Version
	if version == "" {
		version = m.Version
	}
	if version == "" {
		return nil, fmt.Errorf("package %q declares a Pulumi plugin but no version", m.Name)
	}
	if !strings.HasPrefix(version, "v") {
		version = "v" + version
	}
	dep := &pulumirpc.PackageDependency{
		Name: name, Kind: "resource", Version: version, Server: m.Pulumi.Server,
		Parameterization: parameterization(m.Pulumi.Parameterization),
		Extension:        parameterization(m.Pulumi.ExtensionParameterization),
	}
	return dep, nil
}

func parameterization(p *plugin.PulumiParameterizationJSON) *pulumirpc.PackageParameterization {
	if p == nil {
		return nil
	}
	return &pulumirpc.PackageParameterization{Name: p.Name, Version: p.Version, Value: p.Value}
}
