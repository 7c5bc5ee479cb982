package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/logging"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/pulumi/pulumi/sdk/v3/python/toolchain"
)

// findPluginJSON prints, as a JSON object, where each named distribution's top-level package keeps a
// pulumi-plugin.json ("" when it has none or cannot be imported). It looks through the import system rather than the
// distribution's file list so that editable installs (`pip install -e`) are found too.
const findPluginJSON = `
import importlib.metadata as md, importlib.util as iu, json, os, sys
found = {}
for name in sys.argv[1:]:
    path = ""
    try:
        module = md.distribution(name).metadata["Name"].replace("-", "_")
        spec = iu.find_spec(module)
        for where in (spec.submodule_search_locations or []) if spec else []:
            if os.path.isfile(os.path.join(where, "pulumi-plugin.json")):
                path = os.path.join(where, "pulumi-plugin.json")
                break
    except Exception:
        pass
    found[name] = path
print(json.dumps(found))
`

// withoutPlugins are packages named pulumi-* that have no resource plugin and ship no pulumi-plugin.json saying so.
var withoutPlugins = map[string]bool{"pulumi-policy": true, "pulumi-esc-sdk": true}

// GetRequiredPackages tells the engine which resource plugins the program's virtualenv asks for: every installed
// distribution with a pulumi-plugin.json (unless it says `"resource": false`), and every `pulumi-<name>` package,
// as `<name>` at the package's version. Like Pulumi's host it creates a missing virtualenv first.
func (h *host) GetRequiredPackages(ctx context.Context, req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	_, tc, err := resolve(req.GetInfo(), false)
	if err != nil {
		return nil, err
	}
	stdout, stderr, conn, err := h.newEngineLogs(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if err := tc.EnsureVenv(ctx, req.GetInfo().GetProgramDirectory(), false, true, stdout, stderr); err != nil {
		return nil, err
	}
	// As Pulumi's host does: a Python that does not run is reported on stderr (the engine shows it as a
	// diagnostic), and listing the packages then fails with the toolchain's own error. A stand-in that explained
	// more would hide what users of the real host see.
	reportPythonVersion(ctx, tc)

	installed, err := tc.ListPackages(ctx, true)
	if err != nil {
		return nil, err
	}
	paths := pluginJSONPaths(ctx, tc, installed)

	var packages []*pulumirpc.PackageDependency
	for _, dist := range installed {
		if withoutPlugins[dist.Name] {
			continue
		}
		var meta *plugin.PulumiPluginJSON
		if path := paths[dist.Name]; path != "" {
			if meta, err = plugin.LoadPulumiPluginJSON(path); err != nil {
				return nil, fmt.Errorf("failed to parse pulumi-plugin.json for %s: %w", dist.Name, err)
			}
		}
		if meta == nil && !strings.HasPrefix(dist.Name, "pulumi-") {
			continue
		}
		if dep := packageDependency(dist, meta); dep != nil {
			packages = append(packages, dep)
		}
	}
	return &pulumirpc.GetRequiredPackagesResponse{Packages: packages}, nil
}

// pluginJSONPaths maps distribution names to their pulumi-plugin.json; a failure to look leaves the map empty (the
// pulumi-* name rule still applies), as a broken helper must not stop a deployment.
func pluginJSONPaths(ctx context.Context, tc toolchain.Toolchain, installed []plugin.DependencyInfo) map[string]string {
	paths := map[string]string{}
	if len(installed) == 0 {
		return paths
	}
	args := []string{"-c", findPluginJSON}
	for _, dist := range installed {
		args = append(args, dist.Name)
	}
	cmd, err := tc.Command(ctx, args...)
	if err != nil {
		logging.V(5).Infof("GetRequiredPackages: %v", err)
		return paths
	}
	out, err := cmd.Output()
	if err == nil {
		err = json.Unmarshal(out, &paths)
	}
	if err != nil {
		logging.V(5).Infof("GetRequiredPackages: looking for pulumi-plugin.json files: %v", err)
	}
	return paths
}

// packageDependency turns an installed distribution (and its pulumi-plugin.json, if any) into the plugin it needs;
// nil when it declares no plugin or its version has no plugin equivalent.
func packageDependency(dist plugin.DependencyInfo, meta *plugin.PulumiPluginJSON) *pulumirpc.PackageDependency {
	dep := &pulumirpc.PackageDependency{Kind: "resource"}
	if meta != nil {
		if !meta.Resource {
			return nil
		}
		dep.Name, dep.Version, dep.Server = meta.Name, meta.Version, meta.Server
		dep.Parameterization = parameterization(meta.Parameterization)
		dep.Extension = parameterization(meta.ExtensionParameterization)
	}
	if dep.Name == "" {
		dep.Name = strings.TrimPrefix(dist.Name, "pulumi-")
	}
	if dep.Version == "" {
		version, ok := pluginVersion(dist.Version)
		if !ok {
			logging.V(5).Infof("GetRequiredPackages: no plugin version for %s %s", dist.Name, dist.Version)
			return nil
		}
		dep.Version = version
	}
	if !strings.HasPrefix(dep.Version, "v") {
		dep.Version = "v" + dep.Version
	}
	return dep
}

func parameterization(p *plugin.PulumiParameterizationJSON) *pulumirpc.PackageParameterization {
	if p == nil {
		return nil
	}
	return &pulumirpc.PackageParameterization{Name: p.Name, Version: p.Version, Value: p.Value}
}

// pep440 matches the part of PEP 440 that has a semver equivalent: release, a/b/rc, .postN, .devN (no epoch, no
// local version).
var pep440 = regexp.MustCompile(`^(\d+(?:\.\d+)*)(?:(a|b|rc)(\d*))?(?:\.post(\d*))?(?:\.dev(\d*))?$`)

// pluginVersion converts a Python package version into its plugin's semver: at least three release numbers,
// 1.2.3a4 -> 1.2.3-alpha.4 (b: beta, rc: rc), 1.2.3.post4 -> 1.2.3+post4, 1.2.3.dev5 -> 1.2.3+dev5,
// 1.2.3.post4.dev5 -> 1.2.3+post4dev5.
func pluginVersion(python string) (string, bool) {
	m := pep440.FindStringSubmatch(python)
	if m == nil {
		return "", false
	}
	release := strings.Split(m[1], ".")
	for len(release) < 3 {
		release = append(release, "0")
	}
	version := strings.Join(release, ".")
	if m[2] != "" {
		version += "-" + map[string]string{"a": "alpha", "b": "beta", "rc": "rc"}[m[2]] + "." + m[3]
	}
	var build string
	if strings.Contains(python, ".post") {
		build += "post" + m[4]
	}
	if strings.Contains(python, ".dev") {
		build += "dev" + m[5]
	}
	if build != "" {
		version += "+" + build
	}
	return version, true
}

// reportPythonVersion writes one stderr line when the program's Python cannot be run, in the real host's words.
func reportPythonVersion(ctx context.Context, tc toolchain.Toolchain) {
	cmd, err := tc.Command(ctx, "--version")
	if err != nil {
		fmt.Fprintf(os.Stderr, "Failed to create python version command: %s\n", err)
		return
	}
	if _, err := cmd.Output(); err != nil {
		fmt.Fprintf(os.Stderr, "Failed to resolve python version command: %s\n", err)
	}
}
