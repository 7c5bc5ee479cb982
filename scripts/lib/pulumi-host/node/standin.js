// A stand-in `pulumi-language-nodejs`, for machines where Pulumi's Go host cannot be built (the Go module proxy
// refuses github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3 at every version).
//
// The engine starts a language host with its own address as the last argument, reads the port from the first
// line of stdout and calls the LanguageRuntime API. This host answers with @pulumi/pulumi's own LanguageServer
// (automation/server.js, the one the Automation API serves inline programs with): its `run` resets the runtime
// settings and config for the request, runs the program inside `runInPulumiStack`, waits for outstanding resource
// registrations and reports errors. All this file adds is loading the project's program from disk:
//
//  * the entry point is chosen as @pulumi/pulumi's cmd/run does (`main` of Pulumi.yaml, else package.json
//    `exports`/`main`, else the directory's index), and a module that is a function is called for the outputs;
//  * TypeScript is transpiled on require with the `typescript` package's transpileModule (CommonJS, the project's
//    tsconfig.json compiler options, inline source maps; no type checking, like ts-node's transpile-only mode);
//  * the program and the server share one @pulumi/pulumi module instance (see pickPulumi below).
//
// Other RPCs: GetRequiredPlugins (none), GetPluginInfo and About are answered here; grpc-js answers every other
// method (GetRequiredPackages, Handshake, InstallDependencies, GetProgramDependencies, RunPlugin, Cancel, ...)
// with UNIMPLEMENTED, which the engine treats as "an older host" where it matters.
"use strict";

const fs = require("fs");
const path = require("path");
const util = require("util");
const Module = require("module");

const OWN_PULUMI = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
const grpc = require(require.resolve("@grpc/grpc-js", { paths: [OWN_PULUMI] }));
const langproto = require("@pulumi/pulumi/proto/language_pb");
const langrpc = require("@pulumi/pulumi/proto/language_grpc_pb");
const plugproto = require("@pulumi/pulumi/proto/plugin_pb");

// The engine passes its own address last (after any flags); the program's logs and root-resource calls go to it.
const argv = process.argv.slice(2);
const ENGINE_ADDRESS = argv.length > 0 && !argv[argv.length - 1].startsWith("-") ? argv[argv.length - 1] : "";

const versionOf = (dir) => JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")).version;

// ---------------------------------------------------------------------------------------------------------------
// One @pulumi/pulumi per process.
//
// LanguageServer.run puts the monitor, engine, project, stack and config into the runtime state of the copy it was
// loaded from; `new pulumi.Config()` or `new pulumi.ComponentResource(...)` in the program read the state of the
// copy the program loaded. Recent copies happen to share that state through globals (global.asyncLocalStorage,
// global.globalStore), but only as far as two versions agree on its shape, and older copies keep part of it in
// module variables. So there is exactly one copy. The server is loaded from the one the program itself would load:
// the project's own, found from the program directory upwards as Node finds it, else this host's pinned copy (for
// projects without node_modules, such as examples/typescript, which imports the repository's sdk/nodejs sources).
// From then on every `require("@pulumi/pulumi[/...]")`, from any file (the project, an SDK outside it, a package's
// nested node_modules), resolves to that copy. Preferring the project's copy is what Pulumi's own host does (it runs
// the project's @pulumi/pulumi/cmd/run): the program runs with the SDK version it pinned.
let runtime; // { dir, server: LanguageServer, log, errors }

function pickPulumi(programDir) {
    let dir;
    try {
        dir = path.dirname(require.resolve("@pulumi/pulumi/package.json", { paths: [programDir] }));
    } catch {
        dir = OWN_PULUMI;
    }
    if (runtime) {
        if (runtime.dir !== dir) {
            throw new Error(`this host already runs @pulumi/pulumi from ${runtime.dir}; ${programDir} needs ${dir}`);
        }
        return runtime;
    }
    const serverPath = path.join(dir, "automation", "server.js");
    if (!fs.existsSync(serverPath)) {
        throw new Error(`@pulumi/pulumi ${versionOf(dir)} at ${dir} has no automation/server.js; ` +
                        "the stand-in host needs @pulumi/pulumi 3.x");
    }
    // Requests for @pulumi/pulumi are resolved from the directory holding the chosen copy's node_modules, so that
    // the package's own module resolution (and an "exports" map, should it gain one) still applies.
    const scoped = path.dirname(path.dirname(dir)); // .../node_modules
    const base = path.basename(scoped) === "node_modules" ? path.dirname(scoped) : undefined;
    const resolve = Module._resolveFilename;
    Module._resolveFilename = function (request, parent, isMain, options) {
        if (request === "@pulumi/pulumi" || request.startsWith("@pulumi/pulumi/")) {
            if (base !== undefined) {
                return resolve.call(this, request, parent, isMain, { paths: [base] });
            }
            return resolve.call(this, dir + request.slice("@pulumi/pulumi".length), parent, isMain);
        }
        return resolve.call(this, request, parent, isMain, options);
    };
    const { LanguageServer } = require(serverPath);
    runtime = {
        dir,
        server: new LanguageServer(undefined),
        log: require(path.join(dir, "log")),
        errors: require(path.join(dir, "errors")),
    };
    return runtime;
}

