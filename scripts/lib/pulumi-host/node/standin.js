// A stand-in `pulumi-language-nodejs`, for machines where Pulumi's Go host cannot be built (the Go module proxy
// refuses github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3). It serves the engine's
// LanguageRuntime API with @pulumi/pulumi's own LanguageServer (the one the Automation API uses for inline
// programs) and runs the project's program in this process. TypeScript is transpiled on require with the
// `typescript` package (no type checking, as ts-node's transpile-only mode). Programs and the SDKs they load
// resolve @pulumi/pulumi to this host's copy, so that the runtime state is one module instance.
"use strict";

const fs = require("fs");
const path = require("path");
const Module = require("module");

const here = __dirname;
process.env.NODE_PATH = [path.join(here, "node_modules"), process.env.NODE_PATH].filter(Boolean).join(path.delimiter);
Module._initPaths();

const ts = require("typescript");
require.extensions[".ts"] = (module, filename) => {
    const source = fs.readFileSync(filename, "utf8");
    const output = ts.transpileModule(source, {
        fileName: filename,
        compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2020, esModuleInterop: true,
                           sourceMap: false, inlineSourceMap: false },
    });
    module._compile(output.outputText, filename);
};

const grpc = require("@grpc/grpc-js");
const langrpc = require("@pulumi/pulumi/proto/language_grpc_pb");
const { LanguageServer } = require("@pulumi/pulumi/automation/server");

function entryPoint(request) {
    const info = request.getInfo();
    const dir = (info && info.getProgramDirectory()) || request.getPwd();
    let entry = (info && info.getEntryPoint()) || ".";
    let target = path.resolve(dir, entry);
    if (fs.existsSync(target) && fs.statSync(target).isDirectory()) {
        const manifest = path.join(target, "package.json");
        const main = fs.existsSync(manifest) ? JSON.parse(fs.readFileSync(manifest, "utf8")).main : undefined;
        const candidates = [main, "index.ts", "index.js"].filter(Boolean).map((name) => path.join(target, name));
        target = candidates.find((file) => fs.existsSync(file)) || candidates[candidates.length - 1];
    }
    return target;
}

class ProgramHost extends LanguageServer {
    constructor() {
        super(undefined);
    }

    run(call, callback) {
        const request = call.request;
        if (request.getPwd()) {
            process.chdir(request.getPwd());
        }
        const entry = entryPoint(request);
        this.program = async () => {
            const exported = require(entry);
            // A default-exported function is the program (its result becomes the stack outputs).
            if (exported && typeof exported.default === "function") {
                return await exported.default();
            }
            return exported;
        };
        return super.run(call, callback);
    }
}

function unimplemented(name) {
    return (call, callback) => callback({ code: grpc.status.UNIMPLEMENTED, details: `${name} is not implemented by the stand-in host` });
}

const host = new ProgramHost();
const service = {};
for (const name of Object.keys(langrpc.LanguageRuntimeService)) {
    const method = name.charAt(0).toLowerCase() + name.slice(1);
    service[name] = typeof host[method] === "function" ? host[method].bind(host) : unimplemented(name);
}
const server = new grpc.Server({ "grpc.max_receive_message_length": 400 * 1024 * 1024 });
server.addService(langrpc.LanguageRuntimeService, service);
server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, port) => {
    if (err) {
        console.error(err);
        process.exit(1);
    }
    process.stdout.write(`${port}\n`);
});
process.on("SIGTERM", () => server.forceShutdown());
