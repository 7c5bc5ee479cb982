// Command gensdk-dotnet generates the .NET SDK of a Pulumi package, as the pulumi-language-dotnet host's
// GeneratePackage does. scripts/gen-sdk builds and runs it; see there.
//
//	gensdk-dotnet -schema bound-schema.json -out DIR
//
// The .NET generator left github.com/pulumi/pulumi/pkg/v3 (it now lives in
// github.com/pulumi/pulumi-dotnet/pulumi-language-dotnet/v3/codegen, a module the Go module proxy here does not
// serve). scripts/gen-sdk therefore builds this program against the last pkg/v3 release that still has
// codegen/dotnet (frozen there since its move), separately from ../main.go. Its input is the bound schema JSON that
// ../main.go writes with -bound-schema: what the CLI would send to the .NET host.
//
// Like the host: bind the schema (dangling references allowed), GeneratePackage with the tool name
// "pulumi-language-dotnet", no overlays and no local dependencies, files written under <out>/dotnet after emptying
// it. Unlike it: files 0644 and directories 0755 (the host uses 0600), and no other package's schema is loaded.
//
// The generator downloads the package logo (schema logoUrl, else a fixed URL of Pulumi's logo on
// raw.githubusercontent.com) into logo.png with http.Get. -serve URL=FILE answers such a request for URL from a
// local copy instead (scripts/gen-sdk takes Pulumi's logo from the Go module proxy); other URLs still go out.
package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	dotnetgen "github.com/pulumi/pulumi/pkg/v3/codegen/dotnet"
)

// localFiles serves some URLs from files and passes every other request on.
type localFiles struct {
	files map[string]string
	next  http.RoundTripper
}

func (t localFiles) RoundTrip(req *http.Request) (*http.Response, error) {
	file, ok := t.files[req.URL.String()]
	if !ok || req.Method != http.MethodGet {
		return t.next.RoundTrip(req)
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	return &http.Response{
		Status: "200 OK", StatusCode: http.StatusOK, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{}, Body: io.NopCloser(f), ContentLength: info.Size(), Request: req,
	}, nil
}

type urlFiles map[string]string

func (u urlFiles) String() string { return fmt.Sprint(map[string]string(u)) }

func (u urlFiles) Set(value string) error {
	url, file, ok := strings.Cut(value, "=")
	if !ok || url == "" || file == "" {
		return fmt.Errorf("want URL=FILE, got %q", value)
	}
	if _, err := os.Stat(file); err != nil {
		return err
	}
	u[url] = file
	return nil
}

func run() error {
	schemaPath := flag.String("schema", "", "the bound schema JSON written by gensdk -bound-schema")
	out := flag.String("out", "", "output root: the SDK goes to <out>/dotnet, replacing it")
	serve := urlFiles{}
	flag.Var(serve, "serve", "URL=FILE: answer the generator's download of URL with FILE (repeatable)")
	flag.Parse()
	if len(serve) > 0 {
		http.DefaultTransport = localFiles{files: serve, next: http.DefaultTransport}
	}
	pkg, err := bindFlags("pulumi-language-dotnet", *schemaPath, *out)
	if err != nil {
		return err
	}
	files, err := dotnetgen.GeneratePackage("pulumi-language-dotnet", pkg, map[string][]byte{}, nil)
	if err != nil {
		return fmt.Errorf("generating the dotnet SDK: %w", err)
	}
	if err := writeTree(filepath.Join(*out, "dotnet"), files); err != nil {
		return fmt.Errorf("writing the dotnet SDK: %w", err)
	}
	fmt.Fprintf(os.Stderr, "gensdk-dotnet: dotnet: %d files\n", len(files))
	return nil
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "gensdk-dotnet: error: %v\n", err)
		os.Exit(1)
	}
}