// ---------------------------------------------------------------------------------------------------------------
// TypeScript on require.
let typescriptRegistered = false;

function registerTypeScript(programDir, options) {
    if (typescriptRegistered) {
        return;
    }
    // The project's typescript if it has one (as Pulumi's host does), else this host's pinned copy.
    let ts;
    try {
        ts = require(require.resolve("typescript", { paths: [programDir] }));
    } catch {
        ts = require("typescript");
    }
    const compilerOptions = {
        target: ts.ScriptTarget.ES2020,
        ...tsconfigOptions(ts, path.resolve(programDir, options.tsconfig || process.env.PULUMI_NODEJS_TSCONFIG_PATH ||
                                                           "tsconfig.json")),
        // What transpileModule can honour for a CommonJS require hook: no emit-only or ESM-only settings.
        module: ts.ModuleKind.CommonJS,
        inlineSourceMap: true,
        inlineSources: false,
    };
    const dropped = ["sourceMap", "declaration", "declarationMap", "emitDeclarationOnly", "noEmit", "composite",
                     "incremental", "verbatimModuleSyntax", "isolatedDeclarations", "outFile", "moduleResolution"];
    for (const option of dropped) {
        delete compilerOptions[option];
    }
    process.setSourceMapsEnabled(true); // stack traces in .ts line numbers
    require.extensions[".ts"] = (module, filename) => {
        const source = fs.readFileSync(filename, "utf8");
        const output = ts.transpileModule(source, { fileName: filename, compilerOptions });
        module._compile(output.outputText, filename);
    };
    typescriptRegistered = true;
}

// The compiler options of tsconfig.json (following "extends"); a missing or broken file means the defaults, as
// for Pulumi's host. The file list is not enumerated: only the options matter to transpileModule.
function tsconfigOptions(ts, file) {
    if (!fs.existsSync(file)) {
        return {};
    }
    const { config, error } = ts.readConfigFile(file, ts.sys.readFile);
    if (error || !config) {
        return {};
    }
    const host = { ...ts.sys, readDirectory: () => [] };
    return ts.parseJsonConfigFileContent(config, host, path.dirname(file), undefined, file).options;
}

// ---------------------------------------------------------------------------------------------------------------
// The program.

function readManifest(dir) {
    for (let current = dir; ; current = path.dirname(current)) {
        const file = path.join(current, "package.json");
        if (fs.existsSync(file)) {
            try {
                return { root: current, data: JSON.parse(fs.readFileSync(file, "utf8")) };
            } catch {
                return { root: current, data: {} };
            }
        }
        if (path.dirname(current) === current) {
            return { root: dir, data: {} };
        }
    }
}

// The module to require, as @pulumi/pulumi's cmd/run picks it: an explicit entry point (Pulumi.yaml `main` naming a
// file) wins; otherwise package.json `exports` (string, or "." as string or {default, require}) or `main`, when
// that file exists; otherwise the program directory, which Node resolves to its index (.js before .ts).
function entryPoint(programDir, entry, manifest) {
    if (entry && entry !== ".") {
        return path.resolve(programDir, entry);
    }
    const data = manifest.data;
    let named;
    if (typeof data.exports === "string") {
        named = data.exports;
    } else if (data.exports && typeof data.exports === "object") {
        const main = data.exports["."];
        named = typeof main === "string" ? main : main && (main.default || main.require);
    } else {
        named = data.main;
    }
    if (typeof named === "string" && fs.existsSync(path.join(manifest.root, named))) {
        return path.join(manifest.root, named);
    }
    return programDir + path.sep;
}

function optionsOf(info) {
    const options = info && info.getOptions();
    return options ? options.toJavaScript() : {};
}

// Modules the program loaded (everything but this host's and the chosen @pulumi/pulumi's files), forgotten before
// a second Run in the same process so that the program runs again. The engine starts a host per run today.
let baseline;

function forgetProgramModules(pulumiDir) {
    for (const key of Object.keys(require.cache)) {
        if (!baseline.has(key) && !key.startsWith(pulumiDir + path.sep)) {
            delete require.cache[key];
        }
    }
}

class Host {
    constructor() {
        this.queue = Promise.resolve(); // runs one at a time: they share the process's cwd and module cache
    }

    run(call, callback) {
        this.queue = this.queue.then(() => new Promise((done) => {
            let answered = false;
            const answer = (err, response) => {
                if (!answered) {
                    answered = true;
                    callback(err, response);
                    done();
                }
            };
            try {
                this.start(call, answer);
            } catch (err) {
                const response = new langproto.RunResponse();
                response.setError(err instanceof Error ? err.message : String(err));
                answer(null, response);
            }
        }));
    }

    start(call, answer) {
        const request = call.request;
        const info = request.getInfo();
        const programDir = path.resolve((info && info.getProgramDirectory()) || request.getPwd() || process.cwd());
        const options = optionsOf(info);
        if (request.getPwd()) {
            process.chdir(request.getPwd());
        }
        const manifest = readManifest(programDir);
        if (manifest.data.type === "module") {
            throw new Error(`${manifest.root}/package.json declares "type": "module": ES module programs are not ` +
                            "supported by the stand-in Node.js host; use CommonJS output");
        }
        const rt = pickPulumi(programDir);
        if (options.typescript !== false) {
            registerTypeScript(programDir, options);
        }
        if (options.nodeargs) {
            process.emitWarning(`runtime option nodeargs (${options.nodeargs}) is ignored by the stand-in host`);
        }
        if (baseline === undefined) {
            baseline = new Set(Object.keys(require.cache));
        } else {
            forgetProgramModules(rt.dir);
        }
        const entry = entryPoint(programDir, info && info.getEntryPoint(), manifest);
        const programArgs = request.getArgsList();
        process.argv = [process.argv[0], entry, ...programArgs];
        // LanguageServer takes the engine address from args[0] (the Automation API puts it there); the engine
        // gives it to a spawned host on the command line instead.
        request.setArgsList([ENGINE_ADDRESS, ...programArgs]);

        rt.server.program = async () => {
            let exported;
            try {
                exported = require(entry);
            } catch (err) {
                // The entry point itself is missing (not a module it imports): say where the program was looked for.
                const ours = !err || !err.requireStack || err.requireStack[0] === __filename;
                if (err && err.code === "MODULE_NOT_FOUND" && ours) {
                    throw new rt.errors.RunError(
                        `No Pulumi program at ${entry} (${String(err.message).split("\n")[0]}): the stand-in host ` +
                        `takes Pulumi.yaml main, else package.json exports/main, else index.js or index.ts there`);
                }
                throw err;
            }
            // cmd/run's rule: a module that is itself a function (`export = async () => ...`) is called and its
            // result becomes the stack outputs; otherwise the module's exports are.
            return typeof exported === "function" ? await exported() : exported;
        };

        // Errors that reached the server's uncaught-exception handler have been logged to the engine already, with
        // their stack; for those the answer is `bail`, as Pulumi's host answers after its program logged an error.
        const reported = new Set();
        const note = (err) => reported.add(err);
        process.on("uncaughtException", note);
        process.on("unhandledRejection", note);
        rt.server.run(call, (err) => {
            process.off("uncaughtException", note);
            process.off("unhandledRejection", note);
            const response = new langproto.RunResponse();
            if (err) {
                // LanguageServer's own summary of errors it saw: logged ones (bail) or gRPC ones (not logged).
                const summary = err instanceof Error && err.message.startsWith("One or more errors occurred");
                if (reported.has(err) || (summary && rt.log.hasErrors())) {
                    response.setBail(true);
                } else {
                    response.setError(summary ? err.message : describe(rt, entry, err));
                }
            }
            answer(null, response);
        });
    }

    getRequiredPlugins(call, callback) {
        // Providers come from the project's Pulumi.yaml `plugins` or are loaded when the program registers their
        // resources; this host does not scan node_modules for SDK packages.
        callback(null, new langproto.GetRequiredPluginsResponse());
    }

    getPluginInfo(call, callback) {
        const info = new plugproto.PluginInfo();
        info.setVersion(versionOf(OWN_PULUMI));
        callback(null, info);
    }

    about(call, callback) {
        const response = new langproto.AboutResponse();
        response.setExecutable(process.execPath);
        response.setVersion(process.versions.node);
        response.getMetadataMap().set("host", "stand-in (scripts/lib/pulumi-host/node)");
        callback(null, response);
    }
}

// The message of an error the program threw, as cmd/run words it.
function describe(rt, entry, err) {
    if (rt.errors.RunError.isInstance(err)) {
        return err.message;
    }
    if (rt.errors.ResourceError.isInstance(err) && err.hideStack) {
        return err.message;
    }
    const text = err instanceof Error && err.stack ? util.inspect(err) : String(err && err.message || err);
    return `Running program '${entry}' failed with an unhandled exception:\n${text}`;
}

function main() {
    const host = new Host();
    const server = new grpc.Server({ "grpc.max_receive_message_length": 400 * 1024 * 1024 });
    // Only the methods implemented here; grpc-js answers the others with UNIMPLEMENTED, for unary and streaming
    // methods alike.
    server.addService(langrpc.LanguageRuntimeService, {
        run: host.run.bind(host),
        getRequiredPlugins: host.getRequiredPlugins.bind(host),
        getPluginInfo: host.getPluginInfo.bind(host),
        about: host.about.bind(host),
    });
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, port) => {
        if (err) {
            console.error(`pulumi-language-nodejs (stand-in): cannot listen: ${err.message}`);
            process.exit(1);
        }
        process.stdout.write(`${port}\n`);
    });
    // The engine ends its plugins when it is done with them.
    process.on("SIGTERM", () => {
        server.forceShutdown();
        process.exit(0);
    });
}

main();
